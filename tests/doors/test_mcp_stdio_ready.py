"""`dapr-coder mcp` on stdio says on stderr that it is ready (in a terminal it looked hung), and stdout still
carries JSON-RPC only."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from pathlib import Path

HELLO = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}


def test_stdio_server_says_it_is_ready_on_stderr_only() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "mcp"],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        said, _, _ = select.select([proc.stderr], [], [], 60)  # before any client has spoken
        ready = proc.stderr.readline() if said else "(nothing on stderr within 60 s)"
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}) + "\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
    finally:
        out, err = proc.communicate(timeout=30)  # closing stdin ends the server
    assert "serving MCP on stdio" in ready, ready
    assert answer["id"] == 1, answer
    assert answer["result"]["serverInfo"]["name"], answer
    assert proc.returncode == 0, err
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in out.splitlines()), out
