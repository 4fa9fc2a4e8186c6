"""What each todo starter's handlers are written against: the models, fields and types they read or build.

A starter's handlers.py and tests are rendered against the spec's models. A spec whose models lack a field the
handlers read, or give it another type, would render code that fails `mypy --strict` and its own tests; so the
spec is refused before rendering, naming the model, the field and the type it needs (`starter_model_problems`).

A model the starter alone produces (the notification starter's `NotificationSent`, the event it publishes) is
the starter's to define: when the spec leaves it out, the starter brings it (`brought_models`), so that a
service spec needs only the models the service shares with others.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from skill.specs.models import PRESET_ENUMS, PRESET_MODELS, EnumDef, ModelDef, ModelsSpec, parse_type

__all__ = ["NOTIFICATION_SENT", "STARTER_CONTRACTS", "ModelNeed", "brought_models", "starter_model_problems"]


@dataclass(frozen=True)
class ModelNeed:
    """A model a starter's code reads or builds: its fields as (name, type expression)."""

    name: str
    fields: tuple[tuple[str, str], ...]
    built: bool = False  # the starter constructs it from these fields alone: any other field needs a default


@dataclass(frozen=True)
class EnumNeed:
    """An enum whose members the starter's code names."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class StarterContract:
    models: tuple[ModelNeed, ...]
    enums: tuple[EnumNeed, ...] = ()
    brings: tuple[Mapping[str, Any], ...] = ()  # model definitions added when the spec has none of that name


NOTIFICATION_SENT: Mapping[str, Any] = {
    "name": "NotificationSent",
    "description": "Published when a reminder was sent.",
    "fields": [
        {"name": "task_id", "type": "str", "min_length": 1, "max_length": 128, "pattern": "^[A-Za-z0-9_-]+$"},
        {"name": "user_id", "type": "str", "min_length": 1, "max_length": 128},
        {"name": "remind_at", "type": "datetime"},
        {"name": "channel", "type": "str", "min_length": 1, "max_length": 50},
        {"name": "sent_at", "type": "datetime"},
    ],
}

_REMINDER_BUILT = (
    ("task_id", "str"),
    ("title", "str"),
    ("due_at", "datetime"),
    ("remind_at", "datetime"),
    ("user_id", "str"),
    ("priority", "Priority"),
    ("tags", "list[str]"),
)

STARTER_CONTRACTS: dict[str, StarterContract] = {
    # skill/generators/todo.py and snippets/project/recurring_handlers.py.jinja, test_recurring.py.jinja
    "todo-recurring-task": StarterContract(
        models=(
            ModelNeed(
                "Task",
                (
                    ("id", "str"),
                    ("user_id", "str"),
                    ("title", "str"),
                    ("priority", "Priority"),
                    ("tags", "list[str]"),
                    ("due_at", "datetime | None"),
                    ("remind_at", "datetime | None"),
                    ("recurrence", "Recurrence | None"),
                    ("completed", "bool"),
                    ("created_at", "datetime"),
                    ("updated_at", "datetime | None"),
                ),
            ),
            ModelNeed(
                "Recurrence",
                (
                    ("frequency", "Frequency"),
                    ("interval", "int"),
                    ("until", "datetime | None"),
                    ("start", "datetime | None"),
                    ("rrule", "str | None"),
                ),
            ),
            ModelNeed("ReminderEvent", _REMINDER_BUILT, built=True),
        ),
        enums=(EnumNeed("Frequency", ("DAILY", "WEEKLY", "MONTHLY")),),
    ),
    # snippets/project/notification_handlers.py.jinja, test_notification.py.jinja
    "todo-notification": StarterContract(
        models=(
            ModelNeed("ReminderEvent", (("task_id", "str"), ("user_id", "str"), ("remind_at", "datetime"))),
            ModelNeed(
                "NotificationSent",
                tuple((f["name"], f["type"]) for f in NOTIFICATION_SENT["fields"]),
                built=True,
            ),
        ),
        brings=(NOTIFICATION_SENT,),
    ),
}


def brought_models(starter: str, models: Any) -> Any:
    """`models` (a models spec as given: None, a mapping or a ModelsSpec) with the models `starter` brings added
    where the spec has none of that name. A JSON Schema spec is left alone (its classes are the schema's)."""
    contract = STARTER_CONTRACTS.get(starter)
    if contract is None or not contract.brings:
        return models
    if isinstance(models, ModelsSpec):
        models = models.model_dump(exclude_unset=True)
    if models is None:
        models = {}
    if not isinstance(models, Mapping) or models.get("json_schema") is not None:
        return models  # not ours to change: validation reports what is wrong with it
    given = models.get("models") or []
    enums = models.get("enums") or []
    if not isinstance(given, Sequence) or not isinstance(enums, Sequence):
        return models
    if not given and not enums:  # the preset: the todo models, which the starter is written against
        given, enums = PRESET_MODELS, PRESET_ENUMS
    names = {_name(m) for m in given}
    added = [dict(m) for m in contract.brings if m["name"] not in names]
    if not added:
        return models
    return {**models, "models": [*given, *added], "enums": list(enums)}


def _name(model: object) -> object:
    if isinstance(model, ModelDef):
        return model.name
    return model.get("name") if isinstance(model, Mapping) else None


def _field_list(fields: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name}: {kind}" for name, kind in fields)


def starter_model_problems(starter: str, models: ModelsSpec) -> Iterator[tuple[str, object, str]]:
    """(where, value, rule) for each model, field or enum member the starter needs and `models` lacks."""
    contract = STARTER_CONTRACTS.get(starter)
    if contract is None:
        return
    what = f"starter {starter!r}"
    if models.json_schema is not None:
        yield "models.json_schema", "...", f"{what} is written against models given as `models`, not a JSON Schema"
        return
    defined = {m.name: (i, m) for i, m in enumerate(models.models)}
    for need in contract.models:
        if need.name not in defined:
            yield (
                "models",
                need.name,
                f"{what} needs a model named {need.name!r} with fields {_field_list(need.fields)}",
            )
            continue
        i, model = defined[need.name]
        yield from _field_problems(what, need, i, model)
    enums = {e.name: (i, e) for i, e in enumerate(models.enums)}
    for enum in contract.enums:
        if enum.name not in enums:
            members = ", ".join(enum.members)
            yield "models.enums", enum.name, f"{what} needs an enum {enum.name!r} with members {members}"
            continue
        i, defined_enum = enums[enum.name]
        yield from _member_problems(what, enum, i, defined_enum)


def _field_problems(what: str, need: ModelNeed, i: int, model: ModelDef) -> Iterator[tuple[str, object, str]]:
    fields = {f.name: (j, f) for j, f in enumerate(model.fields)}
    missing = [(name, kind) for name, kind in need.fields if name not in fields]
    if missing:
        yield (
            f"models.models.{i}.fields",
            need.name,
            f"{what} needs {need.name} to have {_field_list(missing)} (it reads or writes them)",
        )
    for name, kind in need.fields:
        if name in fields:
            j, f = fields[name]
            if f.type_ref != parse_type(kind):
                yield f"models.models.{i}.fields.{j}.type", f.type, f"{what} needs {need.name}.{name} to be {kind}"
    if need.built:
        needed = {name for name, _ in need.fields}
        for j, f in enumerate(model.fields):
            if f.name not in needed and not f.has_default and not f.type_ref.nullable:
                yield (
                    f"models.models.{i}.fields.{j}",
                    f.name,
                    f"{what} builds {need.name} from {', '.join(sorted(needed))} only: give {f.name} a default "
                    "or drop it",
                )


def _member_problems(what: str, need: EnumNeed, i: int, enum: EnumDef) -> Iterator[tuple[str, object, str]]:
    have = {m.name for m in enum.members}
    missing = [m for m in need.members if m not in have]
    if missing:
        yield f"models.enums.{i}.values", need.name, f"{what} needs {need.name} members {', '.join(missing)}"
