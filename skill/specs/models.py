"""Input of the models generator: Pydantic v2 event models described field by field, or a JSON Schema document.

A field's `type` is a small type expression: a scalar (`str`, `int`, `float`, `bool`, `datetime`, `date`, `UUID`,
`Decimal`, `JsonValue`), a model or enum of the same spec, `list[T]`, `dict[str, T]`, any of these followed by
`| None`. `parse_type` reads it into a `TypeRef`; the generator renders annotations from that tree only.

Rules that need the whole spec (references, unique names, names the module binds, defaults against their types,
reference cycles) run in one wrap validator so that each problem is reported at its own location, for example
`models.0.fields.2.type`.
"""

from __future__ import annotations

import builtins
import enum
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    JsonValue,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from skill.specs.common import ClassName, Identifier, LineLengthOption, ModuleName, SpecModel, rule_error
from skill.specs.names import module_name_problem

__all__ = [
    "ENVELOPE_NAMES",
    "MODEL_ATTRIBUTES",
    "PRESET_ENUMS",
    "PRESET_MODELS",
    "REQUIREMENTS",
    "SCALARS",
    "EnumDef",
    "EnumMember",
    "Extra",
    "FieldDef",
    "ModelDef",
    "ModelsSpec",
    "TypeRef",
    "parse_type",
]

Extra = Literal["ignore", "forbid", "allow"]
REQUIREMENTS = ("pydantic>=2.10,<3",)
# The scalar names a type expression may use, and the Python type each stands for at validation time.
SCALARS: Mapping[str, object] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "datetime": AwareDatetime,
    "date": __import__("datetime").date,
    "UUID": __import__("uuid").UUID,
    "Decimal": Decimal,
    "JsonValue": JsonValue,
}
# Names the generated module defines besides the user's classes (the envelope and its type variable).
ENVELOPE_NAMES = frozenset({"CloudEvent", "DataT"})
# Names the generated module may import (any spec); a model or enum of one of these names would replace it.
IMPORTED_NAMES = frozenset(
    {
        "annotations", "Annotated", "Any", "Generic", "TypeVar", "cast", "StrEnum", "date", "UUID", "Decimal",
        "AwareDatetime", "Base64Bytes", "BaseModel", "ConfigDict", "Field", "JsonValue", "TypeAdapter",
    }
)  # fmt: skip
# A field of one of these names would shadow BaseModel's own attribute (pydantic warns, then misbehaves).
MODEL_ATTRIBUTES = frozenset(name for name in dir(BaseModel) if not name.startswith("_"))
# StrEnum members may not take the name of a str or Enum attribute (`TITLE` is fine, `title` is not).
_ENUM_ATTRIBUTES = frozenset(dir(enum.StrEnum))
_BUILTINS = frozenset(dir(builtins))

_NUMBERS = frozenset({"int", "float", "Decimal"})
# Which constraint applies to which kind of type (the outer type, after `| None` is taken off).
_CONSTRAINT_KINDS: Mapping[str, frozenset[str]] = {
    "min_length": frozenset({"str", "list", "dict"}),
    "max_length": frozenset({"str", "list", "dict"}),
    "pattern": frozenset({"str"}),
    "ge": _NUMBERS,
    "gt": _NUMBERS,
    "le": _NUMBERS,
    "lt": _NUMBERS,
    "multiple_of": _NUMBERS,
    "max_digits": frozenset({"Decimal"}),
    "decimal_places": frozenset({"Decimal"}),
}
CONSTRAINTS = tuple(_CONSTRAINT_KINDS)

_TYPE_RULE = (
    "must be a type expression: str, int, float, bool, datetime, date, UUID, Decimal, JsonValue, the name of a "
    "model or enum of this spec, list[T] or dict[str, T], optionally followed by ' | None'"
)
_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[\[\],|]))")


@dataclass(frozen=True)
class TypeRef:
    """A parsed type expression: a scalar or class name, or a list/dict of an item type; maybe nullable."""

    kind: Literal["scalar", "class", "list", "dict"]
    name: str = ""  # scalar or class name; '' for list/dict
    item: TypeRef | None = None
    nullable: bool = False

    @property
    def outer(self) -> str:
        """What constraints are checked against: the scalar's name, 'list', 'dict' or 'class'."""
        return self.name if self.kind == "scalar" else self.kind

    def walk(self) -> Iterator[TypeRef]:
        yield self
        if self.item is not None:
            yield from self.item.walk()


