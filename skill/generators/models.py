"""Pydantic v2 event models with a generic CloudEvent envelope: one module.

Two paths make the models, and the result's snippet id says which one did:
- `models/events`: models and enums described in the spec, rendered from typed contexts built here;
- `models/schema_events`: a JSON Schema compiled by datamodel-code-generator (used as a library), whose output is
  parsed, held to an allow-list of statements and imports, then printed below the same envelope.

For generators that embed the models (endpoint, service): `models_files(spec, package_path)` gives the file plan
at a folder of the caller's choosing, `REQUIREMENTS` what it needs, and `exported_names(spec)` the names the
module defines (the spec's classes and `CloudEvent`). The preset's names are `PRESET_NAMES`.
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import json
import re
import threading
import tokenize
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from skill.errors import FieldProblem, SpecError
from skill.filters import py_literal, py_str
from skill.generator import Generator
from skill.imports import name_order
from skill.parsing import parse_python
from skill.plan import FilePlan, Plan
from skill.specs.models import (
    ENVELOPE_NAMES,
    IMPORTED_NAMES,
    PRESET_ENUMS,
    PRESET_MODELS,
    REQUIREMENTS,
    EnumDef,
    FieldDef,
    ModelDef,
    ModelsSpec,
    TypeRef,
)

__all__ = [
    "GENERATOR",
    "PRESET_NAMES",
    "REQUIREMENTS",
    "EnumContext",
    "FieldContext",
    "ImportLine",
    "MemberContext",
    "ModelContext",
    "ModelsContext",
    "SchemaModelsContext",
    "context_for",
    "exported_names",
    "models_files",
    "requirements_for",
    "schema_context_for",
]

SNIPPET = "models/events"
SCHEMA_SNIPPET = "models/schema_events"
PRESET_NAMES = tuple(e["name"] for e in PRESET_ENUMS) + tuple(m["name"] for m in PRESET_MODELS)

# What the envelope itself imports; every render has these.
_ENVELOPE_IMPORTS: Mapping[str, tuple[str, ...]] = {
    "__future__": ("annotations",),
    "typing": ("Any", "Generic", "TypeVar", "cast"),
    "pydantic": ("AwareDatetime", "Base64Bytes", "BaseModel", "ConfigDict", "TypeAdapter"),
}
# Where each scalar of a type expression comes from, and how it is spelled in the annotation.
_SCALAR_SPELLING: Mapping[str, tuple[str, str | None]] = {
    "str": ("str", None),
    "int": ("int", None),
    "float": ("float", None),
    "bool": ("bool", None),
    "datetime": ("AwareDatetime", "pydantic"),
    "date": ("date", "datetime"),
    "UUID": ("UUID", "uuid"),
    "Decimal": ("Decimal", "decimal"),
    "JsonValue": ("JsonValue", "pydantic"),
}
_STDLIB = frozenset({"datetime", "decimal", "enum", "ipaddress", "typing", "uuid"})


@dataclass(frozen=True)
class ImportLine:
    """`from <module> import <names>`."""

    module: str
    names: tuple[str, ...]


def _docstring(text: str) -> str:
    """A docstring literal: triple-quoted when the text reads the same inside one, else `_text_literal` with its
    leading and trailing spaces escaped (ruff format strips them from a docstring's source, changing the text)."""
    plain = text.isascii() and text.isprintable() and "\\" not in text and '"""' not in text
    if plain and not text.endswith('"') and text.strip() == text:
        return f'"""{text}"""'
    literal = _text_literal(text)
    quote, body = literal[0], literal[1:-1]
    inner = body.strip(" ")
    lead = len(body) - len(body.lstrip(" "))
    trail = len(body) - len(inner) - lead
    return quote + _SPACE * lead + inner + _SPACE * trail + quote


_SPACE = "\\x20"  # a space as an escape: ruff format strips no escape from a docstring


def _text_literal(text: str) -> str:
    """A Python literal of user text. Non-ASCII text is escaped (`ascii`, i.e. repr with \\u escapes): ruff's
    RUF001/RUF002 refuse confusable characters such as an acute accent inside strings and docstrings."""
    return py_str(text) if text.isascii() else ascii(text)


@dataclass(frozen=True)
class MemberContext:
    name: str
    value: str  # a Python string literal (`_text_literal`)


@dataclass(frozen=True)
class EnumContext:
    name: str
    description: str | None  # the docstring as a Python string literal
    members: tuple[MemberContext, ...]


@dataclass(frozen=True)
class FieldContext:
    name: str
    annotation: str  # Python source built here from checked names and filter output
    default: str | None  # Python source of the default; None when the field is required


@dataclass(frozen=True)
class ModelContext:
    name: str
    description: str | None  # the docstring as a Python string literal
    extra: str
    frozen: bool
    fields: tuple[FieldContext, ...]


@dataclass(frozen=True)
class ModelsContext:
    """The `models/events` template's variables."""

    import_groups: tuple[tuple[ImportLine, ...], ...]  # __future__, stdlib, third party: isort's sections
    enums: tuple[EnumContext, ...]
    models: tuple[ModelContext, ...]  # dependencies first
    rebuild: tuple[str, ...]  # models that refer to a model defined after them (a cycle through an optional)


@dataclass(frozen=True)
class SchemaModelsContext:
    """The `models/schema_events` template's variables: datamodel-code-generator's classes under our envelope."""

    import_groups: tuple[tuple[ImportLine, ...], ...]
    body: str  # checked against the allow-list in `_checked_schema_output`


class _Imports:
    """Names to import, grouped by module; rendered stdlib first, each group sorted."""

    def __init__(self, initial: Mapping[str, Iterable[str]] = _ENVELOPE_IMPORTS) -> None:
        self._found: dict[str, set[str]] = {m: set(names) for m, names in initial.items()}

    def add(self, module: str, name: str) -> None:
        self._found.setdefault(module, set()).add(name)

    def groups(self) -> tuple[tuple[ImportLine, ...], ...]:
        def section(module: str) -> int:
            return 0 if module == "__future__" else 1 if module in _STDLIB else 2

        found = []
        for wanted in range(3):
            modules = sorted(m for m in self._found if section(m) == wanted)
            lines = tuple(ImportLine(m, tuple(sorted(self._found[m], key=name_order))) for m in modules)
            if lines:
                found.append(lines)
        return tuple(found)


def _annotation(ref: TypeRef, imports: _Imports) -> str:
    if ref.kind == "scalar":
        spelled, module = _SCALAR_SPELLING[ref.name]
        if module is not None:
            imports.add(module, spelled)
        text = spelled
    elif ref.kind == "class":
        text = ref.name
    else:
        assert ref.item is not None
        inner = _annotation(ref.item, imports)
        text = f"list[{inner}]" if ref.kind == "list" else f"dict[str, {inner}]"
    return f"{text} | None" if ref.nullable else text


# A string keyword longer than this is written as an implicit concatenation of pieces this long, so that ruff can
# put each piece on a line of its own and a long pattern or description stays within the line length.
_PIECE = 56


def _long_text(text: str, literal: Callable[[str], str]) -> str:
    if len(text) <= _PIECE:
        return literal(text)
    pieces = []
    while len(text) > _PIECE:
        # Break after the last space (prose) or `|` (a pattern's alternatives) in the piece, if there is one.
        cut = max(text.rfind(" ", 1, _PIECE), text.rfind("|", 1, _PIECE)) + 1 or _PIECE
        pieces.append(literal(text[:cut]))
        text = text[cut:]
    pieces.append(literal(text))
    return "(" + " ".join(pieces) + ")"


def _field_keywords(f: FieldDef) -> list[str]:
    keywords = []
    for name, value in f.constraints().items():
        keywords.append(f"{name}={_long_text(value, py_str) if isinstance(value, str) else py_literal(value)}")
    if f.description is not None:
        keywords.append(f"description={_long_text(f.description, _text_literal)}")
    return keywords


def _default(f: FieldDef, ref: TypeRef, enums: Mapping[str, EnumDef]) -> str | None:
    if not f.has_default:
        return "None" if ref.nullable else None
    value = f.default
    if value is None:
        return "None"
    item = ref.item if ref.kind == "list" else ref
    if item is not None and item.kind == "class" and item.name in enums:
        names = {m.value: m.name for m in enums[item.name].members}
        if isinstance(value, list):
            return "[" + ", ".join(f"{item.name}.{names[v]}" for v in value) + "]"
        return f"{item.name}.{names[value]}"
    if ref.kind == "dict":
        return "{}"
    if ref.kind == "scalar" and ref.name == "Decimal":
        return f"Decimal({py_str(str(Decimal(str(value))))})"
    if ref.kind == "scalar" and ref.name == "float" and isinstance(value, int):
        return py_literal(float(value))
    return py_literal(value)


def _field_context(f: FieldDef, enums: Mapping[str, EnumDef], imports: _Imports) -> FieldContext:
    ref = f.type_ref
    annotation = _annotation(ref, imports)
    keywords = _field_keywords(f)
    if keywords:
        imports.add("typing", "Annotated")
        imports.add("pydantic", "Field")
        annotation = f"Annotated[{annotation}, Field({', '.join(keywords)})]"
    return FieldContext(f.name, annotation, _default(f, ref, enums))


def _model_order(models: Sequence[ModelDef]) -> list[ModelDef]:
    """Dependencies first (depth-first, in spec order), so only a cycle leaves a reference to a later class."""
    by_name = {m.name: m for m in models}
    done: list[ModelDef] = []
    state: dict[str, str] = {}

    def visit(model: ModelDef) -> None:
        if state.get(model.name):
            return
        state[model.name] = "active"
        for f in model.fields:
            for r in f.type_ref.walk():
                if r.kind == "class" and r.name in by_name:
                    visit(by_name[r.name])
        state[model.name] = "done"
        done.append(model)

    for model in models:
        visit(model)
    return done


def context_for(spec: ModelsSpec) -> ModelsContext:
    """The `models/events` context for a spec without a json_schema."""
    imports = _Imports()
    enums = {e.name: e for e in spec.enums}
    if spec.enums:
        imports.add("enum", "StrEnum")
    enum_contexts = tuple(
        EnumContext(
            e.name,
            None if e.description is None else _docstring(e.description),
            tuple(MemberContext(m.name, _text_literal(m.value)) for m in e.members),
        )
        for e in spec.enums
    )
    ordered = _model_order(spec.models)
    model_contexts = tuple(
        ModelContext(
            m.name,
            None if m.description is None else _docstring(m.description),
            m.extra or spec.extra,
            spec.frozen if m.frozen is None else m.frozen,
            tuple(_field_context(f, enums, imports) for f in m.fields),
        )
        for m in ordered
    )
    position = {m.name: i for i, m in enumerate(ordered)}
    rebuild = tuple(
        m.name
        for i, m in enumerate(ordered)
        if any(r.kind == "class" and position.get(r.name, -1) > i for f in m.fields for r in f.type_ref.walk())
    )
    return ModelsContext(imports.groups(), enum_contexts, model_contexts, rebuild)


# datamodel-code-generator's output may use only these statements and imports: anything else means the schema
# made it write something we did not ask for, and the result is refused rather than returned.
_SCHEMA_IMPORTS = frozenset({"__future__", "datetime", "decimal", "enum", "typing", "uuid", "pydantic", "ipaddress"})
_SCHEMA_STATEMENTS = (ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Expr, ast.Pass)


def _schema_error(rule: str, value: object = "...") -> SpecError:
    return SpecError("models", [FieldProblem.of(["json_schema"], value, rule)])


# warnings.catch_warnings swaps process-wide state; tools run in threads, so one compile at a time.
_DMCG_LOCK = threading.Lock()


@functools.lru_cache(maxsize=64)
def _run_datamodel_codegen(schema_json: str, extra: str, frozen: bool) -> tuple[str, tuple[str, ...]]:
    """Its output, and the warnings it gave (they become notes of the result: they are about the schema)."""
    with _DMCG_LOCK:
        return _compile_schema(schema_json, extra, frozen)


def _compile_schema(schema_json: str, extra: str, frozen: bool) -> tuple[str, tuple[str, ...]]:
    import json
    import warnings

    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import DatetimeClassType, PythonVersion

    try:
        # catch_warnings swaps process-wide state for the duration; nothing else here relies on warnings.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = generate(
                json.loads(schema_json),
                input_file_type=InputFileType.JsonSchema,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_311,
                use_annotated=True,
                field_constraints=True,
                use_standard_collections=True,
                use_union_operator=True,
                use_specialized_enum=True,
                output_datetime_class=DatetimeClassType.Awaredatetime,
                use_double_quotes=True,
                snake_case_field=True,
                extra_fields=extra,
                enable_faux_immutability=frozen,
                use_schema_description=True,
                capitalise_enum_members=True,
                disable_timestamp=True,
                enable_version_header=False,
                allow_remote_refs=False,
                formatters=[],
                custom_file_header="",
                aliases=_respelled_properties(json.loads(schema_json)),
            )
    except Exception as exc:  # its errors are about the schema the caller gave: report them as such
        raise _schema_error(f"datamodel-code-generator could not compile it: {type(exc).__name__}: {exc}") from None
    if not isinstance(out, str):
        raise _schema_error("datamodel-code-generator made several modules; give one self-contained schema")
    return out, tuple(dict.fromkeys(f"datamodel-code-generator: {w.message}" for w in caught))


