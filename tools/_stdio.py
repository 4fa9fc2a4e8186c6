"""The MCP server on stdio, answering lines that are not JSON-RPC messages.

The SDK's stdio transport drops such a line after a debug log, so a client that sent a request on a malformed line
waits for its answer for ever; the HTTP transport answers -32700. Here every such line gets a JSON-RPC error: -32700
(parse error, id null) when it is not JSON, -32600 (invalid request) when it is JSON but not a JSON-RPC message,
with the request's id when one can be read from it.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

__all__ = ["rejection", "run_stdio"]


def _request_id(exc: ValidationError) -> str | int | None:
    """The `id` of the rejected message, if it had a usable one (pydantic reports the object as each error's input)."""
    for error in exc.errors(include_url=False):
        candidate = error.get("input")
        if isinstance(candidate, dict):
            found = candidate.get("id")
            if isinstance(found, str | int) and not isinstance(found, bool):
                return found
    return None


def rejection(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error that answers a line the transport could not read as a message."""
    if isinstance(exc, ValidationError):
        if any(e["type"] == "json_invalid" for e in exc.errors(include_url=False)):
            return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error"))
        message = "Invalid Request: not a JSON-RPC 2.0 request, notification or response"
        return JSONRPCError(jsonrpc="2.0", id=_request_id(exc), error=ErrorData(code=INVALID_REQUEST, message=message))
    return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error"))


async def run_stdio(
    server: MCPServer[Any],
    stdin: anyio.AsyncFile[str] | None = None,
    stdout: anyio.AsyncFile[str] | None = None,
) -> None:
    """Serve `server` on the process's stdin/stdout (or the given streams), until stdin closes."""
    lowlevel = server._lowlevel_server  # what MCPServer.run_stdio_async drives (pinned in test_mcp_sdk_seams)
    async with stdio_server(stdin, stdout) as (transport_in, write_stream):
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def relay() -> None:
            async with send, transport_in:  # the server closes the stream it reads; this one is ours to close
                async for item in transport_in:
                    if isinstance(item, Exception):
                        await write_stream.send(SessionMessage(rejection(item)))
                    else:
                        await send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(relay)
            await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()
