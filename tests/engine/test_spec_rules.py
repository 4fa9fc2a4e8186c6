"""Rules every spec shares, whatever the generator."""

from __future__ import annotations

import pytest
from pydantic import Field

from skill import SpecError, parse_spec, registry_of
from skill.generator import Generator
from skill.plan import Plan
from skill.specs.common import LineLengthOption, SpecModel


class _Spec(SpecModel):
    count: int = Field(default=1, ge=0)
    ratio: float = 1.0
    enabled: bool = False
    maybe: int | bool | None = None
    line_length: LineLengthOption = None


_REGISTRY = registry_of([Generator("probe", "Probe", "A probe.", _Spec, lambda _spec: Plan(files=[]))])


@pytest.mark.parametrize("field", ["count", "ratio", "line_length"])
def test_true_and_false_are_not_numbers(field: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("probe", {field: True}, _REGISTRY)
    (problem,) = caught.value.problems
    assert problem.field == field
    assert "must not be true or false" in problem.rule


def test_fields_that_take_bools_still_do() -> None:
    spec = parse_spec("probe", {"enabled": True, "maybe": False, "count": "3"}, _REGISTRY)
    assert spec == _Spec(enabled=True, maybe=False, count=3)


def test_line_length_is_bounded() -> None:
    for bad in (39, 321):
        with pytest.raises(SpecError, match="line_length"):
            parse_spec("probe", {"line_length": bad}, _REGISTRY)


def test_an_unknown_generator_is_a_spec_error() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("nope", {}, _REGISTRY)
    (problem,) = caught.value.problems
    assert problem.field == "generator"
    assert "known generators: probe" in problem.rule


@pytest.mark.parametrize("field", ["timeout_seconds", "backoff_initial_seconds", "health_timeout_seconds"])
def test_client_durations_below_a_millisecond_are_refused(field: str) -> None:
    # 5e-324 s is a positive float, and no request can finish in it.
    with pytest.raises(SpecError) as caught:
        parse_spec("client", {field: 5e-324})
    assert caught.value.problems[0].field == field
