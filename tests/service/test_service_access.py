"""Access control: invocation targets name their callers; the app refuses another `dapr-caller-app-id` with 403,
and on Kubernetes a Configuration (accessControl, deny by default) named by `dapr.io/config` says the same to the
sidecar. Projects derive the callers from `calls`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed
import pytest
import yaml
from pydantic import ValidationError

from skill.checks.dapr import dapr_problems
from skill.pipeline import generate
from skill.specs.project import TODO_SYSTEM, ProjectSpec
from skill.specs.service import ServiceSpec
from tests.service.conftest import run_in, write_service

KUBERNETES_VERSION = "1.30.0"
_MODELS = {
    "models": [
        {"name": "Order", "fields": [{"name": "id", "type": "str"}]},
        {"name": "Hold", "fields": [{"name": "ok", "type": "bool"}]},
    ]
}
INVENTORY: dict[str, Any] = {
    "app_id": "inventory",
    "port": 8700,
    "crud": [],
    "state": None,
    "models": _MODELS,
    "invocations": [
        {"method": "/reserve", "request_model": "Order", "response_model": "Hold", "callers": ["checkout"]},
        {"method": "/stock", "verb": "GET", "response_model": "Hold", "callers": ["checkout", "reports"]},
        {"method": "/stock", "verb": "POST", "response_model": "Hold", "callers": ["checkout"], "handler": "restock"},
        {"method": "/reset", "response_model": "Hold", "callers": []},
    ],
}


def _dapr_allows(config: dict[str, Any], caller: str, verb: str, path: str) -> bool:
    """dapr/dapr pkg/acl/acl.go as it decides an HTTP invocation from `caller` (namespace 'default', trust
    domain 'public'): the first policy path on the way down the operation's segments decides (pkg/config/
    acl_trie.go Search; '/**' matches anything), by verb or '*'; otherwise the default actions."""
    acl = config["spec"]["accessControl"]
    policy = next((p for p in acl["policies"] if p["appId"] == caller), None)
    if policy is None or (policy["namespace"], policy["trustDomain"]) != ("default", "public"):
        return bool(acl["defaultAction"] == "allow")
    action = policy.get("defaultAction", acl["defaultAction"])
    parts = path.lower().strip("/").split("/")
    for op in policy["operations"]:
        wanted = op["name"].lower().strip("/").split("/")
        prefix = wanted[:-1] if wanted[-1] == "**" else wanted
        if parts[: len(prefix)] == prefix and (wanted[-1] == "**" or len(parts) >= len(wanted)):
            verbs = op["httpVerb"]
            if verb in verbs or "*" in verbs:
                action = op["action"]
            break
    return bool(action == "allow")


def _docs(files: dict[str, str], path: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(files[path]) if d]


def test_a_service_gets_a_deny_by_default_configuration_on_kubernetes() -> None:
    files = {f.path: f.content for f in generate("service", INVENTORY).files}
    (config,) = _docs(files, "resources/kubernetes/inventory-config.yaml")
    assert dapr_problems(config, "inventory-config.yaml") == []
    assert config["spec"]["accessControl"]["defaultAction"] == "deny"
    allowed = {
        (p["appId"], o["name"], tuple(o["httpVerb"])) for p in config["spec"]["accessControl"]["policies"]
        for o in p["operations"]
    }  # fmt: skip
    # One operation per path, verbs merged: daprd keeps only the first policy of a path.
    assert allowed == {
        ("checkout", "/reserve", ("POST",)),
        ("checkout", "/stock", ("GET", "POST")),
        ("reports", "/stock", ("GET",)),
    }
    assert _dapr_allows(config, "checkout", "POST", "/stock")
    assert _dapr_allows(config, "reports", "GET", "/stock")
    assert not _dapr_allows(config, "reports", "POST", "/stock")
    assert not _dapr_allows(config, "reports", "POST", "/reserve")
    assert not _dapr_allows(config, "checkout", "POST", "/reset")
    assert not _dapr_allows(config, "someone", "GET", "/stock")
    for doc in _docs(files, "deploy/kubernetes/inventory.yaml"):
        for version in (KUBERNETES_VERSION, kubernetes_validate.latest_version()):
            kubernetes_validate.validate(doc, version, strict=True)
        if doc["kind"] == "Deployment":
            annotations = doc["spec"]["template"]["metadata"]["annotations"]
            assert annotations["dapr.io/config"] == "inventory-config"
    # Locally there is no mTLS, so a deny-by-default Configuration would refuse every call: none is named.
    assert "config" not in yaml.safe_load(files["dapr.yaml"])["apps"][0]


def test_no_callers_no_access_control() -> None:
    files = {f.path: f.content for f in generate("service", {}).files}
    assert not any(p.endswith("-config.yaml") for p in files)
    assert "dapr.io/config" not in files["deploy/kubernetes/task-api.yaml"]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inventory")
    write_service(INVENTORY, folder)
    return folder


def test_the_app_refuses_a_wrong_caller_and_serves_the_right_one(inventory: Path) -> None:
    done = run_in(inventory, "pytest", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
    access = run_in(inventory, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_access.py")
    assert "4 passed" in access.stdout, access.stdout
    typed = run_in(inventory, "mypy", "--strict", ".")
    assert typed.returncode == 0, typed.stdout


def test_the_access_tests_fail_when_the_app_does_not_check(inventory: Path, tmp_path: Path) -> None:
    folder = tmp_path / "open"
    write_service(INVENTORY, folder)
    invocation = folder / "app" / "invocation.py"
    text = invocation.read_text(encoding="utf-8")
    assert "    _only(caller, _RESERVE_CALLERS)\n" in text
    invocation.write_text(text.replace("    _only(caller, _RESERVE_CALLERS)\n", ""), encoding="utf-8")
    done = run_in(folder, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_access.py")
    assert done.returncode == 1, done.stdout
    assert "test_invoke_reserve_answers_refuses_other_callers" in done.stdout


def test_callers_on_some_targets_only_is_refused() -> None:
    spec = {**INVENTORY, "invocations": [*INVENTORY["invocations"], {"method": "/open", "response_model": "Hold"}]}
    with pytest.raises(ValidationError) as raised:
        ServiceSpec.model_validate(spec)
    (error,) = raised.value.errors()
    assert error["loc"] == ("invocations", 4, "callers")
    assert "must be given when another invocation target names its callers" in error["msg"]


def test_a_project_derives_callers_from_calls() -> None:
    files = {f.path: f.content for f in generate("project", TODO_SYSTEM).files}
    (task_api,) = _docs(files, "resources/kubernetes/task-api-config.yaml")
    assert dapr_problems(task_api, "task-api-config.yaml") == []
    (policy,) = task_api["spec"]["accessControl"]["policies"]
    assert policy["appId"] == "recurring-task"  # it calls task-api; nobody else may
    for verb, path in [("POST", "/api/tasks"), ("GET", "/api/tasks/t-1"), ("PUT", "/api/tasks/t-1"),
                       ("DELETE", "/api/tasks/t-1"), ("POST", "/api/tasks/t-1/complete")]:  # fmt: skip
        assert _dapr_allows(task_api, "recurring-task", verb, path), (verb, path)
        assert not _dapr_allows(task_api, "notification", verb, path), (verb, path)
    (notification,) = _docs(files, "resources/kubernetes/notification-config.yaml")
    assert notification["spec"]["accessControl"]["policies"] == []  # nobody calls it
    for app in ("task-api", "recurring-task", "notification"):
        for doc in _docs(files, f"deploy/kubernetes/{app}.yaml"):
            for version in (KUBERNETES_VERSION, kubernetes_validate.latest_version()):
                kubernetes_validate.validate(doc, version, strict=True)
            if doc["kind"] == "Deployment":
                assert doc["spec"]["template"]["metadata"]["annotations"]["dapr.io/config"] == f"{app}-config"


def test_a_project_guards_an_invocation_target_for_its_calling_services() -> None:
    services = [
        {"app_id": "checkout", "port": 8100, "calls": ["inventory"]},
        {**{k: v for k, v in INVENTORY.items() if k not in ("state",)}, "invocations": [
            {"method": "/reserve", "request_model": "Order", "response_model": "Hold"}]},
    ]  # fmt: skip
    spec = ProjectSpec.model_validate({"name": "shop", "services": services, "state": None})
    files = {f.path: f.content for f in generate("project", spec.model_dump(exclude_unset=True)).files}
    assert '_RESERVE_CALLERS = frozenset({"checkout"})' in files["inventory/app/invocation.py"]
    (config,) = _docs(files, "resources/kubernetes/inventory-config.yaml")
    assert _dapr_allows(config, "checkout", "POST", "/reserve")
    assert not _dapr_allows(config, "inventory", "POST", "/reserve")
