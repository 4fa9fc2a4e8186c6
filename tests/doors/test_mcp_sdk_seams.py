"""The MCP SDK internals `tools._mcp_tools` builds on, pinned directly so that an SDK upgrade that changes them fails
here, by name, instead of silently loosening argument checking.

What the tools rely on: `FuncMetadata(arg_model=_RawArguments)` hands every argument through untouched (unknown names
kept, JSON text not pre-parsed, nothing dropped or defaulted) as one `arguments` dict; a `Tool` built by hand
publishes the schema it was given, not one derived from the argument model; and `Tool.run` routes a call through
that argument model to our callable, whose `ToolError` text reaches the caller. For stdio (`tools._stdio`): the
transport hands an unreadable line on as an exception, and the server is driven through its low-level server. For
HTTP (`tools._http`): the app takes the session bounds and the Host/Origin settings, and matches hosts as expected.
"""

from __future__ import annotations

import inspect
import io
from types import SimpleNamespace
from typing import Any, cast

import anyio
import pytest
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp_types import CallToolResult
from pydantic import ValidationError

from skill import REGISTRY
from tools._answer import Answer
from tools._mcp_tools import _RawArguments, build_tools, tool_schema
from tools.mcp_server import build_server

pytestmark = pytest.mark.anyio

RAW: dict[str, Any] = {
    "blocks": '["state"]',  # JSON text: the SDK must not parse it (the tool does, knowing the schema)
    "timeout_seconds": "5",
    "not_an_option": {"nested": [1, 2]},
    "none": None,
}


def test_the_argument_model_hands_every_argument_through_untouched() -> None:
    metadata = FuncMetadata(arg_model=_RawArguments, output_model=Answer)
    assert metadata.validate_arguments(dict(RAW)) == {"arguments": RAW}
    assert metadata.validate_arguments({}) == {"arguments": {}}


def _tool(name: str) -> Tool:
    return next(t for t in build_tools() if t.name == name)


@pytest.mark.parametrize("generator", REGISTRY.values(), ids=list(REGISTRY))
def test_a_tool_publishes_the_spec_schema_it_was_given(generator: Any) -> None:
    tool = _tool(generator.tool_name)
    others = {o.spec.__name__: o.tool_name for o in REGISTRY.values() if o is not generator}
    assert tool.parameters == tool_schema(generator.spec, door=True, others=others, brief=True)
    assert tool.parameters["additionalProperties"] is False
    assert tool.fn_metadata.arg_model is _RawArguments
    assert tool.output_schema == {"type": "object"}  # the fields: the engine's Answer, checked in full by the SDK
    assert tool.fn_metadata.output_model is Answer
    # The roots of a writing call come from the SDK's resolver machinery (roots/list, either protocol era).
    assert set(tool.resolved_params) == {"roots_listed"}


async def test_tool_run_reaches_our_checker_with_the_raw_arguments() -> None:
    tool = _tool("dapr_generate_client")
    # Our tools take no context (context_kwarg=None); the roots resolver reads only the client's capabilities.
    context = cast(Any, SimpleNamespace(client_capabilities=None, protocol_version=None))
    with pytest.raises(ToolError) as caught:
        await tool.run({"blocks": ["state"], "colour": "red"}, context)
    assert "colour: is not an argument of dapr_generate_client (got 'red')" in str(caught.value)
    assert "valid arguments of dapr_generate_client: blocks" in str(caught.value)
    result = await tool.run({"blocks": '["state"]'}, context, convert_result=True)
    assert isinstance(result, CallToolResult)
    assert not result.is_error
    assert result.structured_content is not None
    assert [f["path"] for f in result.structured_content["files"]] == ["dapr_client.py"]


# --- what tools._stdio relies on --------------------------------------------------------------------------------


def test_the_stdio_transport_hands_on_unreadable_lines_as_exceptions() -> None:
    # tools._stdio answers these; the SDK itself only logs them at debug level.
    async def read(lines: str) -> list[object]:
        streams = stdio_server(anyio.wrap_file(io.StringIO(lines)), anyio.wrap_file(io.StringIO()))
        async with streams as (read_stream, write_stream), read_stream, write_stream:
            return [item async for item in read_stream]

    items = anyio.run(read, 'not json\n{"jsonrpc": "2.0", "id": 7, "method": 3}\n')
    assert len(items) == 2
    assert all(isinstance(item, ValidationError) for item in items)
    parse, invalid = cast(list[ValidationError], items)
    assert [e["type"] for e in parse.errors()] == ["json_invalid"]
    assert {"jsonrpc": "2.0", "id": 7, "method": 3} in [e.get("input") for e in invalid.errors()]


def test_the_server_serves_stdio_through_its_lowlevel_server() -> None:
    # tools._stdio drives the low-level server as MCPServer.run_stdio_async does.
    lowlevel = build_server()._lowlevel_server
    assert callable(lowlevel.run)
    assert "read_stream" in inspect.signature(lowlevel.run).parameters
    assert lowlevel.create_initialization_options().server_name == "async-dapr-coder"
    assert "_lowlevel_server.run(" in inspect.getsource(MCPServer.run_stdio_async)


# --- what tools._http relies on ---------------------------------------------------------------------------------


def test_the_http_app_takes_the_session_bounds_and_transport_security() -> None:
    server = build_server()
    settings = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=["h:*"])
    server.streamable_http_app(session_idle_timeout=12.5, max_sessions=3, transport_security=settings)
    manager = server.session_manager
    assert (manager.session_idle_timeout, manager.max_sessions) == (12.5, 3)
    assert manager.security_settings is settings
    with pytest.raises(ValueError, match="max_sessions"):
        build_server().streamable_http_app(max_sessions=0)


@pytest.mark.parametrize(
    ("allowed", "host", "ok"),
    [(["h:*"], "h:8765", True), (["h:*"], "h", False), (["h", "h:*"], "h", True), (["h:80"], "h:81", False)],
)
def test_the_host_check_matches_as_tools_http_expects(allowed: list[str], host: str, ok: bool) -> None:
    settings = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=allowed)
    assert TransportSecurityMiddleware(settings)._validate_host(host) is ok
