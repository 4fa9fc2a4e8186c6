"""What `dapr-coder run` reads from a generated folder: its apps, their folders and ports, the state store's
profile, the secrets, and a clear error for a folder it cannot run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.standin.conftest import generate_project
from tools.cli import main as cli
from tools.standin import run
from tools.standin.project import RunError, load_plan
from tools.standin.resiliency import NO_RETRY, Redelivery, RetryPolicy


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("plans")
    return {name: generate_project(name, root / name) for name in ("todo-system", "kubernetes-only")}


def test_a_project_runs_every_service_in_its_folder(projects: dict[str, Path]) -> None:
    plan = load_plan(projects["todo-system"])
    assert [(a.app_id, a.port, a.folder.name) for a in plan.apps] == [
        ("task-api", 8000, "task-api"), ("recurring-task", 8001, "recurring-task"),
        ("notification", 8002, "notification"),
    ]  # fmt: skip
    assert (plan.state_store, plan.state_profile, plan.pubsub) == ("statestore", "redis", "pubsub")
    assert plan.delivery_attempts == 6  # the resiliency policy's inbound maxRetries (5) + the first delivery
    assert plan.apps[0].env == {"PUBSUB_NAME": "pubsub", "STATESTORE_NAME": "statestore"}  # dapr.yaml
    notification = plan.apps[2]
    assert plan.loads(notification, "state")
    assert not any(plan.loads(app, "secrets") for app in plan.apps)  # no service of the todo system reads a secret


@pytest.mark.anyio
async def test_the_sidecars_pace_deliveries_by_the_generated_resources(
    projects: dict[str, Path], tmp_path: Path
) -> None:
    """The inbound retry policy of resources/local/resiliency.yaml, Redis's 10 workers, Dapr 1.18.3 reported."""
    plan = load_plan(projects["todo-system"])
    assert plan.resources == projects["todo-system"] / "resources" / "local"
    mesh = run._mesh(plan)
    double = mesh.add("notification")
    assert double.deliverer.retry == RetryPolicy(policy="constant", duration=5.0, max_retries=5)
    assert double.deliverer.max_attempts == 6
    # The generated pubsub.redis states no processingTimeout nor redeliverInterval: components-contrib's 60s, 15s.
    redis = run.Pace(concurrency=10, redelivery=Redelivery(60.0, 15.0), broker="pubsub.redis")
    assert run._paces(plan, ["notification"]) == {"notification": redis}
    async with double.client() as sidecar:
        assert (await sidecar.get("/v1.0/metadata")).json()["runtimeVersion"] == "1.18.3"
    component = {"apiVersion": "dapr.io/v1alpha1", "kind": "Component", "metadata": {"name": "pubsub"},
                 "spec": {"type": "pubsub.kafka", "version": "v1", "metadata": []}}  # fmt: skip
    (tmp_path / "pubsub.yaml").write_text(json.dumps(component), encoding="utf-8")
    kafka = dataclasses.replace(plan, resources=tmp_path)
    # pubsub.kafka retries a returned message every 5s without end (consumeRetryEnabled, dapr/kit retry defaults).
    endless = Redelivery(backoff=RetryPolicy(duration=5.0, max_retries=-1))
    assert run._paces(kafka, ["a"]) == {"a": run.Pace(1, per_key=True, redelivery=endless, broker="pubsub.kafka")}
    assert run._mesh(kafka).add("notification").deliverer.retry is NO_RETRY  # no Resiliency there: one attempt


def test_one_service_folder_of_a_project_runs_alone(projects: dict[str, Path]) -> None:
    plan = load_plan(projects["todo-system"] / "notification")
    assert [a.app_id for a in plan.apps] == ["notification"]
    assert plan.root == projects["todo-system"]


def test_a_kubernetes_only_project_runs_on_postgresql_rules(projects: dict[str, Path]) -> None:
    assert load_plan(projects["kubernetes-only"]).state_profile == "postgresql"


def test_secrets_json_is_read_with_the_local_file_stores_separator(projects: dict[str, Path], tmp_path: Path) -> None:
    (projects["todo-system"] / "secrets").mkdir(exist_ok=True)
    (projects["todo-system"] / "secrets" / "secrets.json").write_text('{"smtp": {"password": "p"}, "token": "t"}')
    assert load_plan(projects["todo-system"]).secrets == {"smtp:password": "p", "token": "t"}


@pytest.mark.parametrize(
    ("where", "rule"),
    [
        ("missing", "is not a folder"),
        ("plain", "has no .dapr-coder/manifest.json"),
        ("todo-system/resources", "is not one of the project's service folders"),
    ],
)
def test_a_folder_it_cannot_run_is_named(projects: dict[str, Path], tmp_path: Path, where: str, rule: str) -> None:
    (tmp_path / "plain").mkdir()
    folder = projects["todo-system"].parent / where if where.startswith("todo") else tmp_path / where
    with pytest.raises(RunError) as caught:
        load_plan(folder)
    assert str(folder) in str(caught.value)
    assert rule in str(caught.value)


def test_a_generated_service_folder_runs_its_one_app(tmp_path: Path) -> None:
    assert cli(["generate", "service", "-o", str(tmp_path / "orders")]) == 0
    plan = load_plan(tmp_path / "orders")
    assert [(a.app_id, a.folder) for a in plan.apps] == [("task-api", tmp_path / "orders")]
    assert plan.root == tmp_path / "orders"
