"""Concurrent generation through the MCP server (issue 7, item 1): tools run in the SDK's worker threads, so a few
hundred calls at once, cache hits, fresh renders and bad input mixed, must each get their own right answer.

No timing is asserted: only that every call is answered, correctly, with no failure.
"""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.doors._support import http_server, server, text_of
from tools._answer import Answer
from tools.mcp_server import build_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

BLOCK_SETS = (["state"], ["pubsub", "state"], ["jobs"], ["secrets", "invoke"], ["lock", "configuration"])


def _call(i: int) -> tuple[dict[str, Any], str]:
    """The arguments of call `i` and what its answer must contain."""
    if i % 7 == 0:
        return {"transport": "grpc", "class_name": f"Bad{i}"}, "transport: Input should be"
    if i % 3 == 0:
        return {"blocks": ["state"]}, "class DaprClient"  # the same spec again and again: the cache, under load
    return {"blocks": BLOCK_SETS[i % len(BLOCK_SETS)], "class_name": f"Load{i}"}, f"class Load{i}"


async def _hammer(clients: list[Client], calls: int) -> list[str]:
    """Runs `calls` tool calls at once, spread over `clients`; returns the failures (empty when all went right)."""
    failures: list[str] = []

    async def one(i: int) -> None:
        arguments, needle = _call(i)
        result = await clients[i % len(clients)].call_tool("dapr_generate_client", arguments)
        text = text_of(result)
        bad_input = needle.startswith("transport:")
        if result.is_error != bad_input or needle not in text:
            failures.append(f"call {i} {arguments}: {text[:300]}")
        elif not bad_input:
            entry = Answer.model_validate(result.structured_content).files[0]
            # The code is in the text (or, past the inline budget, behind a link): its hash must be this call's.
            code = text.split(f"# ===== {entry.path} =====\n", 1)[-1] if entry.resource is None else None
            if code is not None and hashlib.sha256(code.encode()).hexdigest() != entry.sha256:
                failures.append(f"call {i}: structured content of another call")

    async with anyio.create_task_group() as tg:
        for i in range(calls):
            tg.start_soon(one, i)
    return failures


async def test_hundreds_of_concurrent_calls_in_memory() -> None:
    async with Client(build_server()) as first, Client(build_server()) as second, Client(server()) as third:
        failures = await _hammer([first, second, third], 300)
    assert failures == []


async def test_concurrent_calls_over_streamable_http() -> None:
    with http_server() as url:
        async with Client(url) as first, Client(url) as second:
            failures = await _hammer([first, second], 120)
    assert failures == []
