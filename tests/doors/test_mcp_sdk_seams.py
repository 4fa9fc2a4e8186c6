"""The MCP SDK internals `tools._mcp_tools` builds on, pinned directly so that an SDK upgrade that changes them fails
here, by name, instead of silently loosening argument checking.

What the tools rely on: `FuncMetadata(arg_model=_RawArguments)` hands every argument through untouched (unknown names
kept, JSON text not pre-parsed, nothing dropped or defaulted) as one `arguments` dict; a `Tool` built by hand
publishes the schema it was given, not one derived from the argument model; and `Tool.run` routes a call through
that argument model to our callable, whose `ToolError` text reaches the caller.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp_types import CallToolResult

from skill import REGISTRY, Result
from tools._mcp_tools import _RawArguments, build_tools, input_schema

pytestmark = pytest.mark.anyio

RAW: dict[str, Any] = {
    "blocks": '["state"]',  # JSON text: the SDK must not parse it (the tool does, knowing the schema)
    "timeout_seconds": "5",
    "not_an_option": {"nested": [1, 2]},
    "none": None,
}


def test_the_argument_model_hands_every_argument_through_untouched() -> None:
    metadata = FuncMetadata(arg_model=_RawArguments, output_model=Result)
    assert metadata.validate_arguments(dict(RAW)) == {"arguments": RAW}
    assert metadata.validate_arguments({}) == {"arguments": {}}


def _tool(name: str) -> Tool:
    return next(t for t in build_tools() if t.name == name)


@pytest.mark.parametrize("generator", REGISTRY.values(), ids=list(REGISTRY))
def test_a_tool_publishes_the_spec_schema_it_was_given(generator: Any) -> None:
    tool = _tool(generator.tool_name)
    assert tool.parameters == input_schema(generator.spec)
    assert tool.parameters["additionalProperties"] is False
    assert tool.fn_metadata.arg_model is _RawArguments
    assert tool.output_schema is not None
    assert set(tool.output_schema["properties"]) == set(Result.model_fields)


async def test_tool_run_reaches_our_checker_with_the_raw_arguments() -> None:
    tool = _tool("dapr_generate_client")
    context = cast(Any, None)  # our tools take no context (context_kwarg=None)
    with pytest.raises(ToolError) as caught:
        await tool.run({"blocks": ["state"], "colour": "red"}, context)
    assert "colour: is not an argument of dapr_generate_client; valid arguments: blocks" in str(caught.value)
    result = await tool.run({"blocks": '["state"]'}, context, convert_result=True)
    assert isinstance(result, CallToolResult)
    assert not result.is_error
    assert result.structured_content is not None
    assert [f["path"] for f in result.structured_content["files"]] == ["dapr_client.py"]
