"""A covering set of models specs: every scalar under every wrapper, every constraint on each type it applies to,
every kind of default, enums, nested models and reference cycles, each config choice; plus the generator's examples
and JSON Schema documents. The render tests hold every one of them to ruff and mypy --strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skill.registry import REGISTRY

DATA = Path(__file__).parent / "data"
SCALARS = ("str", "int", "float", "bool", "datetime", "date", "UUID", "Decimal", "JsonValue")
WRAPPERS = ("{}", "{} | None", "list[{}]", "list[{}] | None", "dict[str, {}]", "list[{} | None]", "dict[str, list[{}]]")


def _wrapped(type_name: str) -> list[dict[str, Any]]:
    return [{"name": f"f{i}", "type": w.format(type_name)} for i, w in enumerate(WRAPPERS)]


def _types_spec() -> dict[str, Any]:
    models = [{"name": f"All{s.title().replace('_', '')}", "fields": _wrapped(s)} for s in SCALARS]
    models.append({"name": "AllRefs", "fields": [*_wrapped("Colour"), {"name": "m", "type": "list[AllStr] | None"}]})
    return {"enums": [{"name": "Colour", "values": ["red", "green"]}], "models": models}


CONSTRAINED: dict[str, Any] = {
    "models": [
        {
            "name": "Constrained",
            "description": "Every constraint on a type it applies to.",
            "fields": [
                {"name": "code", "type": "str", "min_length": 2, "max_length": 8, "pattern": "^[A-Z]+$"},
                {"name": "note", "type": "str | None", "max_length": 10, "description": 'Short: "quoted" {{x}}'},
                {"name": "count", "type": "int", "ge": 0, "le": 100, "multiple_of": 5},
                {"name": "ratio", "type": "float", "gt": 0, "lt": 1.5},
                {"name": "price", "type": "Decimal", "ge": 0, "max_digits": 8, "decimal_places": 2},
                {"name": "tags", "type": "list[str]", "min_length": 1, "max_length": 3},
                {"name": "labels", "type": "dict[str, int]", "max_length": 4},
            ],
        }
    ]
}
DEFAULTS: dict[str, Any] = {
    "enums": [{"name": "Level", "values": ["low", "high", {"name": "VERY_HIGH", "value": "very high"}]}],
    "models": [
        {
            "name": "Defaults",
            "extra": "allow",
            "frozen": False,
            "fields": [
                {"name": "s", "type": "str", "default": 'it\'s "x"\n'},
                {"name": "i", "type": "int", "default": -3, "ge": -5},
                {"name": "f", "type": "float", "default": 2},
                {"name": "b", "type": "bool", "default": True},
                {"name": "d", "type": "Decimal", "default": "1.50"},
                {"name": "j", "type": "JsonValue", "default": "x"},
                {"name": "level", "type": "Level", "default": "very high"},
                {"name": "levels", "type": "list[Level]", "default": ["low", "high"]},
                {"name": "nums", "type": "list[int]", "default": [1, 2]},
                {"name": "mapping", "type": "dict[str, Level]", "default": {}},
                {"name": "maybe", "type": "int | None", "default": 4},
                {"name": "nothing", "type": "str | None", "default": None},
            ],
        }
    ],
}
NESTED: dict[str, Any] = {
    "extra": "forbid",
    "frozen": False,
    "models": [
        {"name": "Outer", "fields": [{"name": "inner", "type": "Inner"}, {"name": "many", "type": "dict[str, Inner]"}]},
        {
            "name": "Inner",
            "fields": [{"name": "leaf", "type": "Leaf | None"}, {"name": "parent", "type": "Outer | None"}],
        },
        {"name": "Leaf", "fields": [{"name": "value", "type": "int"}, {"name": "self_ref", "type": "list[Leaf]"}]},
    ],
}
ENUMS_ONLY: dict[str, Any] = {
    "enums": [{"name": "Only", "description": "Enums alone are a module too.", "values": ["a"]}]
}


def json_schemas() -> dict[str, dict[str, Any]]:
    return {
        path.name.split(".")[0]: json.loads(path.read_text(encoding="utf-8")) for path in sorted(DATA.glob("*.json"))
    }


def covering_specs() -> dict[str, dict[str, Any]]:
    """Name -> spec; every name is also a valid module name."""
    specs: dict[str, dict[str, Any]] = {
        "m_default": {},
        "m_types": _types_spec(),
        "m_constrained": CONSTRAINED,
        "m_defaults": DEFAULTS,
        "m_nested": NESTED,
        "m_enums_only": ENUMS_ONLY,
    }
    for name, example in REGISTRY["models"].examples.items():
        specs[f"m_example_{name.replace('-', '_')}"] = dict(example)
    for name, schema in json_schemas().items():
        specs[f"m_schema_{name.replace('-', '_')}"] = {"json_schema": schema}
    return specs
