"""Helpers for the front-door tests: one in-memory client per test, on a server built once."""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult

from tools import _http
from tools._http import Exposure
from tools.mcp_server import build_server


@functools.cache
def server() -> MCPServer[Any]:
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


@contextmanager
def http_server(exposure: Exposure | None = None, mcp_server: MCPServer[Any] | None = None) -> Iterator[str]:
    """`dapr-coder mcp --http` in a thread of this process, on a free loopback port; yields the /mcp URL.

    Built the way `serve` builds it (`build_app`, `listen`, uvicorn), so the Host/Origin check, the session bounds
    and the token are the real ones.
    """
    import uvicorn

    who = exposure or _http.exposure("127.0.0.1", allow_remote=False, allowed_hosts=(), token=None, token_env=None)
    sock = _http.listen("127.0.0.1", 0)
    app = _http.build_app(mcp_server or build_server(), who)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not runner.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the in-process HTTP server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    finally:
        runner.should_exit = True
        thread.join(timeout=30)
        sock.close()