def _respelled_properties(schema: Any) -> dict[str, str]:
    """Property names Python would read as another name (NFKC, PEP 3131: 'ª' is `a`), each with the field name
    it gets instead, so datamodel-code-generator writes that name and the property's own as its alias: written
    as-is, the field would be named as Python reads it and never match the property in a document."""
    found: dict[str, str] = {}
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for name in value:
                    spelled = unicodedata.normalize("NFKC", str(name))
                    if spelled != name and str(name).isidentifier():
                        found[str(name)] = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", spelled).lower()
            found.update(_respelled_properties(value))
    elif isinstance(schema, list):
        for item in schema:
            found.update(_respelled_properties(item))
    return found


def _schema_warnings(spec: ModelsSpec) -> tuple[str, ...]:
    assert spec.json_schema is not None
    return _run_datamodel_codegen(json.dumps(spec.json_schema), spec.extra, spec.frozen)[1]


_TRIPLE = ('"""', "'''")


def _plain_source(text: str) -> bool:
    """Whether literal source text can stand as written: ASCII, and no control character but a newline."""
    return text.isascii() and all(c.isprintable() or c == "\n" for c in text)


def _python_spelling(name: str) -> str:
    """A non-ASCII name as Python reads it (NFKC, PEP 3131), so the source says what the module defines. A name in
    capitals stays in capitals: an enum value 'ªA' makes member `ªA` ('ª' has no capital), which Python would name
    `aA`, a mixedCase class attribute, so it is spelled `AA`; a field `ª` (no capital letter in it) is `a`."""
    spelled = unicodedata.normalize("NFKC", name)
    in_capitals = name == name.upper() and name != name.lower()
    return spelled.upper() if in_capitals else spelled


