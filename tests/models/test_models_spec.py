"""Bad models specs are SpecErrors naming the field and the rule; valid random specs render clean, and hostile
names never reach the output."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from skill.errors import SpecError
from skill.pipeline import generate, parse_spec
from skill.specs.models import MODEL_ATTRIBUTES, ModelsSpec
from tests.models.conftest import load_module
from tests.models.strategies import models_specs


def _problems(spec: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec("models", spec)
    return [str(p) for p in info.value.problems]


def _one(fields: list[dict[str, Any]], enums: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"models": [{"name": "M", "fields": fields}], "enums": enums or []}


@pytest.mark.parametrize(
    ("spec", "field", "rule"),
    [
        (_one([{"name": "a b", "type": "str"}]), "models.0.fields.0.name", "must be a Python identifier"),
        (_one([{"name": "class", "type": "str"}]), "models.0.fields.0.name", "keyword"),
        (_one([{"name": "model_dump", "type": "str"}]), "models.0.fields.0.name", "BaseModel"),
        (_one([{"name": "_x", "type": "str"}]), "models.0.fields.0.name", "private"),
        (_one([{"name": "a", "type": "int"}, {"name": "a", "type": "str"}]), "models.0.fields", "unique"),
        (_one([{"name": "a", "type": "Missing"}]), "models.0.fields.0.type", "not a model or enum"),
        (_one([{"name": "a", "type": "list[str"}]), "models.0.fields.0.type", "type expression"),
        (_one([{"name": "a", "type": "tuple[int]"}]), "models.0.fields.0.type", "type expression"),
        (_one([{"name": "a", "type": "int", "default": "1"}]), "models.0.fields.0.default", "must match"),
        (_one([{"name": "a", "type": "int", "default": 5, "le": 3}]), "models.0.fields.0.default", "must match"),
        (_one([{"name": "a", "type": "str", "default": None}]), "models.0.fields.0.default", "optional"),
        (
            _one([{"name": "a", "type": "datetime", "default": "2026-01-01T00:00:00Z"}]),
            "models.0.fields.0.default",
            "fixed default",
        ),
        (_one([{"name": "a", "type": "int", "max_length": 3}]), "models.0.fields.0.max_length", "applies only"),
        (_one([{"name": "a", "type": "str", "ge": 1}]), "models.0.fields.0.ge", "applies only"),
        (_one([{"name": "a", "type": "str", "pattern": "("}]), "models.0.fields.0.pattern", "regular expression"),
        (
            _one([{"name": "a", "type": "P", "default": "nope"}], [{"name": "P", "values": ["x"]}]),
            "models.0.fields.0.default",
            "must match",
        ),
        (_one([{"name": "a", "type": "str"}], [{"name": "P", "values": ["x", "x"]}]), "enums.0.values", "unique"),
        (
            _one([{"name": "a", "type": "str"}], [{"name": "P", "values": ["Not Lower"]}]),
            "enums.0.values",
            "lowercase name",
        ),
        (_one([{"name": "a", "type": "str"}], [{"name": "M", "values": ["x"]}]), "models.0.name", "unique"),
        (
            {"models": [{"name": "CloudEvent", "fields": [{"name": "a", "type": "str"}]}]},
            "models.0.name",
            "already defines",
        ),
        ({"models": [{"name": "Exception", "fields": [{"name": "a", "type": "str"}]}]}, "models.0.name", "builtin"),
        (
            {
                "models": [
                    {"name": "A", "fields": [{"name": "b", "type": "B"}]},
                    {"name": "B", "fields": [{"name": "a", "type": "A"}]},
                ]
            },
            "models.0.fields",
            "cycle",
        ),
        (_one([{"name": "date", "type": "date"}]), "models.0.fields.0.name", "name of a type"),
        ({"module": "json"}, "module", "standard-library"),
        ({"module": "pydantic"}, "module", "import it"),
        ({"json_schema": {"$ref": "file:///etc/passwd"}}, "json_schema.'$ref'", "local reference"),
        (  # found by the sweep (tests/sweep): datamodel-code-generator made the name an Any model
            {"json_schema": {"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}, "$defs": {}}},
            "json_schema.properties.a.'$ref'",
            "names nothing",
        ),
        (
            {"json_schema": {"type": "object"}, "models": [{"name": "A", "fields": [{"name": "a", "type": "str"}]}]},
            "models",
            "left out",
        ),
    ],
)
def test_bad_input_names_the_field_and_the_rule(spec: dict[str, Any], field: str, rule: str) -> None:
    problems = _problems(spec)
    assert any(p.startswith(f"{field}:") and rule in p for p in problems), problems


def test_model_attributes_are_computed_from_basemodel() -> None:
    assert {"model_dump", "model_config", "model_validate", "copy", "json"} <= MODEL_ATTRIBUTES


def test_preset_is_the_default_and_empty_options_keep_it() -> None:
    spec = ModelsSpec.model_validate({})
    assert [m.name for m in spec.models] == ["Recurrence", "Task", "TaskEvent", "ReminderEvent"]
    assert ModelsSpec.model_validate({"module": "todo_events"}).models == spec.models


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_specs)
def test_valid_random_specs_render_clean(spec: dict[str, Any]) -> None:
    (file,) = generate("models", spec).files  # generate() raises unless ruff format and ruff check passed
    assert "class Generated(BaseModel):" in file.content


HOSTILE = ["a'b", 'x"""', "a\nb", "{{x}}", "../up", "naïve", "for", "import os", "a;b", "", "A" * 100]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(HOSTILE), st.sampled_from(["field", "model", "enum_member", "type"]))
def test_hostile_names_are_spec_errors(name: str, where: str) -> None:
    field = {"name": name if where == "field" else "ok", "type": name if where == "type" else "str"}
    spec: dict[str, Any] = {"models": [{"name": name if where == "model" else "Ok", "fields": [field]}]}
    if where == "enum_member":
        spec["enums"] = [{"name": "E", "values": [{"name": name, "value": "v"}]}]
    with pytest.raises(SpecError) as info:
        generate("models", spec)
    assert info.value.problems


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=60))
@example("0 ")  # ruff format strips a docstring's trailing spaces from its source: they are written as escapes
@example("  \n ")
def test_any_description_or_enum_value_stays_an_inert_literal(text: str) -> None:
    spec = {
        "enums": [{"name": "E", "description": text, "values": [{"name": "V", "value": text}]}],
        "models": [{"name": "M", "description": text, "fields": [{"name": "e", "type": "E", "description": text}]}],
    }
    (file,) = generate("models", spec).files
    with tempfile.TemporaryDirectory() as folder:
        module = load_module(file.content, Path(folder), "hostile_text")
    assert module.E.V.value == text
    assert module.E.__doc__ == text
    assert module.M.model_fields["e"].description == text


