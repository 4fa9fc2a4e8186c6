"""Bad input is a SpecError naming the field and the rule; hostile names never reach YAML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import SpecError, generate, parse_spec
from tests.components.strategies import components_specs

TWO_APPS = [{"app_id": "a", "port": 9000}, {"app_id": "b", "port": 9001}]


def _problems(spec: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        parse_spec("components", spec)
    return [(p.field, p.rule) for p in caught.value.problems]


def test_empty_spec_is_valid() -> None:
    assert parse_spec("components", {}) == parse_spec("components", None)


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"apps": [{"app_id": "a", "port": 9000}, {"app_id": "a", "port": 9001}]}, "apps", "app ids must be unique"),
        ({"apps": [{"app_id": "a", "port": 9000}, {"app_id": "b", "port": 9000}]}, "apps", "ports must be unique"),
        ({"apps": [{"app_id": "a", "port": 9000, "folder": "x"}, {"app_id": "b", "port": 9001, "folder": "x"}]},
         "apps", "folders must be unique"),
        ({"apps": [{"app_id": "a", "port": 9000, "subscribes": ["nope"]}]}, "apps", "not in pubsub.topics"),
        ({"pubsub": None}, "apps", "uses 'pubsub' but that component is null"),
        ({"apps": [{"app_id": "a", "port": 9000, "uses": ["state"], "subscribes": ["reminders"]}]},
         "apps", "does not use 'pubsub'"),
        ({"apps": [{"app_id": "a", "port": 9000, "subscribes": ["reminders", "reminders"]}]}, "apps", "unique"),
        ({"apps": [{"app_id": "a", "port": 9000, "subscribes": [{"topic": "reminders",
                                                                  "dead_letter_topic": "reminders"}]}]},
         "apps.0.subscribes.0", "must differ from the topic"),
        ({"state": {"name": "pubsub"}}, "spec", "component names"),
        ({"secret_store": {"name": "kubernetes"}}, "secret_store", "built-in"),
        ({"pubsub": {"topics": ["a", "a"]}}, "pubsub", "topics must be unique"),
        ({"readiness_path": "/healthz"}, "readiness_path", "must differ"),
        ({"apps": [{"app_id": "Task_API", "port": 9000}]}, "apps.0.app_id", "Dapr app id"),
        ({"apps": [{"app_id": "a", "port": 80}]}, "apps.0.port", "greater than or equal to 1024"),
        ({"apps": [{"app_id": "a", "port": True}]}, "apps.0.port", "true or false"),
        ({"apps": [{"app_id": "a", "port": 9000, "asgi_app": "main"}]}, "apps.0.asgi_app", "module:attribute"),
        ({"apps": [{"app_id": "a", "port": 9000, "uses": ["cache"]}]}, "apps.0.uses.0", "'pubsub'"),
        ({"pubsub": {"kafka": {"brokers": ["kafka"]}}}, "pubsub.kafka.brokers.0", "host:port"),
        ({"pubsub": {"kafka": {"auth": "none", "tls": True}}}, "pubsub.kafka", "tls: Dapr turns TLS off"),
        ({"image_repository": "Registry/x"}, "image_repository", "lowercase"),
        ({"image_tag": "-x"}, "image_tag", "image tag"),
        ({"environments": []}, "environments", "at least 1"),
        ({"environments": ["local", "local"]}, "environments", "unique"),
        ({"subscriptions": "yaml"}, "subscriptions", "'programmatic'"),
        ({"apps": [{"app_id": "a", "port": 9000, "subscribes": [{"topic": "reminders", "route": "events"}]}]},
         "apps.0.subscribes.0.route", "absolute URL path"),
        ({"colour": "blue"}, "colour", "not an option"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_the_rule(spec: dict[str, Any], field: str, words: str) -> None:
    problems = _problems(spec)
    assert any(f == field and words in rule for f, rule in problems), problems


# Characters that would break or inject YAML, Dockerfile or shell text if they were ever spliced in raw.
PIECES = [*"\"'\n\r\t:#{}[]&*!|>%@`\\/ .-_$", "{{", "}}", "../", '"""', "é", "\u2028", "A", "a", "1", "import"]
HOSTILE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join).filter(lambda s: not s.isalnum())

FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "app_id": lambda v: {"apps": [{"app_id": v, "port": 9000}]},
    "folder": lambda v: {"apps": [{"app_id": "a", "port": 9000, "folder": v}]},
    "asgi_app": lambda v: {"apps": [{"app_id": "a", "port": 9000, "asgi_app": v}]},
    "topic": lambda v: {"pubsub": {"topics": [v]}},
    "route": lambda v: {"apps": [{"app_id": "a", "port": 9000, "subscribes": [{"topic": "reminders", "route": v}]}]},
    "pubsub": lambda v: {"pubsub": {"name": v}},
    "state": lambda v: {"state": {"name": v}},
    "secret_store": lambda v: {"secret_store": {"name": v}},
    "credentials": lambda v: {"pubsub": {"kafka": {"credentials_secret": v}}},
    "brokers": lambda v: {"pubsub": {"kafka": {"brokers": [v]}}},
    "image_repository": lambda v: {"image_repository": v},
    "image_tag": lambda v: {"image_tag": v},
    "liveness_path": lambda v: {"liveness_path": v},
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(FIELDS)), value=HOSTILE)
def test_hostile_names_are_spec_errors_never_broken_yaml(field: str, value: str) -> None:
    spec = FIELDS[field](value)
    try:
        parsed = parse_spec("components", spec)
    except SpecError as exc:
        problems = exc.problems  # refused, with a reason
    else:
        # Accepted (some punctuation is legal in a topic or path): every file must still parse.
        assert not {"\n", "\r", '"', "'", "{"} & set(value)
        for f in generate("components", parsed).files:
            if f.language == "yaml":
                assert list(yaml.safe_load_all(f.content))
        return
    assert problems


def test_a_legal_topic_with_punctuation_round_trips() -> None:
    spec = {"apps": [{"app_id": "a", "port": 9000, "subscribes": ["a.b_c-D"]}], "pubsub": {"topics": ["a.b_c-D"]},
            "subscriptions": "declarative"}  # fmt: skip
    result = generate("components", spec)
    (sub,) = yaml.safe_load_all(next(f.content for f in result.files if f.path.endswith("local/subscriptions.yaml")))
    assert sub["spec"]["topic"] == "a.b_c-D"
    assert sub["spec"]["deadLetterTopic"] == "a.b_c-D-dlq"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=components_specs())
def test_every_valid_spec_renders_checked_files(spec: dict[str, Any]) -> None:
    result = generate("components", spec)
    paths = [f.path for f in result.files]
    assert len(paths) == len(set(paths))
    for f in result.files:
        if f.language == "yaml":
            assert f.checks == ["yaml parse", "dapr fields"]
    if "local" in spec["environments"]:
        (run,) = yaml.safe_load_all(next(f.content for f in result.files if f.path == "dapr.yaml"))
        assert [(a["appID"], a["appPort"]) for a in run["apps"]] == [(a["app_id"], a["port"]) for a in spec["apps"]]
