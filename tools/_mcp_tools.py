"""The MCP tools, built once from the engine's registry.

Each tool publishes an input schema taken from a Pydantic model (a generator's spec model, or the small argument
models of the browsing tools), so enums, bounds, defaults and descriptions are stated once, in the model. The SDK
would check arguments against a model of the function signature and silently drop names it does not know; here
the SDK hands every argument through untouched (`_RawArguments`) and the tool checks them itself, so that:

- an unknown argument name is an error that lists the valid names (once per error, however many are unknown);
- a key given twice in JSON text is an error naming the key, not "the last one wins";
- a bad value is reported by the engine's own `SpecError` problems (field, value, rule), all at once;
- the text the agent reads is ours, not a Pydantic dump.

`tools/list` goes into every agent's context on every session, so a generator tool's schema lists its top-level
options only, as types and enums (`tool_schema(brief=True)`); nested option models are bare objects there. What
each option means, its bounds and default, and the nested shapes are outlined at `dapr-specs://<generator>`
(`options_outline`, a quarter of the JSON Schema's size), and the complete JSON Schema is at
`dapr-specs://<generator>/schema` (`argument_schema`): read by the agent that fills them. Checking is unchanged:
every argument, at any depth, against the spec model.
"""

from __future__ import annotations

import logging
import re
import threading
import typing
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import anyio.to_thread
import pydantic_core
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import ListRoots, Resolve, build_resolver_plans
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, ContentBlock, ListRootsResult, ResourceLink, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from skill import (
    REGISTRY,
    FieldProblem,
    Generator,
    ManifestError,
    Result,
    SnippetCatalog,
    SnippetInfo,
    SpecError,
    find_style,
    generate,
    list_snippets,
    parse_spec,
    render_outline,
    show_snippet,
)
from tools import _json as strict_json
from tools._answer import INLINE_BUDGET, Answer, ResultStore, inline_answer, verified, written_answer
from tools._files import FilesInTheWay, OutsideRootsError, inside_roots, write_result
from tools._present import internal_failure, problem_lines
from tools._update import update_folder
from tools._verify import verify_written

__all__ = [
    "ANNOTATION_HINTS",
    "DOOR_ARGUMENTS",
    "GENERATOR_HINTS",
    "LIST_TOOL",
    "SCHEMA_URI",
    "SHOW_TOOL",
    "SPECS_URI",
    "TOOL_NAMES_BROWSE",
    "argument_schema",
    "build_tools",
    "input_schema",
    "options_outline",
    "schema_uri",
    "shapes_sentence",
    "specs_uri",
    "tool_schema",
]

