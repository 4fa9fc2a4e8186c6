"""sample(): JSON that the rendered models validate, for the preset, the generator's examples, tricky constraints
and hypothesis-drawn specs; variants differ; impossible constraints raise ValueError naming Model.field."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import ModuleType
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter

from skill.generators.models import GENERATOR
from skill.generators.samples import sample, sample_key
from skill.specs.models import ModelsSpec
from tests.engine.strategies import STRATEGIES
from tests.samples.conftest import Loader


def _check_all(module: ModuleType, spec: ModelsSpec, variants: tuple[int, ...] = (0, 1, 7)) -> None:
    """Every model and enum of the spec accepts its samples, from Python data and from JSON text."""
    for name in spec.class_names:
        for variant in variants:
            value = sample(spec, name, variant=variant)
            assert json.loads(json.dumps(value)) == value  # plain JSON, nothing Python-only inside
            cls = getattr(module, name)
            if isinstance(cls, type) and issubclass(cls, BaseModel):
                cls.model_validate(value)
                cls.model_validate_json(json.dumps(value))
            else:
                assert cls(value).value == value


def _load_and_check(load: Loader, raw: Mapping[str, Any]) -> ModelsSpec:
    spec = ModelsSpec.model_validate(raw)
    _check_all(load(raw), spec)
    return spec


def test_preset(load: Loader) -> None:
    spec = _load_and_check(load, {})
    task = sample(spec, "Task")
    assert isinstance(task, dict)
    assert set(task) == {f.name for m in spec.models if m.name == "Task" for f in m.fields}
    assert all(task[f] is not None for f in ("description", "due_at", "recurrence"))  # optional ones exercised


@pytest.mark.parametrize("example", [k for k, v in GENERATOR.examples.items() if "json_schema" not in v])
def test_generator_examples(load: Loader, example: str) -> None:
    _load_and_check(load, GENERATOR.examples[example])


TRICKY: dict[str, Any] = {
    "enums": [{"name": "Level", "values": ["low", {"name": "HIGH", "value": "High Level!"}]}],
    "models": [
        {
            "name": "Item",
            "fields": [
                {"name": "code", "type": "str", "pattern": r"^[A-Z]{3}-\d{4}$"},
                {"name": "slug", "type": "str", "pattern": r"^[a-z0-9_-]+$", "min_length": 5},
                {"name": "short", "type": "str", "pattern": r"^[a-z0-9_-]+$", "min_length": 5, "max_length": 5},
                {"name": "email", "type": "str", "pattern": r"^[^@\s]+@(example|test)\.(com|org)$"},
                {"name": "contains", "type": "str", "pattern": r"\d{2}", "min_length": 6},
                {"name": "word", "type": "str", "pattern": r"\bok\b", "min_length": 4, "max_length": 8},
                {"name": "lazy", "type": "str", "pattern": r"^(?i:x)(ab)+?[^a-z\d]{2,}$", "min_length": 9},
                {"name": "empty", "type": "str", "max_length": 0},
                {"name": "tiny", "type": "str", "min_length": 3, "max_length": 3},
                {"name": "step", "type": "int", "ge": 10, "lt": 100, "multiple_of": 7},
                {"name": "narrow", "type": "int", "gt": -5, "lt": -3},
                {"name": "ratio", "type": "float", "gt": 0, "le": 1, "multiple_of": 0.25},
                {"name": "thin", "type": "float", "gt": 0.1, "lt": 0.11},
                {"name": "tenth", "type": "float", "ge": 2, "multiple_of": 0.1},
                {"name": "price", "type": "Decimal", "max_digits": 5, "decimal_places": 3, "ge": 10},
                {"name": "debt", "type": "Decimal", "le": -1000, "decimal_places": 0},
                {"name": "digit", "type": "Decimal", "max_digits": 1},
                {"name": "quarter", "type": "Decimal", "multiple_of": 0.25, "gt": 1, "decimal_places": 2},
                {"name": "fraction", "type": "Decimal", "max_digits": 2, "decimal_places": 2},
                {"name": "whole", "type": "Decimal", "multiple_of": 0.001, "decimal_places": 0},
                {"name": "zero", "type": "Decimal", "ge": 0, "le": 0, "max_digits": 3, "decimal_places": 3},
                {"name": "level", "type": "Level"},
                {"name": "levels", "type": "dict[str, Level]", "min_length": 2},
                {"name": "when", "type": "datetime"},
                {"name": "day", "type": "date | None"},
                {"name": "ref", "type": "UUID"},
                {"name": "blob", "type": "JsonValue"},
                {"name": "flags", "type": "list[bool]", "min_length": 4, "max_length": 4},
                {"name": "none_allowed", "type": "list[int]", "max_length": 0},
            ],
        },
        {
            "name": "Category",
            "fields": [
                {"name": "name", "type": "str", "min_length": 1},
                {"name": "parent", "type": "Category | None"},
                {"name": "children", "type": "list[Category]"},
                {"name": "by_name", "type": "dict[str, Category] | None"},
                {"name": "items", "type": "list[Item]", "min_length": 3, "max_length": 3},
                {"name": "grid", "type": "list[list[Item | None]]"},
            ],
        },
        {
            "name": "Wrapper",
            "fields": [{"name": "root", "type": "Loop | None"}, {"name": "label", "type": "str", "default": "w"}],
        },
        {"name": "Loop", "fields": [{"name": "items", "type": "list[Wrapper]", "min_length": 1}]},
    ],
}


def test_tricky_constraints(load: Loader) -> None:
    spec = _load_and_check(load, TRICKY)
    item = sample(spec, "Item")
    assert isinstance(item, dict)
    assert item["code"] == "AAA-0000"
    assert item["short"] == "aaaaa"
    assert isinstance(item["slug"], str)
    assert len(item["slug"]) >= 5
    category = sample(spec, "Category")
    assert isinstance(category, dict)
    assert category["parent"] is None  # an optional self-reference ends the recursion
    assert category["children"] == []
    assert isinstance(category["items"], list)
    assert len(category["items"]) == 3


PATTERNS = [
    (r"^[A-Z]{3}-\d{4}$", 0, None),
    (r"^[a-z0-9_-]+$", 5, None),
    (r"^[a-z0-9_-]+$", 5, 5),
    (r"^(foo|ba+r)-\w*$", 12, 20),
    (r"^\s*\S+\s*$", 3, 3),
    (r"x", 10, 10),
    (r"^a|b$", 4, 4),
    (r"\d+\.\d{2}", 0, 6),
    (r"^[^a-zA-Z0-9]+$", 2, None),
    (r"^(?:[0-9a-f]{8}-)(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", 0, None),
    (r"^.{2,4}$", 0, None),
    (r"^(a|bc){3}$", 6, None),
    (r"^[\w.+-]+@[\w-]+\.[a-z]{2,}$", 0, 254),
    (r"^\w{2,5}(-\w{2,5})*$", 6, 6),  # a greedy fill gives 5 characters and no room for '-\w{2,}'
    (r"^[a-z]+$", 3000, None),
    (r"^((a{0,5}b?){0,5}){0,5}x$", 100, None),
    (r"^\p{L}$" if False else r"^[À-ÿ]+$", 0, None),
]


@pytest.mark.parametrize(("pattern", "low", "high"), PATTERNS)
@pytest.mark.parametrize("variant", [0, 1, 5, 1000])
def test_pattern_and_length(pattern: str, low: int, high: int | None, variant: int) -> None:
    """Python's re and pydantic (Rust regex, search semantics) both accept the text, within the lengths."""
    spec = ModelsSpec.model_validate(
        {"models": [{"name": "M", "fields": [
            {"name": "s", "type": "str", "pattern": pattern, "min_length": low, "max_length": high}
        ]}]}
    )  # fmt: skip
    value = sample(spec, "M", variant=variant)
    assert isinstance(value, dict)
    text = value["s"]
    assert isinstance(text, str)
    assert re.search(pattern, text)
    assert low <= len(text) <= (high if high is not None else 10**9)
    TypeAdapter[Any](Annotated[str, Field(pattern=pattern, min_length=low, max_length=high)]).validate_python(text)


