"""The service spec: defaults, component names taken from the service, and errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from skill.errors import SpecError
from skill.pipeline import generate
from skill.specs.service import ServiceSpec


def test_the_default_is_the_task_api() -> None:
    spec = ServiceSpec()
    assert (spec.app_id, spec.port) == ("task-api", 8000)
    e = spec.endpoint_spec()
    assert [(c.name, c.store, c.pubsub, c.topic) for c in e.crud] == [("tasks", "statestore", "pubsub", "task-events")]
    assert spec.roles() == ["pubsub", "state"]


def test_left_out_component_names_come_from_the_components() -> None:
    spec = ServiceSpec.model_validate(
        {
            "pubsub": {"name": "events"},
            "state": {"name": "store"},
            "subscriptions": [{"topic": "orders", "model": "Task", "idempotent": True}],
        }
    )
    e = spec.endpoint_spec()
    assert e.subscriptions[0].pubsub == "events"
    assert e.subscriptions[0].dead_letter_topic == "orders-dlq"
    assert e.idempotency.store == "store"
    c = spec.components_spec()
    assert c.pubsub is not None
    assert c.pubsub.topics == ["orders", "orders-dlq", "task-events"]
    assert [s.route_path for s in c.apps[0].subscribes] == ["/events/events/orders"]
    assert c.apps[0].asgi_app == "app.main:app"


@pytest.mark.parametrize(
    ("spec", "field", "rule"),
    [
        ({"crud": [{"name": "tasks", "model": "Task", "store": "other"}]}, "crud.0.store", "must be the service's"),
        ({"pubsub": None}, "crud.0.pubsub", "needs a pubsub component"),
        ({"state": None}, "crud.0.store", "needs a state component"),
        ({"calls": ["task-api"]}, "calls", "own app id"),
        ({"calls": ["a", "a"]}, "calls", "repeat"),
        ({"port": 80}, "port", "greater than or equal to 1024"),
        ({"app_id": "Task_API"}, "app_id", ""),
        ({"state": {"name": "pubsub"}}, "pubsub", "distinct names"),
        ({"health": {"liveness": "/a", "readiness": "/a"}}, "health", "must differ"),
        (
            {"subscriptions": [{"topic": "t", "model": "Task", "pubsub": "elsewhere"}]},
            "subscriptions.0.pubsub",
            "must be the service's pubsub component",
        ),
        # A claim left by a process stopped mid-delivery must run out before daprd's redeliveries do
        # (references/dapr-contract.md §18.5): 3 retries 5 s apart span 15 s.
        (
            {
                "subscriptions": [{"topic": "t", "model": "Task", "idempotent": True}],
                "resiliency": {"inbound_max_retries": 3},
            },
            "idempotency.claim_seconds",
            "must be shorter than the pub/sub's inbound retries (resiliency.inbound_max_retries 3 x 5 s = 15 s)",
        ),
    ],
)
def test_bad_specs_name_the_field_and_the_rule(spec: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(SpecError) as caught:
        generate("service", spec)
    problems = [(p.field, p.rule) for p in caught.value.problems]
    assert any(f.startswith(field) and rule in r for f, r in problems), problems


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(SpecError) as caught:
        generate("service", {"ports": 8000})
    assert any(p.field == "ports" for p in caught.value.problems)


def test_the_endpoint_spec_is_built_once_and_follows_a_copy() -> None:
    spec = ServiceSpec()
    assert spec.endpoint_spec() is spec.endpoint_spec()
    assert spec.model_copy(update={"crud": []}).endpoint_spec().crud == []


def test_a_claim_needs_no_retries_when_no_subscription_is_idempotent() -> None:
    spec = ServiceSpec.model_validate(
        {"subscriptions": [{"topic": "t", "model": "Task"}], "resiliency": {"inbound_max_retries": 0}}
    )
    assert spec.idempotency.claim_seconds >= spec.resiliency.inbound_retry_span_seconds