# Browsing tools only render text: nothing is written, nothing outside this process is touched.
ANNOTATION_HINTS: Mapping[str, bool] = {
    "read_only_hint": True,
    "destructive_hint": False,
    "idempotent_hint": True,
    "open_world_hint": False,
}
# Generators write files when given `output_dir`: never a file the user changed (unless `force`), and the same
# call writes the same bytes again.
GENERATOR_HINTS: Mapping[str, bool] = {**ANNOTATION_HINTS, "read_only_hint": False}
# Arguments of the door, not of the spec: where to write and whether to replace changed files.
DOOR_ARGUMENTS: dict[str, dict[str, Any]] = {
    "output_dir": {"type": "string", "description": "Write the files here (inside your roots)."},
    "force": {"type": "boolean", "default": False, "description": "Overwrite files you edited."},
    "verify": {"type": "boolean", "default": False, "description": "With output_dir: then run its checks."},
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


_DESCRIPTION = 90  # characters: the first sentence says what an option is; references/*.md say the rest
SPECS_URI = "dapr-specs://{name}"  # the outline of a generator's options (text)
SCHEMA_URI = "dapr-specs://{name}/schema"  # their complete JSON Schema
_EXAMPLE_IN_FULL = 2_000  # characters of JSON: a bigger default is left out of `argument_schema`


def specs_uri(g: Generator) -> str:
    """Where the outline of a generator tool's options is read (`resources/read`): what an agent reads to fill
    them (for the service generator a quarter of the JSON Schema's size)."""
    return SPECS_URI.format(name=g.name)


def schema_uri(g: Generator) -> str:
    """Where the complete JSON Schema of a generator tool's arguments is read (`resources/read`)."""
    return SCHEMA_URI.format(name=g.name)


def options_outline(g: Generator, registry: Mapping[str, Generator]) -> str:
    """The outline of `g`'s options (`skill.specs.outline`), the door's own arguments included; an option that
    takes another generator's spec (the service's `models`, the project's `services`) points at that outline."""
    elsewhere = {o.spec.__name__: specs_uri(o) for o in registry.values() if o is not g}
    heading = f"{g.tool_name} options (complete JSON Schema: {schema_uri(g)})"
    return render_outline(argument_schema(g), heading=heading, elsewhere=elsewhere)


def argument_schema(g: Generator) -> dict[str, Any]:
    """The complete JSON Schema of a generator tool's arguments: every nested option model in `$defs`, with its
    descriptions, bounds and defaults; published once, as the resource `specs_uri(g)`, not in every `tools/list`."""
    schema: dict[str, Any] = _without_titles(input_schema(g.spec))
    properties: dict[str, Any] = schema["properties"]
    for name, prop in properties.items():
        # A worked example as big as a spec (the project's todo services: 27,000 characters) would bury the
        # shapes; the generator's default output shows what it makes.
        if len(pydantic_core.to_json(prop.get("default"))) > _EXAMPLE_IN_FULL:
            described = f"{prop.get('description', '')} Default: an example (the tool's default output uses it)."
            properties[name] = {k: v for k, v in prop.items() if k != "default"} | {"description": described}
    schema["properties"] = {**properties, **DOOR_ARGUMENTS}
    return schema


def _without_titles(node: Any, *, names: bool = False) -> Any:
    """Pydantic's titles are the property or model name again: all else stays."""
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    if not isinstance(node, dict):
        return node
    if names:  # a `properties` or `$defs` mapping: its keys are names (a field may be called `title`)
        return {k: _without_titles(v) for k, v in node.items()}
    return {k: _without_titles(v, names=k in ("properties", "$defs")) for k, v in node.items() if k != "title"}


def _first_sentence(text: str, limit: int = _DESCRIPTION) -> str:
    short = re.split(r"(?<!e\.g\.)(?<!i\.e\.)(?<=\.)\s+(?=[A-Z`'])", text, maxsplit=1)[0]
    return short if len(short) <= limit else short[: limit - 3].rstrip() + "..."


def _compact(node: Any, *, descriptions: bool = True, names: bool = False) -> Any:
    """A schema without what costs room and tells an agent little: titles (the property name again), examples,
    descriptions past their first sentence (or all of them, for output schemas), and the `null` arm of an optional
    value whose default is null (leaving the argument out says the same)."""
    if isinstance(node, list):
        return [_compact(v, descriptions=descriptions) for v in node]
    if not isinstance(node, dict):
        return node
    if names:  # a `properties` or `$defs` mapping: its keys are names, whatever they spell
        return {k: _compact(v, descriptions=descriptions) for k, v in node.items()}
    dropped: tuple[str, ...] = ("title", "examples", "default")
    if not descriptions:  # an output schema: what the answer holds; the SDK checks every answer in full anyway
        dropped += ("description", "additionalProperties")
    out = {
        k: _compact(v, descriptions=descriptions, names=k in ("properties", "$defs"))
        for k, v in node.items()
        if k not in dropped
    }
    if isinstance(out.get("description"), str):
        out["description"] = _first_sentence(out["description"])
    if "default" in node:
        out["default"] = _without_nulls(node["default"])
    arms = out.get("anyOf")
    if isinstance(arms, list) and "default" in out and out["default"] is None:
        rest = [a for a in arms if a != {"type": "null"}]
        if len(rest) == 1 and len(rest) < len(arms):
            del out["anyOf"], out["default"]
            out = {**rest[0], **out}
    return out


def _without_nulls(value: Any) -> Any:
    """A default value without its null members: an omitted key takes its (null) default, in far less room."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


_BIG_DEFAULT = 60  # characters of JSON


def _is_example(default: object) -> bool:
    """A default made of objects and longer than a glance (a list of subscriptions, say) is a worked example, not
    a value to read in a schema; a list of names stays, however long."""
    has_objects = isinstance(default, dict) or (isinstance(default, list) and any(isinstance(v, dict) for v in default))
    return has_objects and len(pydantic_core.to_json(default)) > _BIG_DEFAULT


def _ref_name(node: Mapping[str, Any]) -> str:
    return str(node.get("$ref", "")).rsplit("/", 1)[-1]


def _model_defaults(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any] | None:
    """What an object property's model gives when every field takes its default (None for other properties)."""
    targets = [_ref_name(a) for a in [prop, *prop.get("anyOf", ())]]
    target = next((t for t in targets if t in defs), None)
    if target is None:
        return None
    fields = defs[target].get("properties", {})
    return {k: v["default"] for k, v in fields.items() if "default" in v}


def _is_object_model(definition: Mapping[str, Any]) -> bool:
    return definition.get("type") == "object" or "properties" in definition


def _shallow(node: Any, defs: Mapping[str, Any], shapes: list[str]) -> Any:
    """`node` with each nested option model (a `$ref` to an object) as a bare `{"type": "object"}`, its name added
    to `shapes`; a `$ref` to anything else (an enum) is inlined, so the schema needs no `$defs` at all."""
    if isinstance(node, list):
        return [_shallow(v, defs, shapes) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _shallow(v, defs, shapes) for k, v in node.items() if k != "$ref"}
    name = _ref_name(node)
    if name in defs:
        if _is_object_model(defs[name]):
            shapes.append(name)
            return {"type": "object", **out}
        target = {k: v for k, v in defs[name].items() if k not in ("title", "description")}
        return {**_shallow(target, defs, shapes), **out}
    return out


def tool_schema(
    model: type[BaseModel],
    *,
    door: bool = False,
    others: Mapping[str, str] | None = None,
    brief: bool = False,
) -> dict[str, Any]:
    """The input schema a tool publishes: every top-level option of `input_schema(model)` with its type, bounds,
    default and first sentence, plus the door's own arguments (`door`), and no `$defs`.

    A nested option model is a bare `{"type": "object"}`: its fields are in the complete schema (`argument_schema`,
    published as a resource the tool's description names, see `shapes_sentence`), read by an agent that fills that
    option, instead of every agent paying for every shape in every `tools/list`. The server checks every argument
    in full either way and names the field at fault.

    `others` maps another generator's spec model to its tool: a property taking that spec says its arguments are
    that tool's. A default too big to read (a worked example) is left out and said to be one; a default equal to
    what the model's own defaults give is left out.

    `brief` (the generator tools, whose options an agent fills from `dapr-specs://<generator>`): each option as its
    type, enum, bounds and a scalar default only; the descriptions are in the resource. Connecting costs every
    agent every tool's schema, and the descriptions were most of it.
    """
    schema: dict[str, Any] = _compact(input_schema(model))
    schema.pop("description", None)  # the spec's docstring: the tool's description says it
    compact_defs: dict[str, Any] = schema.pop("$defs", {})
    properties: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if "default" in prop and prop["default"] == _model_defaults(prop, compact_defs):
            prop = {k: v for k, v in prop.items() if k != "default"}  # omitted, it is the same
        if "default" in prop and _is_example(prop["default"]):
            prop = {k: v for k, v in prop.items() if k != "default"}
            prop["description"] = f"{prop.get('description', '')} Default: an example."
        found: list[str] = []
        prop = _shallow(prop, compact_defs, found)
        spec = next((others[n] for n in found if others and n in others), None)
        if spec is not None:
            prop["description"] = f"{prop.get('description', '')} Its arguments are those of {spec}."
        properties[name] = _brief(prop) if brief else prop
    door_arguments = {k: _brief(v) for k, v in DOOR_ARGUMENTS.items()} if brief else DOOR_ARGUMENTS
    schema["properties"] = {**properties, **door_arguments} if door else properties
    return schema


_BOUNDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
)