def test_variants_differ_for_str_keys() -> None:
    spec = ModelsSpec()
    first, second = (sample(spec, "Task", variant=v) for v in (0, 1))
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    assert first["id"] != second["id"]
    assert sample_key(spec, "Task", "id", 0) == first["id"]
    assert sample_key(spec, "Task", "id", 1) == second["id"]
    keys = {sample_key(spec, "Task", "id", v) for v in range(200)}
    assert len(keys) == 200  # the key grows when the pattern's choices run out
    assert sample(spec, "Task", variant=3) == sample(spec, "Task", variant=3)  # deterministic


def test_variants_differ_for_plain_and_fixed_length_keys() -> None:
    spec = ModelsSpec.model_validate(
        {"models": [{"name": "K", "fields": [
            {"name": "name", "type": "str"},
            {"name": "code", "type": "str", "min_length": 2, "max_length": 2},
            {"name": "n", "type": "int", "ge": 0},
        ]}]}
    )  # fmt: skip
    for field in ("name", "code", "n"):
        assert sample_key(spec, "K", field, 0) != sample_key(spec, "K", field, 1), field
    assert sample_key(spec, "K", "n", 2) == "3"


def _one_field(**field: Any) -> ModelsSpec:
    return ModelsSpec.model_validate({"models": [{"name": "Code", "fields": [{"name": "code", **field}]}]})


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"type": "str", "pattern": r"^[A-Z]{3}$", "min_length": 5}, r"Code\.code: .*pattern '\^\[A-Z\]\{3\}\$'"),
        ({"type": "str", "pattern": r"^a{10}", "max_length": 4}, r"Code\.code: .*at least 10 characters"),
        ({"type": "str", "pattern": r"^[a-f]{8}$", "min_length": 9}, r"Code\.code: .*no text was found"),
        ({"type": "str", "min_length": 5, "max_length": 2}, r"Code\.code: .*min_length 5 is above max_length 2"),
        ({"type": "int", "ge": 5, "le": 6, "multiple_of": 10}, r"Code\.code: .*no int was found"),
        ({"type": "float", "gt": 1, "lt": 1}, r"Code\.code: .*no float was found"),
        ({"type": "Decimal", "max_digits": 2, "decimal_places": 0, "ge": 100}, r"Code\.code: .*no Decimal was found"),
    ],
)
def test_impossible_constraints_name_the_field(field: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample(_one_field(**field), "Code")


@pytest.mark.parametrize(
    "field",
    [
        {"type": "str", "pattern": r"^(a)\1$"},
        {"type": "str", "pattern": r"^(?=a)\w$"},
        {"type": "int", "ge": 0.5},
    ],
)
def test_what_pydantic_refuses_never_reaches_the_samples(field: dict[str, Any]) -> None:
    # The models spec refuses these itself now (they would fail when the model is built).
    with pytest.raises(ValueError, match=r"pydantic can use|whole number"):
        _one_field(**field)


def test_a_model_that_must_contain_itself_raises() -> None:
    spec = ModelsSpec.model_validate(
        {"models": [{"name": "Node", "fields": [{"name": "children", "type": "list[Node]", "min_length": 1}]}]}
    )
    with pytest.raises(ValueError, match=r"Node\.children\[0\]: Node would contain itself"):
        sample(spec, "Node")


def test_a_fast_growing_tree_of_optional_references_stays_small(load: Loader) -> None:
    # Each level refers to the next twice: 2**20 instances if every optional reference were filled.
    levels = [
        {
            "name": f"L{i}",
            "fields": [{"name": "left", "type": f"L{i + 1} | None"}, {"name": "right", "type": f"L{i + 1} | None"}],
        }
        for i in range(20)
    ]
    raw = {"models": [*levels, {"name": "L20", "fields": [{"name": "leaf", "type": "int"}]}]}
    spec = ModelsSpec.model_validate(raw)
    value = sample(spec, "L0")
    assert len(json.dumps(value)) < 200_000
    load(raw).L0.model_validate(value)


def test_bad_requests_raise() -> None:
    with pytest.raises(ValueError, match="'Nope' is not a model or enum"):
        sample(ModelsSpec(), "Nope")
    with pytest.raises(ValueError, match="'Nope' is not a class of this JSON Schema"):  # a schema's classes sample too
        sample(ModelsSpec.model_validate(GENERATOR.examples["json-schema"]), "Nope")
    with pytest.raises(ValueError, match="no field 'nope'"):
        sample_key(ModelsSpec(), "Task", "nope")
    with pytest.raises(ValueError, match="cannot be a key"):
        sample_key(ModelsSpec(), "Task", "tags")
    with pytest.raises(ValueError, match="variant must be >= 0"):
        sample(ModelsSpec(), "Task", variant=-1)
    assert sample(ModelsSpec(), "Priority", variant=2) == "high"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=STRATEGIES["models"])
