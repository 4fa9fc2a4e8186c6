"""The proof of issue 16: an agent (the official TypeScript SDK, over stdio) gets a whole service in one generator
call, with answers it can act on, and what is left to write is the business logic in handlers.py.

Two tasks: the notification service of the todo domain (the starter, the todo models, NotificationSent brought by
the starter), and a service outside it (its models as a JSON Schema, a dead-letter topic, an invocation target for
a calling app, reservations kept in the state store). Each is one `dapr_generate_service` call with `verify: true`
(a corrected call after a refusal would be allowed; none is needed); each answer, text and structured content, is
at most 10,000 characters; the result passes its own tests, `mypy --strict` and ruff (what `verify` ran)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.doors.test_mcp_external import CLIENT, ROOT, _server_command
from tests.service.test_service_json_schema import SHOP

pytestmark = pytest.mark.slow

AGENT = CLIENT.parent / "agent_client.mjs"
ANSWER_CHARS = 10_000

PLAN: list[dict[str, Any]] = [
    {
        "name": "notification",
        "tool": "dapr_generate_service",
        "arguments": {
            "app_id": "notification",
            "port": 8002,
            "starter": "todo-notification",
            "subscriptions": [{"topic": "reminders", "model": "ReminderEvent", "idempotent": True}],
            "jobs": [{"name": "reminder", "model": "ReminderEvent", "prefix": True}],
            "publishes": ["task-updates"],
            "client_blocks": ["jobs", "state"],
            "environments": ["local"],
            "output_dir": "notification",
            "verify": True,
        },
    },
    {
        "name": "inventory",
        "tool": "dapr_generate_service",
        "arguments": {**SHOP, "output_dir": "inventory", "verify": True},
    },
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        pytest.fail("node and node_modules are needed: install Node.js 20+ and run `npm ci`")
    root = tmp_path_factory.mktemp("agent")
    plan = root.parent / "plan.json"
    plan.write_text(json.dumps(PLAN), encoding="utf-8")
    env = {**os.environ, "ROOT_DIR": str(root), "PLAN": str(plan)}
    done = subprocess.run(  # fixed arguments: node, our client script, our server
        [node, str(AGENT), *_server_command(), "mcp"],
        capture_output=True, text=True, env=env, timeout=1800, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout), root


@pytest.mark.parametrize("task", [t["name"] for t in PLAN])
def test_one_call_writes_a_service_that_passes_its_checks(report: tuple[dict[str, Any], Path], task: str) -> None:
    found, root = report
    calls = found["tasks"][task]
    assert len(calls) == 1, [c["text"][:500] for c in calls]  # done at the first call: no refusal
    (call,) = calls
    assert not call["isError"], call["text"][:3000]
    assert call["textChars"] <= ANSWER_CHARS, call["textChars"]
    assert call["structuredChars"] <= ANSWER_CHARS, call["structuredChars"]
    verified = call["structuredContent"]["verify"]
    assert verified["passed"], verified["problems"]
    for check in ("pytest", "mypy", "ruff check", "ruff format"):
        assert any(f"{task}: {check}" in line for line in verified["ran"]), verified
    # What is left is the business logic: handlers.py is the user's file, its signatures are in the answer.
    handlers = root / task / "app" / "handlers.py"
    assert handlers.is_file()
    outline = "\n".join(call["structuredContent"]["outline"])
    assert "app/handlers.py" in outline
    assert "await dapr." in outline  # the client calls the handlers make
