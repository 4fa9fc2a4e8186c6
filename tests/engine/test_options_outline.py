"""The outline of a generator's options (`skill.render_outline`): one line per option, a nested model's fields
indented once under its first use, settings models on one line, another generator's spec named, not repeated."""

from __future__ import annotations

from typing import Any

from skill import REGISTRY, render_outline

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["topic"],
    "properties": {
        "topic": {"type": "string", "description": "Topic to read. More words that the outline leaves out."},
        "retries": {"type": "integer", "minimum": 0, "maximum": 10, "default": 3, "description": "Retries."},
        "mode": {"enum": ["fast", "safe"], "type": "string", "default": "safe", "description": "How."},
        "first": {"anyOf": [{"$ref": "#/$defs/Item"}, {"type": "null"}], "default": None, "description": "One."},
        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "description": "Many."},
        "limits": {"$ref": "#/$defs/Limits", "description": "Limits."},
        "source": {
            "anyOf": [{"$ref": "#/$defs/Cron"}, {"$ref": "#/$defs/Item"}, {"type": "null"}],
            "default": None,
            "description": "Where from.",
        },
        "models": {"$ref": "#/$defs/ModelsSpec", "description": "Models."},
    },
    "$defs": {
        "Item": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "description": "Its name."}},
        },
        "Limits": {
            "type": "object",
            "properties": {
                "low": {"type": "integer", "default": 1, "description": "Low."},
                "high": {"type": "integer", "default": 9, "description": "High."},
            },
        },
        "Cron": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"const": "cron", "type": "string", "description": "A cron."}},
        },
        "ModelsSpec": {"type": "object", "properties": {"module": {"type": "string", "description": "Module."}}},
    },
}


def test_each_option_is_one_line_and_each_shape_is_shown_once() -> None:
    text = render_outline(SCHEMA, heading="opts", elsewhere={"ModelsSpec": "dapr-specs://models"})
    lines = text.splitlines()
    assert lines[0] == "opts"
    assert "topic*: str - Topic to read" in lines
    assert "retries: int (0..10) = 3 - Retries" in lines
    assert 'mode: fast|safe = "safe" - How' in lines
    assert "first: Item? - One" in lines
    assert "  name*: str - Its name" in lines
    assert text.count("name*: str - Its name") == 1  # `items` and `source` name Item again, not its fields
    assert "items: list[Item] - Many" in lines
    assert "  low: int = 1; high: int = 9" in lines  # settings: one line, their meanings in the JSON Schema
    assert "source: (Cron | Item)? - Where from" in lines
    assert '    kind*: "cron" - A cron' in lines  # a union's arm, named above its fields
    assert "models: ModelsSpec - Models (fields: dapr-specs://models)" in lines
    assert "module" not in text


def test_the_service_outline_is_a_quarter_of_its_schema() -> None:
    g = REGISTRY["service"]
    text = render_outline(g.spec.model_json_schema())
    assert len(text) * 3 < len(str(g.spec.model_json_schema()))
    for name in g.spec.model_fields:
        assert any(line.startswith((f"{name}:", f"{name}*:")) for line in text.splitlines()), name