def _brief(prop: dict[str, Any]) -> dict[str, Any]:
    """An option as its type, enum and a scalar default: without its description, its bounds, a default that says
    nothing a glance needs (empty, null, an object), the item shape of a list of objects, or the arms of a union
    of objects (the outline at `dapr-specs://<generator>` has them all; the server checks them all)."""
    out = {k: v for k, v in prop.items() if k not in ("description", "cli") and k not in _BOUNDS}
    arms = out.get("anyOf")
    if isinstance(arms, list) and all(set(a) == {"type"} and isinstance(a["type"], str) for a in arms):
        del out["anyOf"]  # [{"type": "object"}, {"type": "null"}]: one list of types says it
        out = {"type": [a["type"] for a in arms], **out}
    default = out.get("default")
    if "default" in out and (
        default is None
        or default == []
        or isinstance(default, dict)
        or (isinstance(default, list) and any(isinstance(v, dict | list) for v in default))
        or len(pydantic_core.to_json(default)) > _BIG_DEFAULT  # every block of the client, say: the outline has it
        or (isinstance(default, str | int | float) and not isinstance(default, bool) and "enum" not in out)
    ):
        del out["default"]
    items = out.get("items")
    if isinstance(items, dict):
        items = {k: v for k, v in items.items() if k not in _BOUNDS}
        if items == {"type": "object"} or all(a == {"type": "object"} for a in items.get("oneOf", [None])):
            del out["items"]
        else:
            out["items"] = items
    return out


