"""The proof of issue 16: an agent (the official TypeScript SDK, over stdio) gets a whole service in one generator
call, with answers it can act on, and what is left to write is the business logic in handlers.py.

The agent connects (instructions, tools, resources, templates, prompts: at most 12,000 characters) and reads the
outline of the service's options (`dapr-specs://service`, at most 8,000). Two tasks: the notification service of
the todo domain (the starter, the todo models, NotificationSent brought by the starter), and a service outside it
(its models as a JSON Schema, optimistic reservations kept in the state store by ETag read-modify-write, a
dead-letter topic, an invocation target only the `checkout` app may call, an email through an SMTP output
binding). Each is one `dapr_generate_service` call with `verify: true` (a corrected call after a refusal would be
allowed; none is needed); each answer, text and structured content, is at most 10,000 characters; the result
passes its own tests, `mypy --strict` and ruff (what `verify` ran). Then the test does what the agent does next:
it writes each service's business logic into handlers.py (the notification's reminders by email through an SMTP
output binding; the inventory's reservations) and tests for it (fixed files it holds, in `agent_work/`), and the
service passes its tests, `mypy --strict`, ruff and `dapr-coder check`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.doors.test_mcp_budgets import CONNECT_BUDGET, OPTIONS_BUDGET
from tests.doors.test_mcp_external import CLIENT, ROOT, _server_command
from tests.service.conftest import run_in
from tests.service.test_service_json_schema import SHOP

pytestmark = pytest.mark.slow

AGENT = CLIENT.parent / "agent_client.mjs"
WORK = CLIENT.parent / "agent_work"  # what the agent writes after the call: business logic and its tests
ANSWER_CHARS = 10_000

# The shop's inventory: the reservation target is for the checkout app only (Dapr's access control and the app's
# own check of dapr-caller-app-id), and the stock team is mailed through an SMTP binding (SendGrid on Kubernetes).
INVENTORY: dict[str, Any] = {
    **SHOP,
    "invocations": [
        {"method": "/reserve", "request_model": "LineItem", "response_model": "Reservation", "callers": ["checkout"]}
    ],
    "output_bindings": [{"kind": "email", "name": "mailer", "sender": "noreply@example.com"}],
}

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
            "output_bindings": [{"kind": "email", "name": "mailer", "sender": "reminders@example.com"}],
            "environments": ["local"],
            "output_dir": "notification",
            "verify": True,
        },
    },
    {
        "name": "inventory",
        "tool": "dapr_generate_service",
        "arguments": {**INVENTORY, "output_dir": "inventory", "verify": True},
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


def test_connecting_and_reading_the_options_cost_at_most_the_budgets(report: tuple[dict[str, Any], Path]) -> None:
    found, _ = report
    assert sum(found["connecting"].values()) <= CONNECT_BUDGET, found["connecting"]
    assert found["optionsChars"] <= OPTIONS_BUDGET, found["optionsChars"]


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
    if task == "inventory":  # what its answer says the handlers have: the binding, the ETag loop, the callers
        for method in ("await dapr.send_email(", "await dapr.update_state("):
            assert method in outline, method
        written = [f["path"] for f in call["structuredContent"]["files"]]
        assert "tests/test_access.py" in written  # the caller check's own tests (only checkout may reserve)
        assert 'type: "bindings.smtp"' in (root / task / "resources" / "local" / "mailer.yaml").read_text()


# What the agent writes after the call, per task: its files (agent_work/<task>/<name>.txt -> <folder>/<path>), and
# tests that must then pass (its own, and generated ones that now run the real handlers).
WRITTEN: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "notification": (
        {"handlers.py": "app/handlers.py", "test_reminder_email.py": "tests/test_reminder_email.py"},
        ("test_a_due_reminder_is_emailed_once[redis] PASSED", "test_the_job_sends_once_and_publishes[redis] PASSED"),
    ),
    "inventory": (
        {"handlers.py": "app/handlers.py", "test_handlers.py": "tests/test_handlers.py"},
        (
            "test_racing_reservations_never_hold_more_than_capacity[redis] PASSED",
            "test_invoke_reserve_answers_refuses_other_callers[redis] PASSED",
        ),
    ),
}


@pytest.mark.parametrize("task", list(WRITTEN))
def test_the_business_logic_written_after_the_call_passes_every_check(
    report: tuple[dict[str, Any], Path], task: str
) -> None:
    """The agent's next step: handlers.py with the business logic (the notification's reminders by email through
    its binding; the inventory's reservations), and tests for it; nothing else is edited."""
    _, root = report
    folder = root / task
    files, passing = WRITTEN[task]
    for name, path in files.items():
        (folder / path).write_text((WORK / task / f"{name}.txt").read_text())
    tests = run_in(folder, "pytest", "-v", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    for line in passing:
        assert line in tests.stdout, line
    for check in (
        ("mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", "."),
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
    ):
        done = run_in(folder, *check)
        assert done.returncode == 0, (check, done.stdout[-4000:] + done.stderr[-2000:])
    # The app's contract with Dapr, as the generator recorded it: only the user's files differ.
    contract = subprocess.run(  # fixed arguments: our CLI on the folder the agent wrote
        [sys.executable, "-m", "tools.cli", "check", str(folder)],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert contract.returncode == 0, contract.stdout[-4000:] + contract.stderr[-2000:]