def _tokens(text: str) -> list[str]:
    found: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(_TYPE_RULE)
        found.append(match["name"] or match["punct"])
        pos = match.end()
    return found


def parse_type(text: str) -> TypeRef:
    """The TypeRef of a type expression, or ValueError stating the grammar."""
    if len(text) > 200:
        raise ValueError(f"{_TYPE_RULE}; at most 200 characters")
    tokens = _tokens(text)
    ref, rest = _parse(tokens)
    if rest:
        raise ValueError(_TYPE_RULE)
    return ref


def _expect(tokens: list[str], token: str) -> list[str]:
    if not tokens or tokens[0] != token:
        raise ValueError(_TYPE_RULE)
    return tokens[1:]


def _parse(tokens: list[str]) -> tuple[TypeRef, list[str]]:
    if not tokens:
        raise ValueError(_TYPE_RULE)
    head, rest = tokens[0], tokens[1:]
    if head == "list" and rest[:1] == ["["]:
        item, rest = _parse(rest[1:])
        ref = TypeRef("list", item=item)
        rest = _expect(rest, "]")
    elif head == "dict" and rest[:1] == ["["]:
        rest = _expect(_expect(rest[1:], "str"), ",")
        item, rest = _parse(rest)
        ref = TypeRef("dict", item=item)
        rest = _expect(rest, "]")
    elif head in SCALARS:
        ref = TypeRef("scalar", name=head)
    elif re.fullmatch(r"[A-Z][A-Za-z0-9]*", head):
        ref = TypeRef("class", name=head)
    else:
        raise ValueError(_TYPE_RULE)
    if rest[:1] == ["|"]:
        rest = _expect(rest[1:], "None")
        ref = TypeRef(ref.kind, ref.name, ref.item, nullable=True)
    return ref, rest


def _type_expression(value: str) -> str:
    parse_type(value)
    return value


TypeExpression = Annotated[str, Field(examples=["str", "list[str]", "Priority | None", "dict[str, JsonValue]"])]
Description = Annotated[str, Field(min_length=1, max_length=1000)]


class EnumMember(SpecModel):
    """One member of a string enum: a Python name and the string it stands for."""

    name: Identifier = Field(description="Member name, e.g. HIGH.")
    value: str = Field(min_length=1, max_length=200, description="The string on the wire, e.g. 'high'.")

    @field_validator("name")
    @classmethod
    def _member_name(cls, value: str) -> str:
        if value.startswith("_"):
            raise ValueError("must not start with '_' (enum treats such names as private or special)")
        if value in _ENUM_ATTRIBUTES:
            raise ValueError("must not be the name of a str or Enum attribute (use capitals, e.g. TITLE)")
        return value


