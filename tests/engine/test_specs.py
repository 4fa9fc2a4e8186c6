"""Specs are the only place input is checked: every rejection names the field, the value and the rule."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from skill import SpecError, parse_spec
from skill.specs.client import BLOCKS, ClientSpec
from skill.specs.common import AppId, ClassName, ComponentName, Identifier, JobName, ModuleName, TopicName


def test_client_defaults_include_every_block() -> None:
    spec = parse_spec("client", None)
    assert isinstance(spec, ClientSpec)
    assert tuple(spec.blocks) == BLOCKS
    assert spec.transport == "auto"
    assert spec.dapr_version is None


@pytest.mark.parametrize(
    ("given", "field", "rule_part"),
    [
        ({"blocks": ["state", "kafka"]}, "blocks.1", "'state'"),
        ({"blocks": []}, "blocks", "at least 1"),
        ({"blocks": ["state", "state"]}, "blocks", "listed once"),
        ({"timeout_seconds": -1}, "timeout_seconds", "greater than 0"),
        ({"max_retries": 11}, "max_retries", "less than or equal to 10"),
        ({"transport": "requests"}, "transport", "'auto'"),
        ({"dapr_version": "1.13"}, "dapr_version", "'1.14'"),
        ({"class_name": "dapr"}, "class_name", "PascalCase"),
        ({"class_name": "None"}, "class_name", "keyword"),
        ({"module": "../evil"}, "module", "lowercase Python module name"),
        ({"module": "import"}, "module", "keyword"),
        ({"backoff_initial_seconds": 2, "backoff_max_seconds": 1}, "backoff_max_seconds", "at least"),
        ({"colour": "blue"}, "colour", "not an option"),
    ],
)
def test_client_rejections_name_field_and_rule(given: dict[str, object], field: str, rule_part: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("client", given)
    fields = {p.field: p for p in caught.value.problems}
    assert field in fields, caught.value
    assert rule_part in fields[field].rule
    assert field in str(caught.value)


def test_rejected_value_is_shown_quoted_and_truncated() -> None:
    hostile = 'X"""\n{{ 7*7 }}' + "A" * 200
    with pytest.raises(SpecError) as caught:
        parse_spec("client", {"class_name": hostile})
    (problem,) = caught.value.problems
    assert problem.value.startswith("'X")
    assert len(problem.value) <= 80
    assert "\n" not in problem.value


class _Names(BaseModel):
    identifier: Identifier = "x"
    module: ModuleName = "x"
    class_name: ClassName = "X"
    app_id: AppId = "a"
    component: ComponentName = "c"
    topic: TopicName = "t"
    job: JobName = "j"


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("identifier", ["task_id", "_x", "X1"], ["1x", "a-b", "class", "match", "ä", "a b", "", "x" * 65]),
        ("module", ["events", "dapr_client"], ["Events", "a.b", "../x", "def"]),
        ("class_name", ["TaskEvent", "A1"], ["taskEvent", "Task_Event", "None", "A\n"]),
        ("app_id", ["order-processor", "a1"], ["Order", "-a", "a-", "a_b", "a.b", "a" * 64]),
        ("component", ["pubsub", "state.postgresql", "pubsub-kafka"], ["PubSub", "a/b", ".a", "a b"]),
        ("topic", ["orders", "task-events", "a.b_c"], ["a/b", "a b", "a#b", "", "t" * 250]),
        ("job", ["reminder-42", "a.b"], ["a/b", "a?b", "a#b", "a\nb", "-a", "j" * 201]),
    ],
)
def test_name_types(field: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert getattr(_Names.model_validate({field: value}), field) == value
    for value in bad:
        with pytest.raises(ValidationError):
            _Names.model_validate({field: value})