def brief_output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """What a tool's answer holds, as `tools/list` shows it: an object. Its fields are the engine's model's (the
    text of each answer says what it holds); the SDK checks every answer against the model in full anyway, and
    naming the fields in every tool cost each agent 1,500 characters on connecting."""
    return {"type": "object"}


def shapes_sentence(model: type[BaseModel], uri: str) -> str:
    """What a generator tool's description adds, its brief schema (`tool_schema(brief=True)`) leaving out what each
    option means and the fields of object options: where they are. Once per tool: the resource holds them all."""
    return f" Options: {uri}."


def _wants_json(prop: Mapping[str, Any]) -> bool:
    """Whether a property takes a list or an object (some clients send those as JSON text)."""
    if prop.get("type") in ("array", "object") or "$ref" in prop:
        return True
    return any(_wants_json(arm) for arm in prop.get("anyOf", ()))


def _bad_input(
    tool: str, problems: list[FieldProblem], valid: str | None = None, shapes: str | None = None
) -> ToolError:
    tail = f"\nvalid arguments of {tool}: {valid}" if valid is not None else ""
    if shapes is not None and any("." in p.field for p in problems):  # a nested field: its shape is not listed
        tail += f"\nfields of each object option: {shapes} (resources/read)"
    return ToolError(f"invalid arguments (fix them and call {tool} again):\n{problem_lines(problems)}{tail}")


Answered = tuple[BaseModel, str, list[ContentBlock]]  # structured content, text, further content (links)


def _file_roots(uris: list[str]) -> list[Path]:
    paths = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            paths.append(Path(url2pathname(unquote(parsed.path))))
    return paths


def _ask_roots(arguments: dict[str, Any], ctx: Context[Any, Any]) -> ListRoots | None:
    """A resolver (the SDK sends `roots/list`, mid-call or as an input request, as the protocol wants): only a
    call that writes asks, and only a client that declared roots."""
    caps = ctx.client_capabilities
    if arguments.get("output_dir") is None or caps is None or caps.roots is None:
        return None
    return ListRoots()


def _allowed(listed: ListRootsResult | None) -> list[Path]:
    """The folders a call may write: the client's file roots, or the working directory when it declares none."""
    roots = _file_roots([str(r.uri) for r in listed.roots]) if listed is not None else []
    return roots or [Path.cwd()]