class EnumDef(SpecModel):
    """A string enum (rendered as enum.StrEnum)."""

    name: ClassName = Field(description="Enum class name, e.g. Priority.")
    description: Description | None = Field(default=None, description="Docstring of the enum.")
    values: list[str | EnumMember] = Field(
        min_length=1,
        max_length=500,
        description="Members: a string such as 'high' (member HIGH) or {name, value} when the value is not a "
        "valid lowercase name.",
    )

    @property
    def members(self) -> list[EnumMember]:
        return [v if isinstance(v, EnumMember) else EnumMember(name=v.upper(), value=v) for v in self.values]

    @field_validator("values")
    @classmethod
    def _values(cls, values: list[str | EnumMember]) -> list[str | EnumMember]:
        problems = []
        for i, v in enumerate(values):
            if isinstance(v, str) and not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", v):
                problems.append(
                    f"values.{i}: {v!r} is not a lowercase name (a-z, 0-9, '_'), so no member name can be made "
                    "from it; give it as {'name': 'SOME_NAME', 'value': ...}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        members = [v if isinstance(v, EnumMember) else EnumMember(name=v.upper(), value=v) for v in values]
        for attr in ("name", "value"):
            seen = [getattr(m, attr) for m in members]
            dupes = sorted({s for s in seen if seen.count(s) > 1})
            if dupes:
                raise ValueError(f"each member {attr} must be unique; repeated: {', '.join(map(repr, dupes))}")
        return values


class FieldDef(SpecModel):
    """One model field: name, type, and optionally a default, constraints and a description."""

    name: Identifier = Field(description="Field name (also the JSON key).")
    type: TypeExpression = Field(
        description="Type expression: str, int, float, bool, datetime (timezone-aware), date, UUID, Decimal, "
        "JsonValue, a model or enum of this spec, list[T], dict[str, T]; add ' | None' for an optional field "
        "(its default is then None unless one is given)."
    )
    description: Description | None = Field(default=None, description="Shown in JSON Schema and OpenAPI.")
    default: Any = Field(
        default=None,
        description="Default value (JSON). Checked against the type and constraints. Not allowed for datetime, "
        "date, UUID or model types; an enum default is one of its values.",
    )
    min_length: int | None = Field(default=None, ge=0, description="str, list or dict: minimum length.")
    max_length: int | None = Field(default=None, ge=0, description="str, list or dict: maximum length.")
    pattern: str | None = Field(default=None, min_length=1, max_length=500, description="str: a regex to match.")
    ge: float | None = Field(default=None, description="Numbers: greater than or equal.")
    gt: float | None = Field(default=None, description="Numbers: greater than.")
    le: float | None = Field(default=None, description="Numbers: less than or equal.")
    lt: float | None = Field(default=None, description="Numbers: less than.")
    multiple_of: float | None = Field(default=None, gt=0, description="Numbers: a multiple of this.")
    max_digits: int | None = Field(default=None, ge=1, description="Decimal: at most this many digits.")
    decimal_places: int | None = Field(default=None, ge=0, description="Decimal: at most this many decimals.")

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        return _type_expression(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value.startswith("_"):
            raise ValueError("must not start with '_' (pydantic treats such names as private attributes)")
        if value in MODEL_ATTRIBUTES:
            raise ValueError(f"must not be {value!r}, an attribute of pydantic's BaseModel (the field would shadow it)")
        return value

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set

    @property
    def type_ref(self) -> TypeRef:
        return parse_type(self.type)

    def constraints(self) -> dict[str, object]:
        """The constraints that are set, in a fixed order; whole floats are ints (`ge=1`, not `ge=1.0`)."""
        found: dict[str, object] = {}
        for name in CONSTRAINTS:
            value = getattr(self, name)
            if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
                value = int(value)
            if value is not None:
                found[name] = value
        return found


class ModelDef(SpecModel):
    """A Pydantic model."""

    name: ClassName = Field(description="Model class name, e.g. TaskEvent.")
    description: Description | None = Field(default=None, description="Docstring of the model.")
    fields: list[FieldDef] = Field(min_length=1, max_length=500, description="The fields, in order.")
    extra: Extra | None = Field(default=None, description="Unknown keys: override of the spec's `extra`.")
    frozen: bool | None = Field(default=None, description="Immutable instances: override of the spec's `frozen`.")

    @field_validator("fields")
    @classmethod
    def _unique(cls, fields: list[FieldDef]) -> list[FieldDef]:
        names = [f.name for f in fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"each field name must be unique; repeated: {', '.join(dupes)}")
        return fields


_DAY = "(?:MO|TU|WE|TH|FR|SA|SU)"
_UNTIL = "(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]Z"
_RRULE_PATTERN = (
    "^(?:RRULE:)?FREQ=(?:DAILY|WEEKLY|MONTHLY|YEARLY)"
    f"(?:;(?:INTERVAL=[1-9][0-9]{{0,2}}|BYDAY={_DAY}(?:,{_DAY}){{0,6}}"
    "|BYMONTHDAY=-?(?:3[01]|[12][0-9]|[1-9])|BYMONTH=(?:1[0-2]|[1-9])))*"
    f"(?:;(?:COUNT=[1-9][0-9]{{0,3}}|UNTIL={_UNTIL}))?$"
)


def _preset() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The todo system's events and task (seed: common/events.py), with aware datetimes and real constraints."""
    task_id = {"min_length": 1, "max_length": 128, "pattern": r"^[A-Za-z0-9_-]+$"}
    user_id = {"min_length": 1, "max_length": 128}
    enums: list[dict[str, Any]] = [
        {
            "name": "TaskEventType",
            "description": "What happened to a task.",
            "values": [
                {"name": "CREATED", "value": "task_created"},
                {"name": "UPDATED", "value": "task_updated"},
                {"name": "COMPLETED", "value": "task_completed"},
                {"name": "DELETED", "value": "task_deleted"},
            ],
        },
        {"name": "Priority", "description": "How urgent a task is.", "values": ["low", "medium", "high"]},
        {"name": "Frequency", "description": "How often a recurring task repeats.",
         "values": ["daily", "weekly", "monthly"]},
    ]  # fmt: skip
    models: list[dict[str, Any]] = [
        {
            "name": "Recurrence",
            "description": "When a recurring task is due again: every `interval` units, or by an RRULE.",
            "fields": [
                {"name": "frequency", "type": "Frequency", "description": "Unit of the repeat interval."},
                {"name": "interval", "type": "int", "default": 1, "ge": 1, "le": 366,
                 "description": "Repeat every this many units."},
                {"name": "until", "type": "datetime | None",
                 "description": "No occurrence after this instant."},
                {"name": "start", "type": "datetime | None",
                 "description": "First due date of the series (RRULE's DTSTART)."},
                # The parts the recurring-task service computes with, in RFC 5545's NAME=VALUE form, FREQ first:
                # the task API answers 422 for a rule the recurring service would have to drop later.
                {"name": "rrule", "type": "str | None", "min_length": 1, "max_length": 500,
                 "pattern": _RRULE_PATTERN,
                 "description": "An RFC 5545 RRULE: FREQ first, then INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, and "
                                "COUNT or UNTIL (in UTC) last; "
                                "overrides frequency and interval."},
            ],
        },
        {
            "name": "Task",
            "description": "A task as the task API stores it (state key: `tasks:` and the task id).",
            "fields": [
                {"name": "id", "type": "str", **task_id, "description": "Task id (letters, digits, '_', '-')."},
                {"name": "user_id", "type": "str", **user_id, "description": "Owner of the task."},
                {"name": "title", "type": "str", "min_length": 1, "max_length": 200},
                {"name": "description", "type": "str | None", "max_length": 4000},
                {"name": "priority", "type": "Priority", "default": "medium"},
                {"name": "tags", "type": "list[str]", "default": [], "max_length": 20},
                {"name": "due_at", "type": "datetime | None", "description": "When the task is due."},
                {"name": "remind_at", "type": "datetime | None", "description": "When to send a reminder."},
                {"name": "recurrence", "type": "Recurrence | None", "description": "Set for recurring tasks."},
                {"name": "completed", "type": "bool", "default": False},
                {"name": "created_at", "type": "datetime"},
                {"name": "updated_at", "type": "datetime | None"},
            ],
        },
        {
            "name": "TaskEvent",
            "description": "Published to the task-events topic whenever a task changes.",
            "fields": [
                {"name": "event_type", "type": "TaskEventType"},
                {"name": "task_id", "type": "str", **task_id},
                {"name": "user_id", "type": "str", **user_id},
                {"name": "timestamp", "type": "datetime", "description": "When the change happened."},
                {"name": "task_data", "type": "Task | None",
                 "description": "The task after the change; None for task_deleted."},
            ],
        },
        {
            "name": "ReminderEvent",
            "description": "Sent when a task's reminder is due (a Dapr job's data).",
            "fields": [
                {"name": "task_id", "type": "str", **task_id},
                {"name": "title", "type": "str", "min_length": 1, "max_length": 200},
                {"name": "due_at", "type": "datetime"},
                {"name": "remind_at", "type": "datetime"},
                {"name": "user_id", "type": "str", **user_id},
                {"name": "priority", "type": "Priority", "default": "medium"},
                {"name": "tags", "type": "list[str]", "default": [], "max_length": 20},
            ],
        },
    ]  # fmt: skip
    return models, enums


PRESET_MODELS, PRESET_ENUMS = _preset()


@dataclass(frozen=True)
class _Problem:
    loc: tuple[str | int, ...]
    value: object
    rule: str


class ModelsSpec(SpecModel):
    """Pydantic v2 models (and string enums) for events and state, with a generic CloudEvent envelope.

    Give `models` (and `enums`), or a `json_schema`; with none of them, the todo system's preset.
    """

    module: ModuleName = Field(default="events", description="Module (file) name, without '.py'.")
    models: list[ModelDef] = Field(
        default_factory=list,
        max_length=200,
        description="Models, in any order (references are resolved; output puts dependencies first). "
        "Default (no models, enums or json_schema): the todo system's Task, TaskEvent, ReminderEvent and "
        "Recurrence.",
    )
    enums: list[EnumDef] = Field(
        default_factory=list,
        max_length=200,
        description="String enums. Default as for models: TaskEventType, Priority, Frequency.",
    )
    json_schema: dict[str, JsonValue] | None = Field(
        default=None,
        description="A JSON Schema document (object); its models are made by datamodel-code-generator instead of "
        "`models`/`enums`. Only local $refs ('#/...') are followed.",
        json_schema_extra={"cli": "file"},  # the CLI's --json-schema reads it from a JSON or YAML file
    )
    extra: Extra = Field(
        default="ignore",
        description="What models do with unknown keys: 'ignore' (a newer publisher's extra fields do not break "
        "this consumer), 'forbid' or 'allow'. A model's own `extra` wins.",
    )
    frozen: bool = Field(
        default=True,
        description="Immutable, hashable instances (change one with model_copy(update=...)). A model's own "
        "`frozen` wins.",
    )
    line_length: LineLengthOption = None

    @field_validator("module")
    @classmethod
    def _module_shadows_nothing(cls, value: str) -> str:
        problem = module_name_problem(value, REQUIREMENTS)
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _whole_spec(cls, data: Any, handler: ModelWrapValidatorHandler[ModelsSpec]) -> ModelsSpec:
        if isinstance(data, Mapping) and not any(data.get(k) for k in ("models", "enums", "json_schema")):
            data = {**data, "models": PRESET_MODELS, "enums": PRESET_ENUMS}
        spec = handler(data)
        problems = list(_problems(spec))
        if problems:
            raise ValidationError.from_exception_data(
                cls.__name__, [rule_error(p.loc, p.value, p.rule) for p in problems]
            )
        return spec

    @property
    def class_names(self) -> list[str]:
        return [e.name for e in self.enums] + [m.name for m in self.models]


def _problems(spec: ModelsSpec) -> Iterator[_Problem]:
    if spec.json_schema is not None:
        for key in ("models", "enums"):
            if getattr(spec, key):
                yield _Problem((key,), "...", "must be left out when json_schema is given (one source of models)")
        yield from _schema_problems(spec.json_schema)
        return
    if not spec.models and not spec.enums:
        yield _Problem(("models",), [], "give at least one model or enum (or a json_schema)")
    names = spec.class_names
    locations = [("enums", i) for i in range(len(spec.enums))] + [("models", i) for i in range(len(spec.models))]
    for (group, i), name in zip(locations, names, strict=True):
        if names.count(name) > 1:
            yield _Problem((group, i, "name"), name, "must be unique among the spec's models and enums")
        if name in ENVELOPE_NAMES or name in IMPORTED_NAMES or name in _BUILTINS:
            yield _Problem(
                (group, i, "name"),
                name,
                "must not be a name the generated module already defines or imports (CloudEvent, DataT, "
                "BaseModel, Field, ...) or a Python builtin",
            )
    enums = {e.name: e for e in spec.enums}
    models = {m.name: m for m in spec.models}
    for i, model in enumerate(spec.models):
        for j, f in enumerate(model.fields):
            yield from _field_problems(("models", i, "fields", j), f, enums, models)
    yield from _cycle_problems(spec.models)


def _field_problems(
    loc: tuple[str | int, ...], f: FieldDef, enums: Mapping[str, EnumDef], models: Mapping[str, ModelDef]
) -> Iterator[_Problem]:
    ref = f.type_ref
    unknown = [r.name for r in ref.walk() if r.kind == "class" and r.name not in enums and r.name not in models]
    if unknown:
        yield _Problem(
            (*loc, "type"),
            f.type,
            f"refers to {', '.join(map(repr, unknown))}, which is not a model or enum of this spec "
            f"(known: {', '.join(sorted({*enums, *models})) or 'none'})",
        )
        return
    used = {r.name for r in ref.walk() if r.name}
    if f.name in used or f.name in models or f.name in enums:
        yield _Problem(
            (*loc, "name"), f.name, "must not be the name of a type (the field would hide it inside the class)"
        )
    misplaced = [
        _Problem(
            (*loc, name),
            value,
            f"applies only to {', '.join(sorted(_CONSTRAINT_KINDS[name]))} fields, "
            f"and this field is {_type_words(ref)}",
        )
        for name, value in f.constraints().items()
        if ref.outer not in _CONSTRAINT_KINDS[name]
    ]
    if misplaced:
        yield from misplaced
        return
    if f.pattern is not None:
        try:
            re.compile(f.pattern)
        except re.error as exc:
            yield _Problem((*loc, "pattern"), f.pattern, f"must be a valid regular expression ({exc})")
            return
        rust = _rust_regex_problem(f.pattern)
        if rust is not None:
            yield _Problem((*loc, "pattern"), f.pattern, rust)
            return
    if ref.outer == "int":
        for name in ("ge", "gt", "le", "lt", "multiple_of"):
            value = getattr(f, name)
            if value is not None and not float(value).is_integer():
                yield _Problem((*loc, name), value, "must be a whole number for an int field (pydantic refuses it)")
    if f.has_default:
        yield from _default_problems(loc, f, ref, enums)


@functools.lru_cache(maxsize=256)
def _rust_regex_problem(pattern: str) -> str | None:
    """Why pydantic cannot use `pattern`, or None. Pydantic matches `pattern` with Rust's regex crate, which has no
    lookaround or backreferences: such a pattern compiles in Python and fails when the model is built."""
    try:
        TypeAdapter(Annotated[str, Field(pattern=pattern)])
    except Exception as exc:
        first = str(exc).strip().splitlines()[-1][:160]
        return f"must be a regular expression pydantic can use (no lookaround or backreferences): {first}"
    return None


def _type_words(ref: TypeRef) -> str:
    return {"class": "a model or enum", "list": "a list", "dict": "a dict"}.get(ref.kind, ref.name)


def _runtime_type(ref: TypeRef, enums: Mapping[str, EnumDef]) -> object:
    """The Python type a default is checked against (an enum is the Literal of its values)."""
    if ref.kind == "scalar":
        base: object = SCALARS[ref.name]
    elif ref.kind == "class":
        base = Literal[tuple(m.value for m in enums[ref.name].members)] if ref.name in enums else dict[str, Any]
    elif ref.kind == "list":
        assert ref.item is not None
        base = list[_runtime_type(ref.item, enums)]  # type: ignore[misc]
    else:
        assert ref.item is not None
        base = dict[str, _runtime_type(ref.item, enums)]  # type: ignore[misc]
    return base | None if ref.nullable else base  # type: ignore[operator]


_NO_DEFAULT_KINDS = frozenset({"datetime", "date", "UUID"})


def _default_problems(
    loc: tuple[str | int, ...], f: FieldDef, ref: TypeRef, enums: Mapping[str, EnumDef]
) -> Iterator[_Problem]:
    value = f.default
    where = (*loc, "default")
    if value is None:
        if not ref.nullable:
            yield _Problem(where, value, "may be null only for an optional field (type ending in ' | None')")
        return
    if (ref.kind, value) in (("list", []), ("dict", {})):
        return  # an empty container fits any item type
    for r in ref.walk():
        if r.kind == "class" and r.name not in enums:
            yield _Problem(where, value, "a field of a model type cannot have a default; make it optional instead")
            return
        if r.name in _NO_DEFAULT_KINDS:
            yield _Problem(where, value, f"a {r.name} field cannot have a fixed default; make it optional instead")
            return
    if ref.kind == "dict" and value != {}:
        yield _Problem(where, value, "a dict field's default may only be {}")
        return
    if ref.kind == "list" and not (
        isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value)
    ):
        yield _Problem(where, value, "a list field's default must be a list of strings, numbers or booleans")
        return
    if ref.kind == "scalar" and ref.name == "JsonValue" and not isinstance(value, str | int | float | bool):
        yield _Problem(where, value, "a JsonValue field's default must be a string, number or boolean")
        return
    constraints: dict[str, Any] = f.constraints()  # all apply: _field_problems reported any that do not
    checked: Any = Annotated[_runtime_type(ref, enums), Field(**constraints)]
    # Strict, so '1' is not an int default; Decimal is the exception (a JSON spec can only spell it as a string).
    strict = not (ref.kind == "scalar" and ref.name == "Decimal")
    if strict and ref.kind == "scalar" and ref.name == "float" and isinstance(value, bool):
        yield _Problem(where, value, "must match the field's type (float)")
        return
    try:
        TypeAdapter[Any](checked).validate_python(value, strict=strict)
    except ValidationError as exc:
        detail = "; ".join(e["msg"] for e in exc.errors(include_url=False))
        yield _Problem(where, value, f"must match the field's type {f.type!r} and constraints ({detail})")


def _required_refs(model: ModelDef, models: Mapping[str, ModelDef]) -> list[str]:
    """Models this one cannot exist without: fields of a bare model type (not optional, not in a list or dict)."""
    return [
        r.name
        for f in model.fields
        if (r := f.type_ref).kind == "class" and not r.nullable and r.name in models and not f.has_default
    ]


def _cycle_problems(models: Sequence[ModelDef]) -> Iterator[_Problem]:
    """A cycle of required model references can never be instantiated; cycles through '| None', list or dict can."""
    by_name = {m.name: m for m in models}
    index = {m.name: i for i, m in enumerate(models)}
    for model in models:
        stack: list[tuple[str, tuple[str, ...]]] = [(model.name, (model.name,))]
        seen: set[str] = set()
        while stack:
            name, path = stack.pop()
            for target in _required_refs(by_name[name], by_name):
                if target == model.name:
                    yield _Problem(
                        ("models", index[model.name], "fields"),
                        " -> ".join((*path, target)),
                        "required model references form a cycle, so no instance could ever be built; make one "
                        "of them optional (' | None'), a list or a dict",
                    )
                    return
                if target not in seen:
                    seen.add(target)
                    stack.append((target, (*path, target)))


def _resolves(schema: JsonValue, pointer: str) -> bool:
    """Whether the local reference `#<pointer>` names a node of `schema`."""
    node = schema
    for part in pointer.removeprefix("#").split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _schema_problems(schema: Mapping[str, JsonValue]) -> Iterator[_Problem]:
    """Refuse what would make datamodel-code-generator read files or the network (only '#/...' references), and
    a reference that names nothing (it would make the name an untyped `Any` model, and the real one another)."""

    def walk(node: JsonValue, loc: tuple[str | int, ...]) -> Iterator[_Problem]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and not (isinstance(value, str) and value.startswith("#")):
                    yield _Problem(
                        (*loc, key), value, "must be a local reference ('#/$defs/...'): files and URLs are not read"
                    )
                elif key == "$ref" and isinstance(value, str) and not _resolves(dict(schema), value):
                    yield _Problem((*loc, key), value, "names nothing in this schema (a reference must resolve)")
                else:
                    yield from walk(value, (*loc, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, (*loc, i))

    yield from walk(dict(schema), ("json_schema",))
    if not any(isinstance(schema.get(key), kind) and schema.get(key) for key, kind in _DESCRIBES_MODELS):
        # A data file (or a schema of nothing) would come out as `class Model(RootModel[Any])`.
        yield _Problem(
            ("json_schema",),
            sorted(schema)[:8],
            "must be a JSON Schema that describes models: an object schema with 'properties', schemas under "
            "'$defs' or 'definitions', an 'enum', or 'allOf'/'anyOf'/'oneOf' (the document's top-level keys are "
            "shown)",
        )


# The top-level keywords that make a JSON Schema describe at least one model (or enum), and their JSON types.
_DESCRIBES_MODELS: tuple[tuple[str, type], ...] = (
    ("properties", dict),
    ("$defs", dict),
    ("definitions", dict),
    ("enum", list),
    ("allOf", list),
    ("anyOf", list),
    ("oneOf", list),
)
