"""What the components generator renders: the todo system by default, each file held to Dapr's fields."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml

from skill import InvalidOutputError, Result, generate
from skill.checks import Draft, check_files
from skill.checks.dapr import COMPONENT_METADATA, REQUIRED_METADATA
from skill.generators.components import APP_TOKEN_SECRET, DAPR_TOKEN_SECRET, files_for
from skill.specs.components import ComponentsSpec
from skill.style import DEFAULT_STYLE
from tests.components.conftest import documents, files_of

TODO_PORTS = {"task-api": 8000, "recurring-task": 8001, "notification": 8002}


def _components(result: Result, env: str) -> dict[str, dict[str, Any]]:
    found = {}
    for f in result.files:
        if f.path.startswith(f"resources/{env}/"):
            for doc in yaml.safe_load_all(f.content):
                if doc["kind"] == "Component":
                    found[doc["metadata"]["name"]] = doc
    return found


def test_default_is_the_todo_system(renders: dict[str, Result]) -> None:
    result = renders["default"]
    paths = {f.path for f in result.files}
    for env in ("local", "kubernetes"):
        assert {f"resources/{env}/{n}.yaml" for n in ("pubsub", "statestore", "secretstore")} <= paths
        assert f"resources/{env}/resiliency.yaml" in paths
    assert {"dapr.yaml", "secrets.json"} <= paths
    for app in TODO_PORTS:
        assert {f"{app}/Dockerfile", f"deploy/kubernetes/{app}.yaml"} <= paths
    assert not any("subscriptions" in p for p in paths)  # programmatic by default
    local, k8s = _components(result, "local"), _components(result, "kubernetes")
    assert {n: c["spec"]["type"] for n, c in local.items()} == {
        "pubsub": "pubsub.redis",
        "statestore": "state.redis",
        "secretstore": "secretstores.local.file",
    }
    assert {n: (c["spec"]["type"], c["spec"]["version"]) for n, c in k8s.items()} == {
        "pubsub": ("pubsub.kafka", "v1"),
        "statestore": ("state.postgresql", "v1"),
        "secretstore": ("secretstores.kubernetes", "v1"),
    }


@pytest.mark.parametrize("name", ["default", "local-only", "custom-names"])
def test_every_yaml_file_passes_the_dapr_checks(renders: dict[str, Result], name: str) -> None:
    for f in renders[name].files:
        if f.language == "yaml":
            assert f.checks == ["yaml parse", "dapr fields"]
            assert list(yaml.safe_load_all(f.content))


@pytest.mark.parametrize("name", ["default", "local-only", "custom-names"])
def test_component_metadata_is_what_components_contrib_defines(renders: dict[str, Result], name: str) -> None:
    for env in ("local", "kubernetes"):
        for component in _components(renders[name], env).values():
            spec = component["spec"]
            names = {m["name"] for m in spec["metadata"]}
            assert names <= COMPONENT_METADATA[(spec["type"], spec["version"])]
            assert REQUIRED_METADATA.get(spec["type"], frozenset()) <= names


def test_production_secrets_are_secret_key_refs_resolved_by_kubernetes(renders: dict[str, Result]) -> None:
    k8s = _components(renders["default"], "kubernetes")
    kafka = {m["name"]: m for m in k8s["pubsub"]["spec"]["metadata"]}
    assert kafka["authType"]["value"] == "password"
    assert kafka["saslPassword"]["secretKeyRef"] == {"name": "kafka-credentials", "key": "password"}
    assert kafka["saslUsername"]["secretKeyRef"] == {"name": "kafka-credentials", "key": "username"}
    postgres = {m["name"]: m for m in k8s["statestore"]["spec"]["metadata"]}
    assert postgres["connectionString"]["secretKeyRef"] == {"name": "postgres-credentials", "key": "connectionString"}
    for name in ("pubsub", "statestore"):
        assert k8s[name]["auth"] == {"secretStore": "kubernetes"}
    # No value anywhere looks like a credential: secrets only arrive by reference.
    for component in k8s.values():
        for m in component["spec"]["metadata"]:
            assert m["name"] not in {"saslPassword", "connectionString", "password"} or "value" not in m


def test_each_app_sees_only_its_components(renders: dict[str, Result]) -> None:
    for env in ("local", "kubernetes"):
        components = _components(renders["default"], env)
        assert components["pubsub"]["scopes"] == list(TODO_PORTS)
        assert components["statestore"]["scopes"] == list(TODO_PORTS)
        assert components["secretstore"]["scopes"] == ["notification"]  # the one app that reads secrets


def test_custom_names_reach_every_file(renders: dict[str, Result]) -> None:
    result = renders["custom-names"]
    k8s = _components(result, "kubernetes")
    assert set(k8s) == {"events", "tasks", "vault"}
    assert k8s["tasks"]["spec"]["version"] == "v2"
    tasks_meta = {m["name"]: m for m in k8s["tasks"]["spec"]["metadata"]}
    assert tasks_meta["actorStateStore"] == {"name": "actorStateStore", "value": "true"}
    kafka = {m["name"]: m.get("value") for m in k8s["events"]["spec"]["metadata"]}
    assert kafka == {
        "brokers": "kafka-0.kafka:9093,kafka-1.kafka:9093",
        "authType": "none",
        "disableTls": "true",
        "initialOffset": "oldest",
    }
    assert "auth" not in k8s["events"]  # nothing to resolve without credentials
    deployment, _service, *_rbac = documents(result, "deploy/kubernetes/notification.yaml")
    assert deployment["spec"]["replicas"] == 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/acme/todo/notification:2.3.1"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert (env["PUBSUB_NAME"], env["STATESTORE_NAME"], env["SECRETSTORE_NAME"]) == ("events", "tasks", "vault")
    (run,) = documents(result, "dapr.yaml")
    assert run["apps"][0]["env"] == {"PUBSUB_NAME": "events", "STATESTORE_NAME": "tasks"}
    assert run["apps"][2]["env"] == {"PUBSUB_NAME": "events", "STATESTORE_NAME": "tasks", "SECRETSTORE_NAME": "vault"}


@pytest.mark.parametrize("name", ["default", "custom-names"])
def test_resiliency_is_bounded_and_covers_what_is_in_use(renders: dict[str, Result], name: str) -> None:
    result = renders[name]
    (doc,) = documents(result, "resources/kubernetes/resiliency.yaml")
    assert documents(result, "resources/local/resiliency.yaml") == [doc]
    policies, targets = doc["spec"]["policies"], doc["spec"]["targets"]
    for retry in policies["retries"].values():
        assert 0 <= retry["maxRetries"] <= 20  # never -1 (for ever)
    assert set(targets["apps"]) == set(TODO_PORTS)
    components = set(_components(result, "kubernetes"))
    assert set(targets["components"]) == components
    pubsub = next(n for n, c in _components(result, "kubernetes").items() if c["spec"]["type"] == "pubsub.kafka")
    inbound = targets["components"][pubsub]["inbound"]
    assert policies["retries"][inbound["retry"]]["maxRetries"] == (8 if name == "custom-names" else 5)
    assert policies["retries"]["outbound"]["maxRetries"] == (5 if name == "custom-names" else 3)


def _retried(policy: dict[str, Any], status: int) -> bool:
    """Whether daprd retries an invocation answered `status` (dapr/dapr pkg/resiliency/retry.go
    mustRetryStatusCode: no `matching`, or an empty list, retries every status)."""
    codes = (policy.get("matching") or {}).get("httpStatusCodes") or ""
    if not codes:
        return True
    for part in codes.split(","):
        start, _, end = part.partition("-")
        if int(start) <= status <= int(end or start):
            return True
    return False


@pytest.mark.parametrize("name", ["default", "custom-names"])
def test_invocations_retry_server_errors_only_and_no_breaker_counts_an_apps_4xx(
    renders: dict[str, Result], name: str
) -> None:
    (doc,) = documents(renders[name], "resources/kubernetes/resiliency.yaml")
    policies, targets = doc["spec"]["policies"], doc["spec"]["targets"]
    for app, names in targets["apps"].items():
        retry = policies["retries"][names["retry"]]
        assert [s for s in (400, 404, 409, 412, 422, 429) if _retried(retry, s)] == [], app
        assert all(_retried(retry, s) for s in (500, 502, 503, 504)), app
        # A breaker counts every error of the call (pkg/resiliency/policy.go), a 409 or 422 included.
        assert "circuitBreaker" not in names, app
    state = next(
        n for n, c in _components(renders[name], "kubernetes").items() if c["spec"]["type"].startswith("state.")
    )
    assert "circuitBreaker" not in targets["components"][state]["outbound"]  # ETag conflicts are errors too
    for breaker in policies["circuitBreakers"].values():
        assert breaker["maxRequests"] >= 1
        assert re.fullmatch(r"[0-9]+s", breaker["timeout"])


def test_dapr_yaml_matches_the_apps(renders: dict[str, Result]) -> None:
    (run,) = documents(renders["default"], "dapr.yaml")
    assert run["version"] == 1
    assert run["common"]["resourcesPaths"] == ["./resources/local"]
    for app in run["apps"]:
        port = TODO_PORTS[app["appID"]]
        assert app["appPort"] == port
        assert not PurePosixPath(app["appDirPath"]).is_absolute()
        assert ".." not in PurePosixPath(app["appDirPath"]).parts
        assert isinstance(app["command"], list)
        assert app["command"][-2:] == ["--port", str(port)]  # the app listens where Dapr looks
    secret_store = _components(renders["default"], "local")["secretstore"]
    secrets_file = {m["name"]: m["value"] for m in secret_store["spec"]["metadata"]}["secretsFile"]
    # daprd runs in appDirPath: the relative secrets file must land on the generated one, beside dapr.yaml.
    for app in run["apps"]:
        assert (PurePosixPath(app["appDirPath"]) / secrets_file).as_posix().endswith("./secrets.json")
        assert len(PurePosixPath(app["appDirPath"]).parts) == 1  # one level down, as '../' assumes


def test_declarative_subscriptions_and_dead_letters(renders: dict[str, Result]) -> None:
    result = renders["local-only"]
    assert not any(p.startswith(("deploy/", "resources/kubernetes")) or p.endswith("Dockerfile")
                   for p in (f.path for f in result.files))  # fmt: skip
    (sub,) = documents(result, "resources/local/subscriptions.yaml")
    assert sub["apiVersion"] == "dapr.io/v2alpha1"
    assert sub["scopes"] == ["shipping"]
    assert sub["spec"] == {
        "pubsubname": "pubsub",
        "topic": "orders",
        "routes": {"default": "/events/orders"},
        "deadLetterTopic": "orders-dlq",
    }
    assert not any(f.path == "secrets.json" for f in result.files)  # no secret store asked for


def test_subscriptions_per_topic_with_custom_route_and_dead_letter() -> None:
    spec = {
        "subscriptions": "declarative",
        "environments": ["kubernetes"],
        "apps": [{"app_id": "a", "port": 9000, "subscribes": [
            "Big_Topic", {"topic": "orders", "route": "/in/orders", "dead_letter_topic": "poison"}]}],
        "pubsub": {"topics": ["Big_Topic", "orders", "poison"]},
    }  # fmt: skip
    result = generate("components", spec)
    subs = documents(result, "resources/kubernetes/subscriptions.yaml")
    assert [(s["metadata"]["name"], s["spec"]["topic"], s["spec"]["routes"]["default"], s["spec"]["deadLetterTopic"])
            for s in subs] == [("a-subscription-1", "Big_Topic", "/events/Big_Topic", "Big_Topic-dlq"),
                               ("a-orders", "orders", "/in/orders", "poison")]  # fmt: skip


def test_deployments_carry_the_dapr_annotations_probes_and_limits(renders: dict[str, Result]) -> None:
    for app, port in TODO_PORTS.items():
        deployment, service, *rbac = documents(renders["default"], f"deploy/kubernetes/{app}.yaml")
        pod = deployment["spec"]["template"]
        assert pod["metadata"]["annotations"] == {
            "dapr.io/enabled": "true",
            "dapr.io/app-id": app,
            "dapr.io/app-port": str(port),
            "dapr.io/api-token-secret": DAPR_TOKEN_SECRET,
            "dapr.io/app-token-secret": APP_TOKEN_SECRET,
            "dapr.io/enable-app-health-check": "true",
            "dapr.io/app-health-check-path": "/healthz",
        }
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        # Only the app that reads secrets (notification) runs as its own service account, allowed to get Secrets.
        assert [d["kind"] for d in rbac] == (["ServiceAccount", "Role", "RoleBinding"] if app == "notification" else [])
        assert pod["spec"].get("serviceAccountName") == (app if app == "notification" else None)
        if rbac:
            assert rbac[1]["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
            assert rbac[2]["subjects"] == [{"kind": "ServiceAccount", "name": app}]
        (container,) = pod["spec"]["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert set(container["resources"]) == {"requests", "limits"}
        tokens = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
        assert tokens == {"DAPR_API_TOKEN": {"name": DAPR_TOKEN_SECRET, "key": "token"},
                          "APP_API_TOKEN": {"name": APP_TOKEN_SECRET, "key": "token"}}  # fmt: skip
        assert service["kind"] == "Service"
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    kinds = {d.get("kind") for text in files_of(renders["default"], "yaml").values() for d in yaml.safe_load_all(text)}
    assert "Secret" not in kinds


def test_files_compose_under_a_folder() -> None:
    spec = ComponentsSpec()
    top = {f.path for f in files_for(spec)}
    nested = {f.path for f in files_for(spec, "todo/")}
    assert nested == {f"todo/{p}" for p in top}


def test_a_metadata_typo_fails_the_check() -> None:
    result = generate("components", {"environments": ["kubernetes"]})
    text = next(f.content for f in result.files if f.path == "resources/kubernetes/pubsub.yaml")
    typo = text.replace('"initialOffset"', '"initialOfset"')
    with pytest.raises(InvalidOutputError, match=r"no metadata field 'initialOfset'; did you mean 'initialOffset'"):
        check_files([Draft("c.yaml", typo, "yaml", "components/component")], DEFAULT_STYLE)


@pytest.mark.parametrize(
    ("kafka", "disable_tls"),
    [
        ({}, "false"),  # SASL over TLS: what Dapr does with authType password unless told otherwise
        ({"auth": "password", "tls": False}, "true"),  # SASL over a plaintext listener
        ({"auth": "none"}, "true"),  # Dapr never uses TLS with authType none: say so
    ],
)
def test_kafka_tls_is_stated_in_the_kubernetes_component(kafka: dict[str, Any], disable_tls: str) -> None:
    # components-contrib common/component/kafka/auth.go updateTLSConfig: TLS is on unless disableTls is
    # true or authType is none; a component that leaves it out talks TLS to a plaintext listener.
    result = generate("components", {"pubsub": {"kafka": kafka}})
    pubsub = next(c for c in _components(result, "kubernetes").values() if c["spec"]["type"] == "pubsub.kafka")
    meta = {m["name"]: m.get("value") for m in pubsub["spec"]["metadata"]}
    assert meta["disableTls"] == disable_tls
    assert (meta["authType"] == "password") == ("saslPassword" in meta)
    assert not any(c["spec"]["type"] == "pubsub.kafka" for c in _components(result, "local").values())


_BACKENDS = ("kafka", "redis", "postgres", "mongo", "rabbitmq", "memory")


@pytest.mark.parametrize("env", ["local", "kubernetes"])
def test_default_components_are_named_by_role_not_by_a_backend(renders: dict[str, Result], env: str) -> None:
    # One name serves both profiles (Redis locally, Kafka and PostgreSQL on Kubernetes): a name that says
    # "kafka" on a Redis component misleads whoever reads the local resources.
    for name, component in _components(renders["default"], env).items():
        named = [b for b in _BACKENDS if b in name]
        assert all(b in component["spec"]["type"] for b in named), (name, component["spec"]["type"])
    assert set(_components(renders["default"], env)) == {"pubsub", "statestore", "secretstore"}
