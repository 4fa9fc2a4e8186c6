"""The MCP server through the SDK's own in-memory client: every tool, resource and prompt, and the errors."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import TextContent, TextResourceContents

import tools._mcp_prompts as prompts_module
import tools._mcp_tools
import tools.mcp_server
from skill import (
    REGISTRY,
    Generator,
    InvalidOutputError,
    Result,
    SnippetCatalog,
    SnippetDetail,
    SnippetError,
    generate,
    list_snippets,
    show_snippet,
)
from skill.plan import Plan
from skill.specs.common import SpecModel
from tests.doors._support import connected, structured, text_of
from tools._answer import INLINE_BUDGET, Answer
from tools._mcp_tools import (
    ANNOTATION_HINTS,
    DOOR_ARGUMENTS,
    GENERATOR_HINTS,
    TOOL_NAMES_BROWSE,
    SnippetPart,
    tool_schema,
)
from tools.mcp_server import CATALOG_URI, build_server

pytestmark = pytest.mark.anyio

GENERATOR_TOOLS = {g.tool_name: g for g in REGISTRY.values()}
SNIPPET_IDS = [s.id for s in list_snippets().snippets]


# --- the tool list -------------------------------------------------------------------------------------------


async def test_one_tool_per_generator_plus_browsing() -> None:
    async with connected() as client:
        names = [t.name for t in (await client.list_tools()).tools]
    assert sorted(names) == sorted([*GENERATOR_TOOLS, *TOOL_NAMES_BROWSE])


async def test_every_tool_is_titled_annotated_read_only_and_has_an_output_schema() -> None:
    async with connected() as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert tool.title, tool.name
        assert tool.description, tool.name
        assert tool.annotations is not None, tool.name
        hints = GENERATOR_HINTS if tool.name in GENERATOR_TOOLS else ANNOTATION_HINTS
        for hint, value in hints.items():
            assert getattr(tool.annotations, hint) is value, (tool.name, hint)
        # Generators write files when given output_dir; browsing never writes.
        assert tool.annotations.read_only_hint is (tool.name not in GENERATOR_TOOLS)
        assert tool.annotations.destructive_hint is False
        assert tool.annotations.idempotent_hint is True
        assert tool.annotations.open_world_hint is False
        assert tool.output_schema is not None, tool.name
        assert tool.output_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False, tool.name


@pytest.mark.parametrize("generator", REGISTRY.values(), ids=list(REGISTRY))
async def test_generator_input_schema_is_its_spec_model(generator: Generator) -> None:
    async with connected() as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == generator.tool_name)
    spec_schema = generator.spec.model_json_schema()
    props = tool.input_schema["properties"]
    # The spec's options, same names and order, then the door's own (never part of the spec model).
    assert list(props) == [*spec_schema["properties"], *DOOR_ARGUMENTS]
    assert not set(DOOR_ARGUMENTS) & set(generator.spec.model_fields)
    for name, prop in props.items():  # what an option means is in dapr-specs://<generator>, read once, when needed
        assert "description" not in prop, f"{generator.name}.{name}"
        assert not {"minimum", "maximum", "minItems"} & set(prop), f"{generator.name}.{name}"  # the outline's
    for name, prop in spec_schema["properties"].items():
        for key in ("type", "enum"):
            if key in prop:
                assert props[name][key] == prop[key], (name, key)
    assert set(tool.input_schema.get("required", [])) == set(spec_schema.get("required", []))
    others = {o.spec.__name__: o.tool_name for o in REGISTRY.values() if o is not generator}
    assert tool.input_schema == tool_schema(generator.spec, door=True, others=others, brief=True)


async def test_client_schema_shows_enums_bounds_and_defaults() -> None:
    async with connected() as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "dapr_generate_client")
    props = tool.input_schema["properties"]
    assert props["transport"]["enum"] == ["auto", "httpx", "aiohttp"]
    assert props["transport"]["default"] == "auto"  # an enum's default stays: it says which value is taken
    assert "pubsub" in props["blocks"]["items"]["enum"]
    # Bounds, numbers' defaults and a long list's default are in the outline, which the description names.
    assert props["timeout_seconds"] == {"type": "number"}
    assert "default" not in props["blocks"]
    async with connected() as client:
        (outline,) = (await client.read_resource("dapr-specs://client")).contents
    assert isinstance(outline, TextResourceContents)
    assert "timeout_seconds: float (0.001..600) = 30.0" in outline.text
    assert "max_retries: int (0..10) = 3" in outline.text
    assert '"dapr_client"' in outline.text


async def test_output_schemas_are_the_engine_models() -> None:
    async with connected() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}

    def properties(name: str) -> set[str]:
        schema = tools[name].output_schema
        assert schema is not None
        return set(schema["properties"])

    # An object, named once: the fields are the engine's models, each answer checked against them in full.
    for name in [*GENERATOR_TOOLS, "dapr_list_snippets", "dapr_show_snippet"]:
        assert tools[name].output_schema == {"type": "object"}, name
    async with connected() as client:
        listed = await client.call_tool("dapr_list_snippets", {})
        shown = await client.call_tool("dapr_show_snippet", {"id": "client/dapr_client"})
        made = await client.call_tool("dapr_generate_models", {})
    assert set(structured(listed)) <= set(SnippetCatalog.model_fields)
    assert set(structured(shown)) <= set(SnippetPart.model_fields)
    assert set(structured(made)) <= set(Answer.model_fields)
    assert SnippetPart.model_validate(structured(shown)).id == "client/dapr_client"


# --- generator calls -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("generator", REGISTRY.values(), ids=list(REGISTRY))
async def test_generator_defaults_give_the_engine_result_and_readable_text(generator: Generator) -> None:
    expected = generate(generator.name)
    async with connected() as client:
        result = await client.call_tool(generator.tool_name, {})
        answer = Answer.model_validate(structured(result))
        text = text_of(result)
        links = {block.uri: block for block in result.content if block.type == "resource_link"}
        # Each file once: in the text, or (past the inline budget) behind a resource link, never in both parts.
        for f, entry in zip(expected.files, answer.files, strict=True):
            assert (entry.path, entry.lines, entry.language) == (f.path, f.content.count("\n"), f.language)
            assert entry.sha256 == hashlib.sha256(f.content.encode()).hexdigest()
            if entry.resource is None:
                assert f.content in text
            else:
                assert entry.resource in links
                assert f.content not in text
                read = await client.read_resource(entry.resource)
                assert isinstance(read.contents[0], TextResourceContents)
                assert read.contents[0].text == f.content
    assert bool(links) == (sum(len(f.content) for f in expected.files) > INLINE_BUDGET)
    assert len(text) <= INLINE_BUDGET
    assert answer.requirements == expected.requirements
    assert answer.notes == expected.notes
    for requirement in answer.requirements:
        assert requirement in text


async def test_client_options_reach_the_engine() -> None:
    args: dict[str, Any] = {"blocks": ["state"], "module": "orders_dapr", "class_name": "OrdersDapr"}
    async with connected() as client:
        result = await client.call_tool("dapr_generate_client", args)
    answer = Answer.model_validate(structured(result))
    expected = generate("client", args)
    assert [f.path for f in answer.files] == ["orders_dapr.py"]
    assert answer.files[0].sha256 == hashlib.sha256(expected.files[0].content.encode()).hexdigest()
    assert "class OrdersDapr" in text_of(result)


async def test_list_arguments_sent_as_json_text_are_accepted() -> None:
    # Some clients send arrays as JSON strings; the SDK pre-parses those for its own models, and so do we.
    async with connected() as client:
        as_text = await client.call_tool("dapr_generate_client", {"blocks": '["state", "pubsub"]'})
        as_list = await client.call_tool("dapr_generate_client", {"blocks": ["state", "pubsub"]})
    assert structured(as_text) == structured(as_list)


# --- bad input ----------------------------------------------------------------------------------------------


async def test_json_text_too_deep_to_parse_is_the_callers_error_not_a_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError, not ValueError
    async with connected() as client:
        message = _error(await client.call_tool("dapr_generate_client", {"blocks": deep}))
    assert "blocks: Input should be a valid list" in message


def _error(result: Any) -> str:
    assert result.is_error, result
    assert result.structured_content is None
    return text_of(result)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ({"transport": "grpc"}, ["transport: Input should be 'auto', 'httpx' or 'aiohttp'", "(got 'grpc')"]),
        ({"timeout_seconds": 601}, ["timeout_seconds: Input should be less than or equal to 600", "(got 601)"]),
        ({"max_retries": -1}, ["max_retries: Input should be greater than or equal to 0"]),
        ({"max_connections": "lots"}, ["max_connections: Input should be a valid integer"]),
        ({"blocks": ["state", "kafka"]}, ["blocks.1: Input should be 'state'", "(got 'kafka')"]),
        ({"blocks": []}, ["blocks: List should have at least 1 item"]),
        ({"class_name": "my client"}, ["class_name: must be a PascalCase class name"]),
        ({"backoff_initial_seconds": 2, "backoff_max_seconds": 1}, ["backoff_max_seconds: must be at least"]),
    ],
)
async def test_bad_values_name_the_field_and_the_rule(args: dict[str, Any], needles: list[str]) -> None:
    async with connected() as client:
        message = _error(await client.call_tool("dapr_generate_client", args))
    assert message.startswith("Error executing tool dapr_generate_client: invalid arguments")
    for needle in needles:
        assert needle in message


async def test_unknown_argument_is_rejected_with_the_valid_names() -> None:
    async with connected() as client:
        message = _error(await client.call_tool("dapr_generate_client", {"colour": "red", "timeout": 5}))
    assert "  - colour: is not an argument of dapr_generate_client (got 'red')" in message
    assert "  - timeout: is not an argument of dapr_generate_client (got 5)" in message
    assert message.count("valid arguments of") == 1  # once per error, not once per unknown name
    valid = message.rsplit("\nvalid arguments of dapr_generate_client: ", 1)[1]
    assert valid.split(", ") == [*REGISTRY["client"].spec.model_fields, *DOOR_ARGUMENTS]


async def test_unknown_argument_is_rejected_even_when_the_rest_is_valid() -> None:
    async with connected() as client:
        message = _error(await client.call_tool("dapr_generate_client", {"blocks": ["state"], "verbose": True}))
    assert "verbose: is not an argument" in message
    assert "blocks" not in message.split("valid arguments of")[0]  # the valid argument is not reported


async def test_every_problem_is_reported_at_once() -> None:
    async with connected() as client:
        message = _error(
            await client.call_tool("dapr_generate_client", {"transport": "x", "max_retries": 99, "extra": 1})
        )
    assert re.findall(r"^  - (\w+):", message, flags=re.MULTILINE) == ["extra", "transport", "max_retries"]


@pytest.mark.parametrize("tool", TOOL_NAMES_BROWSE)
async def test_browsing_tools_reject_unknown_arguments_too(tool: str) -> None:
    args = {"colour": "red"} if tool == "dapr_list_snippets" else {"id": "client/dapr_client", "colour": "red"}
    async with connected() as client:
        message = _error(await client.call_tool(tool, args))
    assert f"colour: is not an argument of {tool} (got 'red')" in message
    assert f"\nvalid arguments of {tool}: " in message


async def test_the_server_stays_up_after_errors() -> None:
    async with connected() as client:
        for args in ({"transport": "x"}, {"nope": 1}, {"timeout_seconds": "soon"}):
            assert (await client.call_tool("dapr_generate_client", args)).is_error
        unknown = await client.call_tool("dapr_no_such_tool", {})
        assert unknown.is_error
        assert "Unknown tool" in text_of(unknown)
        assert not (await client.call_tool("dapr_list_snippets", {})).is_error


# --- browsing tools -----------------------------------------------------------------------------------------


async def test_list_snippets_is_the_catalog() -> None:
    async with connected() as client:
        every = await client.call_tool("dapr_list_snippets", {})
        client_only = await client.call_tool("dapr_list_snippets", {"kind": "client"})
        explicit_none = await client.call_tool("dapr_list_snippets", {"kind": None})
    assert SnippetCatalog.model_validate(structured(every)) == list_snippets()
    assert SnippetCatalog.model_validate(structured(client_only)) == list_snippets("client")
    assert structured(explicit_none) == structured(every)
    assert "client/dapr_client" in text_of(every)


async def test_list_snippets_rejects_an_unknown_kind() -> None:
    async with connected() as client:
        message = _error(await client.call_tool("dapr_list_snippets", {"kind": "kafka"}))
    assert "kind: Input should be 'client'" in message
    assert "(got 'kafka')" in message


@pytest.mark.parametrize("snippet_id", SNIPPET_IDS)
async def test_show_snippet_gives_source_and_default_rendering(snippet_id: str) -> None:
    detail = show_snippet(snippet_id)
    assert detail.rendered, "a snippet of a registered generator renders with its defaults"
    async with connected() as client:
        header = await client.call_tool("dapr_show_snippet", {"id": snippet_id})
        assert SnippetPart.model_validate(structured(header)).part == "header"
        assert detail.source not in text_of(header)
        assert "part 'template'" in text_of(header)  # says how to get the rest
        for part, body in (
            ("template", detail.source),
            ("rendered", "".join(f"# ===== {f.path} =====\n{f.content}" for f in detail.rendered)),
        ):
            result = await client.call_tool("dapr_show_snippet", {"id": snippet_id, "part": part})
            answer = SnippetPart.model_validate(structured(result))
            assert answer.chars == len(body)
            assert len(text_of(result)) <= INLINE_BUDGET
            if answer.resource is None:
                assert body in text_of(result)
            else:  # too big to answer: a link that reads back the whole part
                assert [b.uri for b in result.content if b.type == "resource_link"] == [answer.resource]
                read = await client.read_resource(answer.resource)
                assert isinstance(read.contents[0], TextResourceContents)
                assert read.contents[0].text in (body, detail.source, *(f.content for f in detail.rendered))


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            {"id": "client/no_such"},
            ["id: is not a snippet id (list them with dapr_list_snippets", "(got 'client/no_such')"],
        ),
        ({"id": "../../etc/passwd"}, ["id: is not a snippet id"]),
        ({"id": ""}, ["id: String should have at least 1 character"]),
        ({}, ["id: Field required"]),
    ],
)
async def test_show_snippet_errors(args: dict[str, Any], needles: list[str]) -> None:
    async with connected() as client:
        message = _error(await client.call_tool("dapr_show_snippet", args))
    for needle in needles:
        assert needle in message


# --- resources ----------------------------------------------------------------------------------------------


async def test_catalog_resource() -> None:
    async with connected() as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        read = await client.read_resource(CATALOG_URI)
    assert listed[CATALOG_URI].mime_type == "application/json"
    (content,) = read.contents
    assert isinstance(content, TextResourceContents)
    assert SnippetCatalog.model_validate(json.loads(content.text)) == list_snippets()


async def test_resource_templates_are_listed() -> None:
    async with connected() as client:
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
    assert templates == {
        "dapr-snippets://{kind}/{name}",
        "dapr-snippets://{kind}/{name}/rendered",
        "dapr-specs://{generator}",
        "dapr-specs://{generator}/schema",
    }
    # Snippets and generators' options are reached through the templates, not listed one by one.
    assert listed == {CATALOG_URI}


@pytest.mark.parametrize("snippet_id", SNIPPET_IDS)
async def test_snippet_resources(snippet_id: str) -> None:
    detail = show_snippet(snippet_id)
    async with connected() as client:
        (source_item,) = (await client.read_resource(f"dapr-snippets://{snippet_id}")).contents
        (rendered_item,) = (await client.read_resource(f"dapr-snippets://{snippet_id}/rendered")).contents
    assert isinstance(source_item, TextResourceContents)
    assert isinstance(rendered_item, TextResourceContents)
    source, rendered = source_item.text, rendered_item.text
    assert source == detail.source
    assert all(f.content in rendered for f in detail.rendered)


@pytest.mark.parametrize(
    "uri",
    [
        "dapr-snippets://client/no_such",
        "dapr-snippets://client/no_such/rendered",
        "dapr-snippets://client/..",  # refused by the SDK's path-safety check
        "dapr-snippets://client/%2E%2E",
        "dapr-snippets://../etc",
        "dapr-snippets://client/a%2Fb",
        "dapr-snippets://nothing-here",
    ],
)
async def test_unknown_or_unsafe_resources_are_errors(uri: str) -> None:
    async with connected() as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource(uri)
        assert not (await client.call_tool("dapr_list_snippets", {})).is_error
    message = str(caught.value)
    assert "Unknown resource" in message or "is not a snippet id" in message


# --- prompts ------------------------------------------------------------------------------------------------

PROMPTS = {
    "new_event_driven_service": {"service_name": "order-processor", "publishes": "orders"},
    "add_pubsub_subscription": {"topic": "orders", "dead_letter_topic": "orders-dlq"},
    "add_scheduled_job": {"job_name": "nightly-report", "schedule": "0 0 2 * * *"},
}
TOOL_TOKEN = re.compile(r"\bdapr_(?:generate|list|show)_[a-z_]+\b")


async def test_prompts_are_listed_with_titles_and_arguments() -> None:
    async with connected() as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(listed) == set(PROMPTS)
    for name, prompt in listed.items():
        assert prompt.title, name
        assert prompt.description, name
        assert {a.name for a in prompt.arguments or []} >= set(PROMPTS[name])
        assert all(a.description for a in prompt.arguments or [])


@pytest.mark.parametrize("name", PROMPTS)
async def test_prompts_name_only_tools_that_exist(name: str) -> None:
    async with connected() as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        result = await client.get_prompt(name, PROMPTS[name])
    (message,) = result.messages
    assert isinstance(message.content, TextContent)
    text = message.content.text
    mentioned = set(TOOL_TOKEN.findall(text))
    assert mentioned <= tools, mentioned - tools
    if name == "new_event_driven_service":  # one call does it all: the parts are not recommended
        steps = text.split("Generators on this server:")[0]
        assert set(TOOL_TOKEN.findall(steps)) == {"dapr_generate_service"}
        assert steps.count("Call `dapr_generate_service`") == 1
    else:
        assert {"dapr_list_snippets", "dapr_generate_client"} <= mentioned
    for value in PROMPTS[name].values():
        assert value in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({}, "service_name: is required (Its Dapr app id.)"),
        (
            {"service_name": "a", "topic": "b"},
            "  - topic: is not an argument of prompt new_event_driven_service\nvalid",
        ),
    ],
)
async def test_prompt_argument_errors_name_the_argument(args: dict[str, str], needle: str) -> None:
    async with connected() as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("new_event_driven_service", args)
        assert not (await client.call_tool("dapr_list_snippets", {})).is_error
    assert needle in str(caught.value)


def test_prompts_follow_the_registry_as_generators_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    earlier = {k: v for k, v in REGISTRY.items() if k != "service"}
    monkeypatch.setattr(prompts_module, "REGISTRY", earlier)  # the engine's registry is read-only
    before = prompts_module.new_event_driven_service("svc")
    assert "No `service` generator on this server yet" in before
    assert "dapr_generate_service" not in before
    assert "Call `dapr_generate_endpoint`" in before  # landed: named, not described by hand
    monkeypatch.setattr(prompts_module, "REGISTRY", REGISTRY)
    today = prompts_module.new_event_driven_service("svc")
    assert "Call `dapr_generate_service`" in today
    assert "No `service` generator" not in today
    assert "`dapr_generate_service`" in today.rsplit("Generators on this server:", 1)[1]


async def test_new_generators_become_tools_with_no_server_edit() -> None:
    class FakeSpec(SpecModel):
        """Options of a stand-in generator."""

        depth: int = 2
        """How deep."""

    fake = Generator(name="fake", title="Fake", description="A stand-in.", spec=FakeSpec, plan=lambda _: Plan(files=[]))
    async with Client(build_server({**REGISTRY, "fake": fake})) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        message = _error(await client.call_tool("dapr_generate_fake", {"depth": "deep"}))
        (spec,) = (await client.read_resource("dapr-specs://fake/schema")).contents
        (outline,) = (await client.read_resource("dapr-specs://fake")).contents
    assert tools["dapr_generate_fake"].input_schema["properties"]["depth"]["type"] == "integer"
    assert isinstance(spec, TextResourceContents)
    assert json.loads(spec.text)["properties"]["depth"]["description"] == "How deep."
    assert isinstance(outline, TextResourceContents)
    assert "depth: int = 2 - How deep" in outline.text
    assert "depth: Input should be a valid integer" in message


async def test_server_instructions_name_the_generators() -> None:
    async with connected() as client:
        instructions = client.instructions or ""
    for tool in GENERATOR_TOOLS:
        assert tool in instructions


async def test_a_repeated_spec_is_answered_without_rendering_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting(name: str, spec: Any = None, **options: Any) -> Result:
        calls.append(name)
        return generate(name, spec, **options)

    monkeypatch.setattr(tools._mcp_tools, "generate", counting)
    async with Client(build_server()) as client:
        first = await client.call_tool("dapr_generate_client", {"blocks": ["state"]})
        again = await client.call_tool("dapr_generate_client", {"blocks": ["state"]})
        other = await client.call_tool("dapr_generate_client", {"blocks": ["state"], "class_name": "Other"})
    assert structured(first) == structured(again)
    assert structured(other) != structured(first)
    assert calls == ["client", "client"]  # the first call and the different spec; the repeat came from the cache


async def test_an_engine_defect_is_reported_as_ours_not_the_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str, spec: Any = None, **options: Any) -> Result:
        raise InvalidOutputError("dapr_client.py", ["dapr_client.py:1:1 F401 unused import"])

    def broken_show(snippet_id: str) -> SnippetDetail:
        raise SnippetError("rendering client/dapr_client.py.jinja failed")

    monkeypatch.setattr(tools._mcp_tools, "generate", broken)
    monkeypatch.setattr(tools.mcp_server, "show_snippet", broken_show)
    async with Client(build_server()) as client:
        message = _error(await client.call_tool("dapr_generate_client", {}))
        with pytest.raises(MCPError) as caught:
            await client.read_resource("dapr-snippets://client/dapr_client")
    assert message.startswith("Error executing tool dapr_generate_client: internal failure (not caused by your")
    assert "invalid arguments" not in message
    assert "F401" in message
    assert "internal failure (not caused by your request): rendering client/dapr_client.py.jinja" in str(caught.value)


def test_the_served_process_tunes_its_garbage_collector() -> None:
    # In a child process: the test process's own collector must stay as it is.
    code = (
        "import gc; from tools.mcp_server import tune_gc; tune_gc(); "
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert run.stdout.split() == ["20000", "True"]