@dataclass(frozen=True)
class _Door:
    """One tool: its schema (built once), its checker and its runner."""

    name: str
    title: str
    description: str
    schema: dict[str, Any]
    output: type[BaseModel]
    check: Callable[[dict[str, Any]], object]  # raises SpecError; returns what `run` takes
    run: Callable[[Any, list[Path] | None], Answered]  # the checked arguments, and the roots when writing
    writes: bool = False
    hints: Mapping[str, bool] = field(default_factory=lambda: ANNOTATION_HINTS)
    shapes: str | None = None  # the resource with the complete argument schema (generators)

    async def __call__(self, arguments: dict[str, Any], roots_listed: ListRootsResult | None = None) -> CallToolResult:
        try:
            roots = _allowed(roots_listed) if self.writes and arguments.get("output_dir") is not None else None
            # The engine runs ruff as a subprocess: keep it off the event loop.
            return await anyio.to_thread.run_sync(self._answer, arguments, roots)
        except ToolError:
            raise
        except Exception as exc:
            # Input was checked first, so anything else is ours (a snippet, ruff, a defect in the engine or in this
            # door), never the caller's to fix: the documented wording, not the SDK's bare "Error executing tool".
            _log.exception("%s failed", self.name)
            raise ToolError(internal_failure(exc)) from exc

    def _answer(self, arguments: dict[str, Any], roots: list[Path] | None) -> CallToolResult:
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
            raise _bad_input(self.name, [*problems, *exc.problems], valid, self.shapes) from None
        if problems:
            raise _bad_input(self.name, problems, valid)
        try:
            model, text, extra = self.run(checked, roots)
        except SpecError as exc:
            raise _bad_input(self.name, list(exc.problems)) from None
        return CallToolResult(
            content=[TextContent(type="text", text=text), *extra],
            structured_content=model.model_dump(mode="json", exclude_none=True),
        )

    def tool(self) -> Tool:
        resolved = {"roots_listed": (Resolve(_ask_roots), False)} if self.writes else {}
        return Tool(
            fn=self,
            name=self.name,
            title=self.title,
            description=self.description,
            parameters=self.schema,
            fn_metadata=FuncMetadata(
                arg_model=_RawArguments,
                output_model=self.output,
                output_schema=brief_output_schema(self.output),
            ),
            is_async=True,
            context_kwarg=None,
            resolved_params=resolved,
            resolver_plans=build_resolver_plans(resolved, {"arguments"}),
            annotations=ToolAnnotations.model_validate(dict(self.hints)),  # the title is the tool's, not repeated
        )


