"""`dapr-coder mcp` as a separate process, driven by a client this project did not write: the official TypeScript
SDK (tests/doors/external_client.mjs), over stdio and over streamable HTTP. The Python code it gets back must pass
ruff with the engine's own rule set."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from skill import REGISTRY
from skill._ruff import ruff_argv
from tests.runtime.processes import free_port
from tools._answer import Answer, written_budget
from tools._mcp_tools import ANNOTATION_HINTS, GENERATOR_HINTS, TOOL_NAMES_BROWSE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "tests" / "doors" / "external_client.mjs"
TIMEOUT = 120


def _server_command() -> list[str]:
    script = Path(sys.executable).parent / "dapr-coder"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tools.cli"]


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("node is not on PATH: install Node.js 20+ to run the external MCP client")
    if not (ROOT / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        pytest.fail("node_modules/@modelcontextprotocol/sdk is missing: run `npm ci` in the repository root")
    return path


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A root the client declares, a folder outside it, and a symlink in the root that leads there."""
    root, outside = tmp_path / "workspace", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    return root, outside


def _run_client(node: str, *args: str, root: Path, outside: Path) -> dict[str, Any]:
    env = {**os.environ, "ROOT_DIR": str(root), "OUTSIDE_DIR": str(outside)}
    done = subprocess.run(
        [node, str(CLIENT), *args], capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, check=False, env=env
    )
    assert done.returncode == 0, f"external client failed:\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _ruff(subcommand: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(ruff_argv(subcommand, *args), capture_output=True, text=True, cwd=cwd, check=False)


def _python_by_project(gen: Path) -> dict[Path, list[str]]:
    """The Python files under `gen`, by the folder of the nearest pyproject.toml above them (else their generator's
    folder, `gen/<tool>`)."""
    found: dict[Path, list[str]] = {}
    for path in sorted(gen.rglob("*.py")):
        tool = gen / path.relative_to(gen).parts[0]
        project = next((d for d in path.parents if (d / "pyproject.toml").is_file() and d.is_relative_to(tool)), tool)
        found.setdefault(project, []).append(str(path))
    assert len(found) >= len(REGISTRY) - 1, found  # components writes no Python
    return found


