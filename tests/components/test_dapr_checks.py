"""skill/checks/dapr.py: component metadata names, required fields, resiliency policy references."""

from __future__ import annotations

from typing import Any

import pytest

from skill.checks.dapr import COMPONENT_METADATA, dapr_problems

KAFKA: dict[str, Any] = {
    "apiVersion": "dapr.io/v1alpha1",
    "kind": "Component",
    "metadata": {"name": "pubsub"},
    "spec": {
        "type": "pubsub.kafka",
        "version": "v1",
        "metadata": [
            {"name": "brokers", "value": "kafka:9092"},
            {"name": "authType", "value": "password"},
            {"name": "saslUsername", "secretKeyRef": {"name": "kafka", "key": "username"}},
            {"name": "saslPassword", "secretKeyRef": {"name": "kafka", "key": "password"}},
        ],
    },
    "auth": {"secretStore": "kubernetes"},
    "scopes": ["a"],
}


def _with_metadata(*items: dict[str, object], auth: bool = True) -> dict[str, Any]:
    doc = {**KAFKA, "spec": {**KAFKA["spec"], "metadata": list(items)}}
    if not auth:
        doc.pop("auth")
    return doc


def test_a_good_component_passes() -> None:
    assert dapr_problems(KAFKA, "doc") == []


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (_with_metadata({"name": "broker", "value": "k:1"}, {"name": "authType", "value": "none"}),
         "has no metadata field 'broker'; did you mean 'brokers'"),
        (_with_metadata({"name": "brokers", "value": "k:1"}), "requires the metadata field 'authType'"),
        (_with_metadata({"name": "brokers", "value": "k:1"}, {"name": "authType", "value": "password"}),
         "authType 'password' requires the metadata field 'saslPassword'"),
        (_with_metadata({"name": "brokers", "value": "k:1"}, {"name": "brokers", "value": "k:2"},
                        {"name": "authType", "value": "none"}), "'brokers' appears more than once"),
        (_with_metadata(*KAFKA["spec"]["metadata"], auth=False), "no auth.secretStore"),
    ],
)  # fmt: skip
def test_component_problems_are_named(doc: dict[str, object], words: str) -> None:
    problems = dapr_problems(doc, "doc")
    assert any(words in p for p in problems), problems


def test_unknown_component_types_keep_their_metadata_unchecked() -> None:
    doc = {**KAFKA, "spec": {"type": "bindings.http", "version": "v1", "metadata": [{"name": "url", "value": "x"}]}}
    assert dapr_problems(doc, "doc") == []


def test_table_covers_the_dapr_level_fields() -> None:
    assert {"actorStateStore", "keyPrefix"} <= COMPONENT_METADATA[("state.postgresql", "v1")]
    assert "tableName" not in COMPONENT_METADATA[("state.postgresql", "v2")]  # v2 renamed it tablePrefix
    assert "consumerID" in COMPONENT_METADATA[("pubsub.redis", "v1")]


RESILIENCY: dict[str, Any] = {
    "apiVersion": "dapr.io/v1alpha1",
    "kind": "Resiliency",
    "metadata": {"name": "r"},
    "spec": {
        "policies": {
            "timeouts": {"general": "5s"},
            "retries": {"r": {"policy": "constant", "duration": "1s", "maxRetries": 3}},
            "circuitBreakers": {"cb": {"maxRequests": 1, "timeout": "30s", "trip": "consecutiveFailures >= 5"}},
        },
        "targets": {
            "apps": {"a": {"timeout": "general", "retry": "r", "circuitBreaker": "cb"}},
            "components": {"pubsub": {"inbound": {"retry": "r"}, "outbound": {"timeout": "general"}}},
        },
    },
}


def test_resiliency_passes_and_undefined_policies_fail() -> None:
    assert dapr_problems(RESILIENCY, "doc") == []
    matching = {"httpStatusCodes": "408,429,500-599", "gRPCStatusCodes": "2,4,8,10,13-14"}
    retried = {"r": {"policy": "constant", "duration": "1s", "maxRetries": 3, "matching": matching}}
    policies = {**RESILIENCY["spec"]["policies"], "retries": retried}
    assert dapr_problems({**RESILIENCY, "spec": {**RESILIENCY["spec"], "policies": policies}}, "doc") == []
    bad = {**RESILIENCY, "spec": {**RESILIENCY["spec"], "targets": {"apps": {"a": {"retry": "missing"}}}}}
    assert any("names 'missing', which is not defined" in p for p in dapr_problems(bad, "doc"))


@pytest.mark.parametrize(
    "change",
    [
        {"targets": {"components": {"pubsub": {"input": {"retry": "r"}}}}},  # pre-1.8 spelling
        {"policies": {"retries": {"r": {"policy": "linear"}}}},
        {"policies": {"retries": {"r": {"maxRetries": 3, "maxRetry": 1}}}},
        {"policies": {"timeouts": {"general": "5 seconds"}}},
        {"policies": {"circuitBreakers": {"cb": {"timeout": "soon"}}}},
        # matching codes as pkg/resiliency/retry.go parsePatterns reads them
        {"policies": {"retries": {"r": {"matching": {"httpStatusCodes": "5xx"}}}}},
        {"policies": {"retries": {"r": {"matching": {"httpStatusCodes": "599-500"}}}}},
        {"policies": {"retries": {"r": {"matching": {"httpStatusCodes": "500-600"}}}}},
        {"policies": {"retries": {"r": {"matching": {"httpStatusCodes": "500-550-599"}}}}},
        {"policies": {"retries": {"r": {"matching": {"gRPCStatusCodes": "14,17"}}}}},
        {"policies": {"retries": {"r": {"matching": {"httpCodes": "500"}}}}},
    ],
)
def test_resiliency_fields_are_dapr_spelling(change: dict[str, object]) -> None:
    spec = {**RESILIENCY["spec"], **change}
    if "policies" not in change:
        spec["policies"] = RESILIENCY["spec"]["policies"]
    if "targets" not in change:
        spec["targets"] = {}
    assert dapr_problems({**RESILIENCY, "spec": spec}, "doc")
