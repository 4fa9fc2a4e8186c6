"""Bad endpoint specs are SpecErrors naming the field and the rule."""

from __future__ import annotations

from typing import Any

import pytest

from skill.errors import SpecError
from skill.pipeline import parse_spec

_NO_EXTRAS: dict[str, Any] = {"jobs": [], "bindings": [], "invocations": [], "crud": []}


def _sub(**fields: Any) -> dict[str, Any]:
    return {"subscriptions": [{"topic": "t", "model": "Task", **fields}]}


@pytest.mark.parametrize(
    ("spec", "field", "rule"),
    [
        ({"subscriptions": [{"topic": "bad topic", "model": "Task"}]}, "subscriptions.0.topic", "topic name"),
        ({"subscriptions": [{"topic": "t", "model": "Nope"}]}, "subscriptions.0.model", "is not a model of `models`"),
        ({"subscriptions": [{"topic": "t", "model": "task"}]}, "subscriptions.0.model", "PascalCase"),
        ({"subscriptions": [{"topic": "t", "model": "Task", "route": "/a/../b"}]}, "subscriptions.0.route", "segments"),
        (_sub(route="no-slash"), "subscriptions.0.route", "URL path"),
        (_sub(route="/dapr/x"), "subscriptions.0.route", "reserves"),
        ({"subscriptions": [{"topic": "t", "model": "Task", "metadata": {"rawPayload": True}}]},
         "subscriptions.0.metadata", "must be a string"),
        ({"subscriptions": [{"topic": "t", "model": "Task", "bulk": {}, "metadata": {"rawPayload": "true"}}]},
         "subscriptions.0.bulk", "rawPayload"),
        ({"subscriptions": [{"topic": "a", "model": "Task", "route": "/x"},
                            {"topic": "b", "model": "Task", "route": "/x"}]},
         "subscriptions.1.route", "already the route"),
        (_sub(rules=[{"match": "a\nb", "route": "/r", "handler": "h"}]),
         "subscriptions.0.rules.0.match", "printable ASCII"),
        (_sub(handler="class"), "subscriptions.0.handler", "keyword"),
        ({"subscriptions": [], **_NO_EXTRAS, "jobs": [{"name": "a/b"}]}, "jobs.0.name", "job name"),
        ({"subscriptions": [], **_NO_EXTRAS, "crud": [{"name": "tasks", "model": "Task", "key_field": "nope"}]},
         "crud.0.key_field", "is not a field of Task"),
        ({"subscriptions": [], **_NO_EXTRAS, "invocations": [{"method": "/m", "verb": "GET", "request_model": "Task",
          "response_model": "Task"}]}, "invocations.0.request_model", "takes no body"),
        ({"subscriptions": [], **_NO_EXTRAS, "jobs": [{"name": "a", "handler": "go"}, {"name": "b", "handler": "go"}]},
         "jobs.1.handler", "already used"),
        ({"models": {"module": "main"}}, "models.module", "module of the endpoint package"),
        ({"app_token": "maybe"}, "app_token", "boolean"),
        ({"package": "Bad-Name"}, "package", "module name"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(spec: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec("endpoint", spec)
    problems = [(p.field, p.rule) for p in info.value.problems]
    assert any(f == field and rule in r for f, r in problems), problems


def test_empty_spec_is_the_preset() -> None:
    spec = parse_spec("endpoint", {})
    assert [c.collection for c in spec.crud] == ["/api/tasks"]  # type: ignore[attr-defined]
