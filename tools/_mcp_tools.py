"""The MCP tools, built once from the engine's registry.

Each tool publishes an input schema taken from a Pydantic model (a generator's spec model, or the small argument
models of the browsing tools), so enums, bounds, defaults and descriptions are stated once, in the model. The SDK
would check arguments against a model of the function signature and silently drop names it does not know; here
the SDK hands every argument through untouched (`_RawArguments`) and the tool checks them itself, so that:

- an unknown argument name is an error that lists the valid names (once per error, however many are unknown);
- a key given twice in JSON text is an error naming the key, not "the last one wins";
- a bad value is reported by the engine's own `SpecError` problems (field, value, rule), all at once;
- the text the agent reads is ours, not a Pydantic dump.
"""

from __future__ import annotations

import logging
import threading
import typing
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic_core
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from skill import (
    REGISTRY,
    FieldProblem,
    Generator,
    Result,
    SnippetCatalog,
    SnippetDetail,
    SpecError,
    generate,
    list_snippets,
    parse_spec,
    show_snippet,
)
from tools import _json as strict_json
from tools._present import detail_text, internal_failure, problem_lines, result_text

__all__ = ["ANNOTATION_HINTS", "LIST_TOOL", "SHOW_TOOL", "TOOL_NAMES_BROWSE", "build_tools", "input_schema"]

# Every tool only renders text: nothing is written, nothing outside this process is touched.
ANNOTATION_HINTS: Mapping[str, bool] = {
    "read_only_hint": True,
    "destructive_hint": False,
    "idempotent_hint": True,
    "open_world_hint": False,
}
_log = logging.getLogger(__name__)
LIST_TOOL = "dapr_list_snippets"
SHOW_TOOL = "dapr_show_snippet"
TOOL_NAMES_BROWSE = (LIST_TOOL, SHOW_TOOL)


class _RawArguments(ArgModelBase):
    """Takes every argument as given and passes them on as one dict: the tool checks them (see module doc)."""

    model_config = ConfigDict(extra="allow")  # merged with ArgModelBase's own config

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of `model` as a tool's input schema: closed to unknown names, every default shown."""
    schema = model.model_json_schema()
    properties: dict[str, Any] = schema.setdefault("properties", {})
    for name, info in model.model_fields.items():
        prop = properties.get(info.alias or name)
        if (
            prop is None
            or "default" in prop
            or info.default_factory is None
            or info.default_factory_takes_validated_data
        ):
            continue
        prop["default"] = pydantic_core.to_jsonable_python(info.get_default(call_default_factory=True))
    schema["additionalProperties"] = False
    return schema


def _wants_json(prop: Mapping[str, Any]) -> bool:
    """Whether a property takes a list or an object (some clients send those as JSON text)."""
    if prop.get("type") in ("array", "object") or "$ref" in prop:
        return True
    return any(_wants_json(arm) for arm in prop.get("anyOf", ()))


def _bad_input(tool: str, problems: list[FieldProblem], valid: str | None = None) -> ToolError:
    tail = f"\nvalid arguments of {tool}: {valid}" if valid is not None else ""
    return ToolError(f"invalid arguments (fix them and call {tool} again):\n{problem_lines(problems)}{tail}")


@dataclass(frozen=True)
class _Door:
    """One tool: its schema (built once), its checker and its runner."""

    name: str
    title: str
    description: str
    schema: dict[str, Any]
    output: type[BaseModel]
    check: Callable[[dict[str, Any]], object]  # raises SpecError; returns what `run` takes
    run: Callable[[Any], tuple[BaseModel, str]]

    def __call__(self, arguments: dict[str, Any]) -> CallToolResult:
        try:
            return self._answer(arguments)
        except ToolError:
            raise
        except Exception as exc:
            # Input was checked first, so anything else is ours (a snippet, ruff, a defect in the engine or in this
            # door), never the caller's to fix: the documented wording, not the SDK's bare "Error executing tool".
            _log.exception("%s failed", self.name)
            raise ToolError(internal_failure(exc)) from exc

    def _answer(self, arguments: dict[str, Any]) -> CallToolResult:
        properties: dict[str, Any] = self.schema["properties"]
        problems = [
            FieldProblem.of([name], value, f"is not an argument of {self.name}")
            for name, value in arguments.items()
            if name not in properties
        ]
        valid = (", ".join(properties) or "none") if problems else None  # listed once, not once per unknown name
        known = {}
        for name, value in arguments.items():
            if name not in properties:
                continue
            if isinstance(value, str) and _wants_json(properties[name]):
                try:
                    value = strict_json.loads(value)
                except strict_json.DuplicateKeyError as exc:
                    problems.append(FieldProblem.of([name], value, f"is JSON text in which {exc}"))
                    continue
                except (ValueError, RecursionError):  # not JSON (or too deep): the model reports it
                    pass
            known[name] = value
        try:
            checked = self.check(known)
        except SpecError as exc:
            raise _bad_input(self.name, [*problems, *exc.problems], valid) from None
        if problems:
            raise _bad_input(self.name, problems, valid)
        try:
            model, text = self.run(checked)
        except SpecError as exc:
            raise _bad_input(self.name, list(exc.problems)) from None
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=model.model_dump(mode="json")
        )

    def tool(self) -> Tool:
        return Tool(
            fn=self,
            name=self.name,
            title=self.title,
            description=self.description,
            parameters=self.schema,
            fn_metadata=FuncMetadata(arg_model=_RawArguments, output_model=self.output),
            is_async=False,  # the engine runs ruff as a subprocess: keep it off the event loop
            context_kwarg=None,
            annotations=ToolAnnotations(title=self.title, **ANNOTATION_HINTS),
        )