def test_property_models_strategy(load: Loader, raw: dict[str, Any]) -> None:
    if raw.get("json_schema") is not None:
        return  # no `models` to sample
    _load_and_check(load, raw)


_PATTERNED = [None, r"^[a-z0-9_-]+$", r"^[A-Z]{2}\d+$", r"\d", r"^(foo|ba+r)-\w*$", r"^[^\s@]+@[a-z]+\.com$"]


@st.composite
def _constrained_field(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A field with constraints that some value meets (bounds wide enough for a multiple, lengths for a match)."""
    kind = draw(st.sampled_from(["str", "int", "float", "Decimal", "list[str]", "list[Leaf] | None"]))
    field: dict[str, Any] = {"name": f"f{index}", "type": kind}
    if kind == "str":
        low = draw(st.integers(0, 12))
        pattern = draw(st.sampled_from(_PATTERNED))
        field |= {"min_length": low, "pattern": pattern}
        field["max_length"] = draw(st.none() | st.integers(max(low, 12 if pattern else 0), 40))
    elif kind.startswith("list"):
        low = draw(st.integers(0, 4))
        field |= {"min_length": low, "max_length": draw(st.none() | st.integers(low, 6))}
    elif kind == "Decimal":
        places = draw(st.none() | st.integers(0, 4))
        bound = draw(st.sampled_from([None, -7, 0, 0.5, 42]))
        field |= {"decimal_places": places, "ge": bound, "multiple_of": draw(st.sampled_from([None, 1, 5]))}
        field["max_digits"] = draw(st.none() | st.integers((places or 0) + 3, 12))
    else:
        step = draw(st.sampled_from([None, 1, 3, 7] if kind == "int" else [None, 0.5, 0.1, 0.25, 3.0]))
        start: float = draw(st.integers(-(10**6), 10**6) if kind == "int" else st.floats(-1e6, 1e6))
        width = draw(st.integers(0, 1000)) + 2 * (step or 1) + 2
        field |= {"multiple_of": step}
        field |= draw(st.sampled_from([{"ge": start}, {"gt": start}, {}]))
        field |= draw(st.sampled_from([{"le": start + width}, {"lt": start + width}, {}]))
    return {k: v for k, v in field.items() if v is not None}


@st.composite
def _constrained_specs(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 6))
    return {
        "models": [
            {"name": "Constrained", "fields": [draw(_constrained_field(i)) for i in range(count)]},
            {"name": "Leaf", "fields": [{"name": "x", "type": "int", "gt": 0}]},
        ]
    }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=_constrained_specs())
def test_property_constrained_fields(load: Loader, raw: dict[str, Any]) -> None:
    _load_and_check(load, raw)