class _Recent:
    """The last few results of one generator, by spec and style. Output is deterministic (same spec, same bytes),
    so an agent that asks again (or a second agent on the same server) gets the answer without re-running ruff."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict[str, Result] = OrderedDict()
        self._lock = threading.Lock()  # tools run in worker threads

    def get(self, key: str) -> Result | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: str, value: Result) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class _GenerateRequest:
    spec: Any
    output_dir: str | None
    force: bool
    verify: bool


def _door_problems(arguments: dict[str, Any]) -> list[FieldProblem]:
    problems = []
    out = arguments.get("output_dir")
    if out is not None and (not isinstance(out, str) or not out.strip() or "\0" in out or len(out) > 4096):
        problems.append(FieldProblem.of(["output_dir"], out, "must be a folder path (a non-empty string)"))
    for flag in ("force", "verify"):
        value = arguments.get(flag, False)
        if not isinstance(value, bool):
            problems.append(FieldProblem.of([flag], value, "must be true or false"))
    if arguments.get("verify") is True and out is None:
        problems.append(FieldProblem.of(["verify"], True, "needs output_dir (the checks run in the written folder)"))
    return problems


def _links(answer: Answer) -> list[ContentBlock]:
    return [
        ResourceLink(type="resource_link", uri=f.resource, name=f.path, mime_type="text/plain", size=None)
        for f in answer.files
        if f.resource is not None
    ]


def _generator_door(g: Generator, registry: Mapping[str, Generator], store: ResultStore) -> _Door:
    recent = _Recent()

    def check(arguments: dict[str, Any]) -> object:
        door = {k: arguments.pop(k) for k in list(arguments) if k in DOOR_ARGUMENTS}
        problems = _door_problems(door)
        try:
            spec = parse_spec(g.name, arguments, registry)
        except SpecError as exc:
            raise SpecError(g.name, [*exc.problems, *problems], what="spec") from None
        if problems:
            raise SpecError(g.name, problems, what="arguments")
        return _GenerateRequest(
            spec, door.get("output_dir"), bool(door.get("force", False)), bool(door.get("verify", False))
        )

    def result_for(spec: Any, folder: Path | None) -> Result:
        style = None if folder is None else find_style(folder)
        key = spec.model_dump_json() + (style.model_dump_json() if style is not None else "")
        hit = recent.get(key)
        if hit is None:
            hit = generate(g.name, spec, registry=registry, style=style)
            recent.put(key, hit)
        return hit

    def run(request: _GenerateRequest, roots: list[Path] | None) -> Answered:
        if request.output_dir is None or roots is None:
            answer, text = inline_answer(result_for(request.spec, None), store)
            return answer, text, _links(answer)
        update = None
        try:
            folder = inside_roots(request.output_dir, roots)
            result = result_for(request.spec, folder)
            if g.tracked:  # the folder carries a record: edits are merged, never lost (tools/_update.py)
                update = update_folder(folder, result, g, request.spec, force=request.force)
            written = [] if update is not None else write_result(result, folder, force=request.force)
        except (OutsideRootsError, ManifestError) as exc:
            raise ToolError(f"output_dir: {exc}") from None
        except FilesInTheWay as exc:
            listed = ", ".join(str(p) for p in exc.paths)
            raise ToolError(
                f"output_dir: files there differ from what would be written (edited?): {listed}; nothing was "
                "written. Pass force: true to replace them."
            ) from None
        except OSError as exc:
            raise ToolError(
                f"output_dir: cannot write {exc.filename or request.output_dir}: {exc.strerror or exc}"
            ) from None
        done: dict[str, tuple[str, bool | str]] = {
            f.path: (str(folder.joinpath(f.path)), folder.joinpath(f.path) in written) for f in result.files
        }
        if update is not None:
            done.update({u.path: (str(folder.joinpath(u.path)), u.action) for u in update.files if u.path in done})
            # Files it no longer makes are not in the result: their fate goes with the notes, and so does what a
            # conflicted file needs (markers left unresolved, a definition to add, an import that is gone).
            needs = [f"conflict {u.path}: {u.note}" for u in update.files if u.path in done and u.action == "conflict"]
            gone = [f"{u.action} {u.path}: {u.note}" for u in update.files if u.path not in done]
            result = result.model_copy(update={"notes": [*needs, *result.notes, *gone]})
        checked = None
        if request.verify:
            report = verify_written(folder, [f.path for f in result.files])
            checked = verified(report.summary().splitlines(), report.problems)
        answer, text = written_answer(result, done, verify=checked)
        return answer, text, []

    others = {o.spec.__name__: o.tool_name for o in registry.values() if o is not g}
    schema = tool_schema(g.spec, door=True, others=others, brief=True)
    # What output_dir does is said once, in the server's instructions and the argument's own description.
    required = schema.get("required", [])
    description = g.description + (f" Required: {', '.join(required)}." if required else "")
    uri = specs_uri(g)
    description += shapes_sentence(g.spec, uri)
    return _Door(
        g.tool_name, g.title, description, schema, Answer, check, run, writes=True, hints=GENERATOR_HINTS, shapes=uri
    )


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


Part = Literal["header", "template", "rendered"]


class SnippetPart(SnippetInfo):
    """One part of a snippet; the text carries it, or a resource link when it is too big."""

    part: Part
    chars: int = Field(description="Size of the part in characters (0 for the header).")
    resource: str | None = Field(default=None, description="URI of the part (resources/read).")


def _show(snippet_id: str, part: Part) -> Answered:
    detail = show_snippet(snippet_id)  # an unknown id is a SpecError: reported as the caller's to fix
    info = SnippetInfo.model_validate(detail.model_dump(include=set(SnippetInfo.model_fields)))
    header = (
        f"# {detail.id}: {detail.title}\n# {detail.summary}\n# template: snippets/{detail.template}\n"
        f"# requires: {', '.join(detail.requires) or 'nothing'}\n"
    )
    if part == "header":
        hint = (
            f"Call {SHOW_TOOL} again with part 'template' (the Jinja source, {len(detail.source)} chars) or "
            "'rendered' (what it renders to with defaults), or read dapr-snippets://{id} and its /rendered.\n"
        ).replace("{id}", detail.id)
        return SnippetPart(**info.model_dump(), part=part, chars=0), header + hint, []
    if part == "template":
        body, uri = detail.source, f"dapr-snippets://{detail.id}"
    else:
        body = "".join(f"# ===== {f.path} =====\n{f.content}" for f in detail.rendered)
        uri = f"dapr-snippets://{detail.id}/rendered"
    text = f"{header}\n{body}"
    if len(text) <= INLINE_BUDGET:
        return SnippetPart(**info.model_dump(), part=part, chars=len(body)), text, []
    link = ResourceLink(type="resource_link", uri=uri, name=f"{detail.id} ({part})", mime_type="text/plain")
    note = f"The {part} is {len(body)} characters: read it from {uri} (resources/read).\n"
    return SnippetPart(**info.model_dump(), part=part, chars=len(body), resource=uri), header + note, [link]


def _browse_doors(kinds: tuple[str, ...]) -> list[_Door]:
    literal: Any = typing.Literal  # a Literal of the kinds known when the server is built
    kind_type: Any = literal[kinds] if kinds else str
    list_args = create_model(
        "ListSnippetsArguments",
        __config__=ConfigDict(extra="forbid"),
        kind=(
            kind_type | None,
            Field(default=None, description="Only snippets of this kind (a generator name)."),
        ),
    )

    class ShowSnippetArguments(BaseModel):
        model_config = ConfigDict(extra="forbid")

        id: str = Field(
            min_length=1,
            max_length=200,
            description=f"A snippet id from {LIST_TOOL} ('kind/name').",
        )
        part: Part = Field(default="header", description="What to show (template: Jinja).")

    def run_list(args: Any, _roots: list[Path] | None) -> Answered:
        catalog = list_snippets(args.kind)
        return catalog, _catalog_text(catalog), []

    def run_show(args: Any, _roots: list[Path] | None) -> Answered:
        return _show(args.id, args.part)

    return [
        _Door(
            LIST_TOOL,
            "List Dapr code snippets",
            "List the snippet catalog: id, kind (the generator that renders it), summary, packages. Start here.",
            tool_schema(list_args),
            SnippetCatalog,
            _model_checker(LIST_TOOL, list_args),
            run_list,
        ),
        _Door(
            SHOW_TOOL,
            "Show one Dapr code snippet",
            "Show one snippet: its header, or its Jinja template, or what it renders to with defaults.",
            tool_schema(ShowSnippetArguments),
            SnippetPart,
            _model_checker(SHOW_TOOL, ShowSnippetArguments),
            run_show,
        ),
    ]


def build_tools(registry: Mapping[str, Generator] | None = None, store: ResultStore | None = None) -> list[Tool]:
    """One tool per registry generator (the engine's REGISTRY unless a test gives another), then the browsing
    tools. Inline answers too big to send put their files in `store` (read back as resources)."""
    generators = REGISTRY if registry is None else registry
    results = ResultStore() if store is None else store
    kinds = tuple(sorted(set(generators) | {s.kind for s in list_snippets().snippets}))
    doors = [_generator_door(g, generators, results) for g in generators.values()] + _browse_doors(kinds)
    return [d.tool() for d in doors]