class _Recent:
    """The last few results of one generator, by spec. Output is deterministic (same spec, same bytes), so an
    agent that asks again (or a second agent on the same server) gets the answer without re-running ruff."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[Result, str]] = OrderedDict()
        self._lock = threading.Lock()  # tools run in worker threads

    def get(self, key: str) -> tuple[Result, str] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: str, value: tuple[Result, str]) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def _generator_door(g: Generator, registry: Mapping[str, Generator]) -> _Door:
    recent = _Recent()

    def check(arguments: dict[str, Any]) -> object:
        return parse_spec(g.name, arguments, registry)

    def run(spec: Any) -> tuple[BaseModel, str]:
        key = spec.model_dump_json()  # every field, defaults included: `{}` and the spelled-out defaults match
        hit = recent.get(key)
        if hit is None:
            result: Result = generate(g.name, spec, registry=registry)
            hit = (result, result_text(result))
            recent.put(key, hit)
        return hit

    schema = input_schema(g.spec)
    required = schema.get("required", [])
    which = f"required: {', '.join(required)}; the rest have defaults" if required else "all have defaults"
    description = (
        f"{g.description}\n\nArguments are the {g.name} spec's options, the same JSON as `dapr-coder generate "
        f"{g.name} --spec FILE` ({which}). Returns the files (path, content), the requirements they import, "
        "notes, and the lint status. Nothing is written to disk: write the files yourself."
    )
    return _Door(g.tool_name, g.title, description, schema, Result, check, run)


def _model_checker(tool: str, model: type[BaseModel]) -> Callable[[dict[str, Any]], object]:
    def check(arguments: dict[str, Any]) -> object:
        try:
            return model.model_validate(arguments)
        except ValidationError as exc:
            raise SpecError.from_validation_error(tool, exc, what="arguments") from None

    return check


def _catalog_text(catalog: SnippetCatalog) -> str:
    if not catalog.snippets:
        return "No snippets yet.\n"
    return "".join(f"{s.id} ({s.kind}) - {s.title}: {s.summary}\n" for s in catalog.snippets)


def _browse_doors(kinds: tuple[str, ...]) -> list[_Door]:
    literal: Any = typing.Literal  # a Literal of the kinds known when the server is built
    kind_type: Any = literal[kinds] if kinds else str
    list_args = create_model(
        "ListSnippetsArguments",
        __config__=ConfigDict(extra="forbid"),
        kind=(
            kind_type | None,
            Field(default=None, description="Only snippets of this kind (a generator name). Omit for every snippet."),
        ),
    )

    class ShowSnippetArguments(BaseModel):
        model_config = ConfigDict(extra="forbid")

        id: str = Field(
            min_length=1,
            max_length=200,
            description=f"Snippet id as {LIST_TOOL} returns it, 'kind/name' (e.g. 'client/dapr_client').",
        )

    def run_list(args: Any) -> tuple[BaseModel, str]:
        catalog = list_snippets(args.kind)
        return catalog, _catalog_text(catalog)

    def run_show(args: Any) -> tuple[BaseModel, str]:
        detail = show_snippet(args.id)  # an unknown id is a SpecError: reported as the caller's to fix
        return detail, detail_text(detail)

    return [
        _Door(
            LIST_TOOL,
            "List Dapr code snippets",
            "List the snippet catalog: every template this server renders, with its id, kind (the generator that "
            "renders it), summary and the packages it needs. Start here.",
            input_schema(list_args),
            SnippetCatalog,
            _model_checker(LIST_TOOL, list_args),
            run_list,
        ),
        _Door(
            SHOW_TOOL,
            "Show one Dapr code snippet",
            "Show one snippet: its header, the raw Jinja template and what it renders to with the generator's "
            "defaults (formatted and linted).",
            input_schema(ShowSnippetArguments),
            SnippetDetail,
            _model_checker(SHOW_TOOL, ShowSnippetArguments),
            run_show,
        ),
    ]


def build_tools(registry: Mapping[str, Generator] | None = None) -> list[Tool]:
    """One tool per registry generator (the engine's REGISTRY unless a test gives another), then the browsing
    tools."""
    generators = REGISTRY if registry is None else registry
    kinds = tuple(sorted(set(generators) | {s.kind for s in list_snippets().snippets}))
    doors = [_generator_door(g, generators) for g in generators.values()] + _browse_doors(kinds)
    return [d.tool() for d in doors]