def _names_met_twice(source: str) -> None:
    """Refuse two names of one class that are one name to Python (enum values 'ªA' and 'AA' both make member `AA`
    once spelled as Python reads them): the later would silently replace the earlier."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        seen: set[str] = set()
        for statement in node.body:
            target: ast.expr | None = statement.target if isinstance(statement, ast.AnnAssign) else None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
            if not isinstance(target, ast.Name):
                continue
            if target.id in seen:
                raise _schema_error(
                    f"two names of {node.name} are both {target.id!r} as Python reads them (NFKC, PEP 3131):"
                    " rename one in the schema",
                    target.id,
                )
            seen.add(target.id)


def _escaped_literals(source: str) -> str:
    """datamodel-code-generator's output with every string literal (docstrings, enum values, defaults) that holds
    anything but plain ASCII re-written through `_text_literal`, every non-ASCII name spelled as Python reads it,
    and every comment dropped: schema text (a line separator, a bidi or control character) reaches the module only
    as escapes, never raw (SECURITY.md)."""
    lines = io.StringIO(source).readlines()  # as the tokenizer reads them: str.splitlines also splits at U+2028
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME and not token.string.isascii():
                begin = starts[token.start[0] - 1] + token.start[1]
                edits.append((begin, begin + len(token.string), _python_spelling(token.string)))
                continue
            if token.type not in (tokenize.STRING, tokenize.COMMENT) or (
                token.type == tokenize.STRING and _plain_source(token.string)
            ):
                continue
            begin = starts[token.start[0] - 1] + token.start[1]
            end = starts[token.end[0] - 1] + token.end[1]
            if token.type == tokenize.COMMENT:
                edits.append((begin, end, ""))
                continue
            value = ast.literal_eval(token.string)
            if not isinstance(value, str):
                raise _schema_error("datamodel-code-generator wrote a bytes literal")
            # A triple-quoted literal is a docstring here: as `__doc__` readers see it (indentation cleaned).
            literal = _docstring(inspect.cleandoc(value)) if token.string[:3] in _TRIPLE else _text_literal(value)
            edits.append((begin, end, literal))
    except (tokenize.TokenError, SyntaxError, ValueError) as exc:
        raise _schema_error(f"datamodel-code-generator's output does not tokenize ({exc})") from None
    for begin, end, text in reversed(edits):
        source = source[:begin] + text + source[end:]
    _names_met_twice(source)
    return source


def _checked_schema_output(source: str) -> tuple[dict[str, set[str]], str, list[str]]:
    """(imports by module, the class bodies' source, the top-level names it defines) of datamodel-code-generator's
    output, after the allow-list."""
    try:
        tree = parse_python(source)
    except SyntaxError as exc:
        raise _schema_error(
            f"datamodel-code-generator's output does not parse (line {exc.lineno}: {exc.msg})"
        ) from None
    imports: dict[str, set[str]] = {}
    body: list[str] = []
    defined: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in _SCHEMA_IMPORTS and node.level == 0:
            for alias in node.names:
                if alias.asname is not None or alias.name == "*":
                    raise _schema_error(f"datamodel-code-generator imported {alias.name} in a form we do not accept")
                imports.setdefault(node.module, set()).add(alias.name)
        elif isinstance(node, _SCHEMA_STATEMENTS):
            if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant | ast.Call):
                raise _schema_error("datamodel-code-generator wrote an expression statement we do not accept")
            segment = ast.get_source_segment(source, node, padded=True)
            assert segment is not None
            for deco in getattr(node, "decorator_list", []):
                raise _schema_error(f"datamodel-code-generator wrote a decorator ({ast.unparse(deco)})")
            body.append(segment)
            if isinstance(node, ast.ClassDef):
                defined.append(node.name)
            elif isinstance(node, ast.Assign):
                defined.extend(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                defined.append(node.target.id)
        else:
            raise _schema_error(f"datamodel-code-generator wrote a statement we do not accept: {ast.dump(node)[:60]}")
    for inner in ast.walk(tree):
        if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.Import):
            raise _schema_error("datamodel-code-generator wrote a function or import inside a class")
    clashes = sorted(set(defined) & (ENVELOPE_NAMES | IMPORTED_NAMES))
    if clashes:
        raise _schema_error(
            f"defines {', '.join(clashes)}, a name the generated module already uses for its envelope or imports; "
            "give that schema a different title"
        )
    return imports, "\n\n".join(body), defined


def _schema_result(spec: ModelsSpec) -> tuple[SchemaModelsContext, list[str]]:
    assert spec.json_schema is not None
    source, _ = _run_datamodel_codegen(json.dumps(spec.json_schema), spec.extra, spec.frozen)
    found, body, defined = _checked_schema_output(_escaped_literals(source))
    imports = _Imports()
    for module, names in found.items():
        for name in names:
            imports.add(module, name)
    return SchemaModelsContext(imports.groups(), body), defined


def schema_source(spec: ModelsSpec) -> str:
    """datamodel-code-generator's output for the spec's JSON Schema, after the allow-list (SpecError if refused)."""
    assert spec.json_schema is not None
    source, _ = _run_datamodel_codegen(json.dumps(spec.json_schema), spec.extra, spec.frozen)
    _checked_schema_output(source)
    return source


def schema_context_for(spec: ModelsSpec) -> SchemaModelsContext:
    """The `models/schema_events` context for a spec with a json_schema (SpecError if it does not compile)."""
    return _schema_result(spec)[0]


def exported_names(spec: ModelsSpec) -> tuple[str, ...]:
    """The names the generated module defines for its users: the models and enums, then `CloudEvent`."""
    if spec.json_schema is not None:
        return (*_schema_result(spec)[1], "CloudEvent")
    return (*spec.class_names, "CloudEvent")


def models_files(spec: ModelsSpec, package_path: str = "") -> list[FilePlan]:
    """The models module planned at `<package_path>/<module>.py` ('' for the top level): for generators that
    embed it."""
    path = f"{package_path.rstrip('/')}/{spec.module}.py" if package_path else f"{spec.module}.py"
    if spec.json_schema is not None:
        return [FilePlan(path, SCHEMA_SNIPPET, schema_context_for(spec))]
    return [FilePlan(path, SNIPPET, context_for(spec))]


# pydantic names in datamodel-code-generator's output that need a package beside pydantic.
_EXTRA_REQUIREMENTS = {"EmailStr": "email-validator>=2,<3", "NameEmail": "email-validator>=2,<3"}


def requirements_for(spec: ModelsSpec) -> tuple[str, ...]:
    """What the module needs: pydantic, and email-validator when a JSON Schema uses format 'email'."""
    if spec.json_schema is None:
        return REQUIREMENTS
    used = {name for line in schema_context_for(spec).import_groups[-1] for name in line.names}
    return (*REQUIREMENTS, *sorted({req for name, req in _EXTRA_REQUIREMENTS.items() if name in used}))


def plan(spec: ModelsSpec) -> Plan:
    files = models_files(spec)
    notes = [
        "Parse a delivery with CloudEvent[YourModel].model_validate(body); event.payload() gives the typed data, "
        "also for raw payloads (data_base64). Answer {'status': 'DROP'} when validation fails: Dapr redelivers "
        "on any error status.",
        "datetime fields are pydantic AwareDatetime: values without a UTC offset are rejected.",
    ]
    if spec.json_schema is not None:
        notes[:0] = ["Models compiled from the JSON Schema by datamodel-code-generator, then checked like ours."]
        notes[1:1] = _schema_warnings(spec)
    else:
        notes.insert(0, f"Models: {', '.join(spec.class_names)}, plus the generic CloudEvent envelope.")
    return Plan(files=files, requirements=requirements_for(spec), notes=notes)


GENERATOR = Generator(
    name="models",
    title="Pydantic v2 event models",
    description="Pydantic v2 models and enums from a field list or a JSON Schema, with a CloudEvent[T] envelope. "
    "Default: the todo models.",
    spec=ModelsSpec,
    plan=plan,
    examples={
        "orders": {
            "module": "order_events",
            "extra": "forbid",
            "enums": [{"name": "OrderStatus", "values": ["placed", "paid", "shipped"]}],
            "models": [
                {
                    "name": "OrderPlaced",
                    "description": "An order was placed.",
                    "fields": [
                        {"name": "order_id", "type": "UUID"},
                        {"name": "lines", "type": "list[OrderLine]", "min_length": 1},
                        {"name": "total", "type": "Decimal", "ge": 0, "max_digits": 12, "decimal_places": 2},
                        {"name": "status", "type": "OrderStatus", "default": "placed"},
                        {"name": "placed_on", "type": "date"},
                        {"name": "metadata", "type": "dict[str, str]", "default": {}},
                    ],
                },
                {
                    "name": "OrderLine",
                    "frozen": False,
                    "fields": [
                        {"name": "sku", "type": "str", "pattern": "^[A-Z0-9-]{3,32}$"},
                        {"name": "quantity", "type": "int", "ge": 1, "le": 1000, "default": 1},
                        {"name": "unit_price", "type": "float", "gt": 0},
                        {"name": "gift", "type": "bool", "default": False},
                        {"name": "note", "type": "JsonValue | None"},
                    ],
                },
            ],
        },
        "tree": {
            "module": "tree_events",
            "models": [
                {
                    "name": "Node",
                    "fields": [
                        {"name": "label", "type": "str"},
                        {"name": "children", "type": "list[Node]", "default": []},
                        {"name": "owner", "type": "Owner | None"},
                    ],
                },
                {"name": "Owner", "fields": [{"name": "name", "type": "str"}, {"name": "root", "type": "Node | None"}]},
            ],
        },
        "json-schema": {
            "module": "user_events",
            "json_schema": {
                "title": "UserSignedUp",
                "description": "A user created an account.",
                "type": "object",
                "properties": {
                    "user_id": {"type": "string", "format": "uuid"},
                    "email": {"type": "string", "maxLength": 254},
                    "plan": {"type": "string", "enum": ["free", "pro"]},
                    "signed_up_at": {"type": "string", "format": "date-time"},
                    "referrer": {"type": "string"},
                },
                "required": ["user_id", "email", "plan", "signed_up_at"],
            },
        },
    },
)
