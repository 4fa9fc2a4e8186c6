"""The MCP server under hostile or broken input, and with a defect below the door (issue 7, items 1, 9 and 11):
every answer is a JSON-RPC answer the client can act on, bounded in size, with no traceback for the caller's
mistakes and the documented internal-failure wording for ours."""

from __future__ import annotations

import io
import json
import logging
from typing import Any, cast

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

import tools._mcp_tools
from skill import Result
from tests.doors._support import connected, text_of
from tools._present import MAX_PROBLEMS_SHOWN
from tools._stdio import run_stdio
from tools.mcp_server import build_server

pytestmark = pytest.mark.anyio


def _error(result: Any) -> str:
    assert result.is_error, result
    assert result.structured_content is None
    return text_of(result)


# --- a defect below the door ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "defect",
    [SystemError("AST constructor recursion depth mismatch (before=1, after=2)"), KeyError("files"), RuntimeError()],
    ids=["SystemError", "KeyError", "RuntimeError"],
)
async def test_any_exception_is_the_documented_internal_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, defect: Exception
) -> None:
    def broken(name: str, spec: Any = None, **options: Any) -> Result:
        raise defect

    monkeypatch.setattr(tools._mcp_tools, "generate", broken)
    with caplog.at_level(logging.ERROR, logger="tools._mcp_tools"):
        async with Client(build_server()) as client:
            message = _error(await client.call_tool("dapr_generate_client", {"class_name": "Defect"}))
            assert not (await client.call_tool("dapr_list_snippets", {})).is_error  # still serving
    prefix = "Error executing tool dapr_generate_client: internal failure (not caused by your request): "
    assert message == prefix + f"{type(defect).__name__}: {defect}"
    logged = [r for r in caplog.records if r.name == "tools._mcp_tools" and r.levelno == logging.ERROR]
    assert len(logged) == 1
    assert logged[0].exc_info is not None  # the traceback is in the server's log, for us; not in the answer


# --- bounded errors ------------------------------------------------------------------------------------------


async def test_thousands_of_unknown_arguments_get_a_short_answer() -> None:
    arguments: dict[str, Any] = {f"option_{i}": "x" * 300 for i in range(5000)}
    arguments["y" * 100_000] = 1  # one enormous name
    arguments["transport"] = "grpc"
    request_size = len(json.dumps(arguments))
    async with connected() as client:
        message = _error(await client.call_tool("dapr_generate_client", arguments))
    assert message.count("valid arguments of dapr_generate_client:") == 1
    assert len([line for line in message.splitlines() if line.startswith("  - ")]) == MAX_PROBLEMS_SHOWN
    assert f"  ... and {5002 - MAX_PROBLEMS_SHOWN} more problems not shown" in message
    assert len(message) < 10_000 < request_size


async def test_prompt_argument_errors_are_bounded_and_list_the_valid_names_once() -> None:
    arguments = {f"extra_{i}": "x" * 300 for i in range(500)}
    async with connected() as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("add_scheduled_job", arguments)
    message = str(caught.value)
    assert caught.value.error.code == INVALID_PARAMS
    assert "job_name: is required" in message
    assert message.count("valid arguments of add_scheduled_job: job_name, schedule") == 1
    assert "more problems not shown" in message
    assert len(message) < 10_000


# --- duplicate keys in JSON text ------------------------------------------------------------------------------


async def test_json_text_with_a_key_given_twice_is_rejected_naming_the_key() -> None:
    async with connected() as client:
        message = _error(await client.call_tool("dapr_generate_client", {"blocks": '[{"a": 1, "a": 2}]'}))
    assert "  - blocks: is JSON text in which the key 'a' appears more than once in one object" in message


# --- prompts ------------------------------------------------------------------------------------------------


async def test_an_unknown_prompt_is_invalid_params_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        async with connected() as client:
            with pytest.raises(MCPError) as caught:
                await client.get_prompt("no_such_prompt", {})
    assert caught.value.error.code == INVALID_PARAMS
    assert str(caught.value) == (
        "name: is not a prompt of this server (got 'no_such_prompt'); prompts: new_event_driven_service, "
        "add_pubsub_subscription, add_scheduled_job"
    )
    assert not [r for r in caplog.records if r.exc_info], "a caller's mistake logged a traceback"


# --- stdio: lines that are not JSON-RPC messages -------------------------------------------------------------


class _Lines:
    """Stands in for the stdin file: yields the lines sent to it until closed."""

    def __init__(self) -> None:
        self.send, self._receive = anyio.create_memory_object_stream[str](100)

    def __aiter__(self) -> Any:
        return self._receive.__aiter__()

    def close(self) -> None:
        self.send.close()
        self._receive.close()


class _Answers:
    """Stands in for the stdout file: collects each JSON-RPC message written."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._buffer = io.StringIO()

    async def write(self, text: str) -> None:
        self._buffer.write(text)
        *complete, rest = self._buffer.getvalue().split("\n")
        self.messages += [json.loads(line) for line in complete]
        self._buffer = io.StringIO(rest)
        self._buffer.seek(len(rest))

    async def flush(self) -> None:
        pass

    async def answer(self, request_id: int | str | None, seen: int) -> dict[str, Any]:
        with anyio.fail_after(60):
            while True:
                found = [m for m in self.messages[seen:] if m.get("id") == request_id]
                if found:
                    return found[0]
                await anyio.sleep(0.01)


HELLO = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}


@pytest.mark.parametrize(
    ("line", "code", "answer_id"),
    [
        ("not json", -32700, None),
        ('{"jsonrpc": "2.0", "id": 7, "method": "tools/list"', -32700, None),  # cut short
        ('{"jsonrpc": "2.0", "id": 7, "method": 3}', -32600, 7),
        ('{"jsonrpc": "2.0", "id": "abc", "params": {}}', -32600, "abc"),
        ("[1, 2]", -32600, None),
        ('"just a string"', -32600, None),
    ],
)
async def test_stdio_answers_a_line_that_is_not_a_message(line: str, code: int, answer_id: int | str | None) -> None:
    stdin, stdout = _Lines(), _Answers()
    async with anyio.create_task_group() as tg:
        tg.start_soon(run_stdio, build_server(), cast(Any, stdin), cast(Any, stdout))
        await stdin.send.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}) + "\n")
        await stdout.answer(1, 0)
        await stdin.send.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        seen = len(stdout.messages)
        await stdin.send.send(line + "\n")
        rejected = await stdout.answer(answer_id, seen)
        # ...and the server keeps answering.
        await stdin.send.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}) + "\n")
        listed = await stdout.answer(2, seen)
        stdin.close()
    assert rejected["error"]["code"] == code
    assert "result" in listed
