"""Text a schema or spec carries (descriptions, titles, enum values, defaults, aliases) reaches the module only as
escapes: a line or paragraph separator, a control or bidi character never appears raw in code, a docstring or a
comment (SECURITY.md), and such text never fails generation as "a bug". The values still round-trip."""

from __future__ import annotations

import inspect
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from skill.errors import SpecError
from tests.models.conftest import load_module, render_models
from tools.cli import main

# Line/paragraph separators, C0/C1 controls, bidi embeddings, overrides, isolates and marks, a confusable.
HOSTILE = (
    "\u2028\u2029\x85\x0b\x0c\x1c\x07\x1b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u00e9"
)
TEXT = f"one{HOSTILE}two \"'\\ end"


def _no_raw_text(source: str) -> None:
    """Nothing but printable ASCII and newlines, outside identifiers: datamodel-code-generator may make a Python
    name such as `VÉ` from a schema's text, which Python allows (never a separator, control or bidi character)."""
    names = {c for c in source if ("a" + c).isidentifier()}
    odd = sorted({c for c in source if not (c.isascii() and (c.isprintable() or c == "\n"))} - names)
    assert odd == [], [hex(ord(c)) for c in odd]


def _schema(text: str, value: str) -> dict[str, Any]:
    return {
        "title": "Order",
        "description": text,
        "type": "object",
        "properties": {
            "note": {"type": "string", "description": text, "title": text, "default": value},
            "kind": {"$ref": "#/$defs/Kind"},
            "odd key": {"type": "integer", "description": text},
        },
        "$defs": {"Kind": {"type": "string", "enum": [value, "plain"], "description": text}},
    }


def test_a_schema_full_of_hostile_text_generates_with_every_value_escaped(tmp_path: Path) -> None:
    value = f"v{HOSTILE}"
    source = render_models({"json_schema": _schema(TEXT, value)})
    _no_raw_text(source)
    module = load_module(source, tmp_path, "hostile_schema")
    assert module.Order.__doc__ == inspect.cleandoc(TEXT)
    assert module.Kind.__doc__ == inspect.cleandoc(TEXT)
    assert {m.value for m in module.Kind} == {value, "plain"}
    fields = module.Order.model_fields
    assert fields["note"].description == TEXT
    assert fields["note"].default == value
    assert fields["odd_key"].alias == "odd key"


def test_the_models_spec_escapes_the_same_text(tmp_path: Path) -> None:
    value = f"v{HOSTILE}"
    spec = {
        "models": [
            {
                "name": "Order",
                "description": TEXT,
                "fields": [{"name": "note", "type": "str", "description": TEXT, "default": value}],
            }
        ],
        "enums": [{"name": "Kind", "description": TEXT, "values": [{"name": "ODD", "value": value}]}],
    }
    source = render_models(spec)
    _no_raw_text(source)
    module = load_module(source, tmp_path, "hostile_spec")
    assert module.Order.__doc__ == TEXT
    assert module.Kind.ODD.value == value
    assert module.Order.model_fields["note"].description == TEXT


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT, value=_TEXT)
@example(text="0", value="O")  # an enum member named O (ruff's E741) once failed generation as "a bug"
@example(text="0", value="\u00aaA")  # member `ªA`, which Python reads as `aA` (NFKC): once ruff's N815, "a bug"
def test_any_schema_text_is_escaped_and_round_trips(tmp_path: Path, text: str, value: str) -> None:
    """Whatever the text, the module is plain ASCII and reads its values back unchanged."""
    # a value Python would read as the other member's name is refused (the last tests below)
    assume(unicodedata.normalize("NFKC", value).upper() != "PLAIN")
    schema = _schema(text, value) if value != "plain" else _schema(text, value + "!")
    source = render_models({"json_schema": schema})
    _no_raw_text(source)
    module = load_module(source, tmp_path, "any_schema")
    assert schema["$defs"]["Kind"]["enum"][0] in {m.value for m in module.Kind}
    assert module.Order.model_fields["note"].description == text


def test_a_property_name_longer_than_yaml_allows_is_read_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PyYAML refuses a key over 1,024 characters; a JSON file is read as JSON, so the name meets the real rules."""
    name = "x" * 1100
    path = tmp_path / "big.schema.json"
    path.write_text(json.dumps({"title": "Big", "type": "object", "properties": {name: {"type": "string"}}}))
    code = main(["generate", "models", "--json-schema", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"\n    {name}: " in out


def test_a_property_python_would_read_as_another_name_keeps_its_own_as_the_alias(tmp_path: Path) -> None:
    """Python reads the identifier `ª` as `a` (NFKC): the field is `a`, and documents still carry `ª`."""
    properties = {"\u00aa": {"type": "string"}, "a": {"type": "integer"}}
    schema = {"title": "Order", "type": "object", "properties": properties}
    module = load_module(render_models({"json_schema": schema}), tmp_path, "respelled")
    order = module.Order.model_validate({"\u00aa": "x", "a": 1})
    assert (order.a, order.a_1) == ("x", 1)
    assert order.model_dump(by_alias=True) == {"\u00aa": "x", "a": 1}


def test_enum_values_that_are_one_member_name_to_python_are_refused_naming_both() -> None:
    schema = {"title": "Order", "type": "object", "properties": {"kind": {"$ref": "#/$defs/Kind"}},
              "$defs": {"Kind": {"type": "string", "enum": ["\u00aaA", "AA"]}}}  # fmt: skip
    with pytest.raises(SpecError, match=r"json_schema: two names of Kind are both 'AA' as Python reads them"):
        render_models({"json_schema": schema})
