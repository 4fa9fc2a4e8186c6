"""Helpers for the front-door tests: one in-memory client per test, on a server built once."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult

from tools.mcp_server import build_server


@functools.cache
def server() -> MCPServer:
    """Built once for the session: building is where the schemas are made, calls must not rebuild them."""
    return build_server()


@asynccontextmanager
async def connected() -> AsyncIterator[Client]:
    async with Client(server()) as client:
        yield client


def text_of(result: CallToolResult) -> str:
    """The text block of a tool result (there is exactly one)."""
    texts = [block.text for block in result.content if block.type == "text"]
    assert len(texts) == 1, result.content
    return texts[0]


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    # The text block of a structured result is ours, never a JSON dump of the structured part.
    with pytest.raises(json.JSONDecodeError):
        json.loads(text_of(result))
    content: dict[str, Any] = result.structured_content
    return content