def test_cli_reads_json_schema_from_a_yaml_file(tmp_path: Path) -> None:
    from tools.cli import main

    schema = tmp_path / "ping.yaml"
    schema.write_text("title: Ping\ntype: object\nproperties:\n  at: {type: string, format: date-time}\n")
    out = tmp_path / "out"
    assert main(["generate", "models", "--json-schema", str(schema), "--module", "ping_events", "-o", str(out)]) == 0
    text = (out / "ping_events.py").read_text(encoding="utf-8")
    assert "class Ping(BaseModel):" in text
    assert "at: AwareDatetime | None = None" in text


@pytest.mark.parametrize(
    ("field", "where", "rule"),
    [
        ({"name": "x", "type": "str", "pattern": "^(?=a)a+$"}, "pattern", "pydantic can use"),
        ({"name": "x", "type": "str", "pattern": r"^(a)\1$"}, "pattern", "pydantic can use"),
        ({"name": "n", "type": "int", "ge": 0.5}, "ge", "whole number"),
        ({"name": "n", "type": "int", "multiple_of": 2.5}, "multiple_of", "whole number"),
    ],
)
def test_constraints_pydantic_would_refuse_are_refused_here(field: dict[str, object], where: str, rule: str) -> None:
    # Python's re compiles these and the spec types allow them, but pydantic refuses them when the model is built.
    with pytest.raises(SpecError) as caught:
        generate("models", {"models": [{"name": "M", "fields": [field]}]})
    assert [(p.field, rule in p.rule) for p in caught.value.problems] == [(f"models.0.fields.0.{where}", True)]