def _check_report(report: dict[str, Any], root: Path, outside: Path) -> None:
    assert report["server"]["name"] == "async-dapr-coder"
    tools = {t["name"]: t for t in report["tools"]}
    assert set(tools) == {g.tool_name for g in REGISTRY.values()} | set(TOOL_NAMES_BROWSE)
    camel = {"read_only_hint": "readOnlyHint", "destructive_hint": "destructiveHint"}
    camel |= {"idempotent_hint": "idempotentHint", "open_world_hint": "openWorldHint"}
    generators = {g.tool_name for g in REGISTRY.values()}
    for name, tool in tools.items():
        assert tool["title"]
        assert tool["hasOutputSchema"]
        assert tool["inputSchema"]["additionalProperties"] is False
        for hint, value in (GENERATOR_HINTS if name in generators else ANNOTATION_HINTS).items():
            assert tool["annotations"][camel[hint]] is value

    # Every tool was called; every generator's Python passes ruff with the engine's strict rules.
    assert set(report["calls"]) == set(tools)
    for name, call in report["calls"].items():
        assert not call["isError"], (name, call["text"])
        assert call["text"]
    # Every generator wrote into the declared root, answering with paths and hashes within the budget; the
    # Python it wrote passes ruff with the engine's strict rules.
    for g in REGISTRY.values():
        call = report["written"][g.tool_name]
        assert not call["isError"], call["text"]
        assert len(call["text"]) <= written_budget(g.name)
        answer = Answer.model_validate(call["structuredContent"])
        for f in answer.files:
            path = Path(answer.folder or "/", f.path)
            assert path.is_relative_to(root / "gen" / g.tool_name), path
            assert hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256
    # Every Python file written (a big answer counts some per folder instead of listing them), checked from the
    # project it belongs to, as its user runs ruff: what is first-party (`app`, `tests`) depends on where that is.
    for project, files in _python_by_project(root / "gen").items():
        check = _ruff("check", *files, cwd=project)
        assert check.returncode == 0, check.stdout + check.stderr
        fmt = _ruff("format", "--check", *files, cwd=project)
        assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    for way, call in report["escapes"].items():  # "..", an absolute path elsewhere, a symlink: all refused
        assert call["isError"], way
        assert "output_dir:" in call["text"], way
        assert str(root) in call["text"], way
    assert list(outside.iterdir()) == []
    assert report["editedKept"]["isError"]
    assert "force" in report["editedKept"]["text"]
    assert not report["editedForced"]["isError"], report["editedForced"]["text"]
    assert "edited by the user" not in (root / "gen" / "dapr_generate_client" / "dapr_client.py").read_text()
    shown = report["calls"]["dapr_show_snippet"]["structuredContent"]
    assert shown["id"] in {s["id"] for s in report["calls"]["dapr_list_snippets"]["structuredContent"]["snippets"]}

    # Errors come back as tool errors that name the argument and the rule; the server keeps answering.
    errors = report["errors"]
    assert all(e["isError"] for e in errors.values())
    assert "colour: is not an argument of dapr_list_snippets" in errors["unknownArgument"]["text"]
    assert "valid arguments of dapr_list_snippets: kind" in errors["unknownArgument"]["text"]
    assert "kind: Input should be" in errors["badKind"]["text"]
    assert "id: is not a snippet id" in errors["unknownSnippet"]["text"]
    assert "timeout_seconds: Input should be less than or equal to 600" in errors["outOfRange"]["text"]
    assert not report["afterErrors"]["isError"]

    assert report["resources"] == ["dapr-snippets://catalog"]
    assert set(report["resourceTemplates"]) == {
        "dapr-snippets://{kind}/{name}",
        "dapr-snippets://{kind}/{name}/rendered",
        "dapr-specs://{generator}",
        "dapr-specs://{generator}/schema",
    }
    # What an agent reads to fill a service's options: the outline, the JSON Schema behind it.
    assert report["specs"]["outline"]["mimeType"] == "text/plain"
    assert report["specs"]["outline"]["text"].startswith("dapr_generate_service options")
    assert "subscriptions: list[SubscriptionSpec]" in report["specs"]["outline"]["text"]
    assert json.loads(report["specs"]["schema"]["text"])["properties"]["subscriptions"]["type"] == "array"
    assert report["catalog"]["snippets"]
    assert report["snippetSource"].startswith("{#")
    assert set(report["prompts"]) == {"new_event_driven_service", "add_pubsub_subscription", "add_scheduled_job"}
    for name, text in report["prompts"].items():  # a new service: the one call that does it, not browsing first
        assert ("dapr_generate_service" if name == "new_event_driven_service" else "dapr_list_snippets") in text
        assert "dapr_generate_service" in text.split("\n2. ")[0], name  # the first step: the service generator


def test_typescript_sdk_over_stdio(node: str, tmp_path: Path) -> None:
    root, outside = _workspace(tmp_path)
    _check_report(_run_client(node, "stdio", *_server_command(), "mcp", root=root, outside=outside), root, outside)


@pytest.fixture
def http_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [*_server_command(), "mcp", "--http", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dapr-coder mcp --http exited early:\n{proc.communicate()[1]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("dapr-coder mcp --http did not open its port within 30 s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        assert out == "", "the HTTP server printed to stdout"


def test_typescript_sdk_over_streamable_http(node: str, http_server: str, tmp_path: Path) -> None:
    root, outside = _workspace(tmp_path)
    _check_report(_run_client(node, "http", http_server, root=root, outside=outside), root, outside)


def _readline(stream: IO[str], timeout: float = 60) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"no answer on stdout within {timeout} s")


def test_stdio_stdout_carries_only_protocol_messages() -> None:
    def call(request_id: int, arguments: dict[str, Any]) -> dict[str, Any]:
        params = {"name": "dapr_generate_client", "arguments": arguments}
        return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}

    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}
    requests: list[dict[str, Any] | str] = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        call(2, {"x": 1}),
        "this line is not JSON",  # answered with a parse error (id null), not dropped
        call(3, {}),
    ]
    proc = subprocess.Popen(
        [*_server_command(), "mcp"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    responses: dict[int | None, Any] = {}
    try:
        for request in requests:
            proc.stdin.write((request if isinstance(request, str) else json.dumps(request)) + "\n")
            proc.stdin.flush()
            if isinstance(request, str) or "id" in request:
                line = _readline(proc.stdout)
                message = json.loads(line)  # anything else on stdout would break every stdio client
                responses[message["id"]] = message
        rest, _ = proc.communicate(timeout=30)  # closes stdin: the server must then exit
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert rest.strip() == ""
    assert responses[2]["result"]["isError"] is True
    assert "x: is not an argument" in responses[2]["result"]["content"][0]["text"]
    assert responses[None]["error"]["code"] == -32700
    assert responses[3]["result"]["isError"] is False
    assert responses[3]["result"]["structuredContent"]["kind"] == "client"
