"""The project generator: the todo system and two other projects, each service passing its own checks in its
folder, manifests and Dockerfiles passing their validators, and errors that name the service and the field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed
import pytest
import yaml

from skill.errors import SpecError
from skill.generators.project import GENERATOR
from skill.pipeline import generate
from skill.result import Result
from skill.specs.project import TODO_SYSTEM
from tests.components.test_components_deploy import KUBERNETES_VERSION, _lint_dockerfile
from tools._verify import project_folders, verify_projects

PROJECTS: dict[str, dict[str, Any]] = {"todo-system": {}, **{k: dict(v) for k, v in GENERATOR.examples.items()}}


@pytest.fixture(scope="module")
def renders() -> dict[str, Result]:
    return {name: generate("project", spec) for name, spec in PROJECTS.items()}


def _write(result: Result, folder: Path) -> list[str]:
    for f in result.files:
        path = folder / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
    return [f.path for f in result.files]


@pytest.mark.slow
def test_every_service_of_every_project_passes_its_own_checks(
    renders: dict[str, Result], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folders: list[Path] = []
    for name, result in renders.items():
        root = tmp_path_factory.mktemp(f"project_{name}")
        folders += project_folders(root, _write(result, root))
    assert len(folders) == 3 + 2 + 2
    # pytest, mypy --strict (each pyproject), ruff check and format, in parallel, with this venv's tools (offline)
    report = verify_projects(folders, environment="this")
    assert not report.problems, "\n\n".join(report.problems)
    assert len(report.passed) == 4 * len(folders)


@pytest.mark.parametrize("name", PROJECTS)
def test_manifests_and_dockerfiles_pass_their_validators(renders: dict[str, Result], name: str, tmp_path: Path) -> None:
    result = renders[name]
    manifests = [f for f in result.files if f.path.startswith("deploy/kubernetes/")]
    dockerfiles = [f for f in result.files if f.path.endswith("Dockerfile")]
    services = {f.path.split("/")[0] for f in result.files if f.path.endswith("/pyproject.toml")}
    assert {f.path.split("/")[0] for f in dockerfiles} == services  # one image per service, built in its folder
    for f in manifests:
        for doc in yaml.safe_load_all(f.content):
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    for f in dockerfiles:
        done = _lint_dockerfile(f.content, tmp_path)
        assert done.returncode == 0, (f.path, done.stdout)


def test_the_todo_system_is_wired_as_the_seed_names_it(renders: dict[str, Result]) -> None:
    result = renders["todo-system"]
    paths = {f.path for f in result.files}
    for service in ("task-api", "recurring-task", "notification"):
        assert f"{service}/app/handlers.py" in paths
        assert f"{service}/tests/test_app.py" in paths
    assert {
        "dapr.yaml",
        "README.md",
        "resources/local/pubsub.yaml",
        "resources/kubernetes/statestore.yaml",
    } <= paths
    assert "recurring-task/app/recurrence.py" in paths
    run = yaml.safe_load(result.file("dapr.yaml").content)
    assert [(a["appID"], a["appDirPath"], a["appPort"]) for a in run["apps"]] == [
        ("task-api", "./task-api", 8000),
        ("recurring-task", "./recurring-task", 8001),
        ("notification", "./notification", 8002),
    ]
    subscribe = {f.path: f.content for f in result.files if f.path.endswith("/subscriptions.py")}
    assert '"topic": "task-events"' in subscribe["recurring-task/app/subscriptions.py"]
    assert '"topic": "reminders"' in subscribe["notification/app/subscriptions.py"]
    readme = result.file("README.md").content
    assert "dapr run -f ." in readme
    assert "(cd task-api && uv run pytest)" in readme
    assert [f.path for f in result.files if f.user_owned] == [
        "task-api/app/handlers.py",
        "recurring-task/app/handlers.py",
        "recurring-task/tests/test_recurring.py",
        "notification/app/handlers.py",
        "notification/tests/test_notification.py",
    ]


def test_the_todo_system_generates_nothing_it_does_not_use(renders: dict[str, Result]) -> None:
    """Issue 15: TaskEvent was generated and unused; the notification secret store, its ServiceAccount and
    Role were never used."""
    result = renders["todo-system"]
    python = [f for f in result.files if f.path.endswith(".py")]
    for service in ("task-api", "recurring-task", "notification"):
        events = result.file(f"{service}/app/events.py").content
        models = re.findall(r"^class (\w+)\(", events, re.MULTILINE)
        others = [f.content for f in python if f.path.startswith(f"{service}/") and not f.path.endswith("/events.py")]
        # used: named by another module of the service, or by another class of events.py (a field's type)
        used = {m for m in models if any(re.search(rf"\b{m}\b", t) for t in others)}
        used |= {m for m in models if len(re.findall(rf"\b{m}\b", events)) > 1}
        assert set(models) - used <= {"CloudEvent"}, service
    assert not any("TaskEvent" in f.content for f in result.files)
    documents = [doc for f in result.files if f.path.endswith(".yaml") for doc in yaml.safe_load_all(f.content)]
    assert not [d for d in documents if d and d.get("kind") == "Component" and "secretstores" in d["spec"]["type"]]
    assert not [d for d in documents if d and d.get("kind") in ("ServiceAccount", "Role", "RoleBinding")]


def test_a_service_of_a_project_is_the_service_generators_render(renders: dict[str, Result]) -> None:
    project = renders["todo-system"]
    alone = generate("service", {**TODO_SYSTEM["services"][1], "secret_store": None})
    for path in ("app/dapr_client.py", "app/subscriptions.py", "app/recurrence.py", "tests/fake_dapr.py"):
        assert project.file(f"recurring-task/{path}").content == alone.file(path).content, path


def test_the_seed_names_can_all_be_changed(tmp_path: Path) -> None:
    spec = json.loads(json.dumps(TODO_SYSTEM).replace("task-events", "tasks"))
    spec["pubsub"] = {"name": "events"}
    spec["state"] = {"name": "tasks-db"}
    result = generate("project", spec)
    assert "resources/local/events.yaml" in {f.path for f in result.files}
    assert '"topic": "tasks"' in result.file("recurring-task/app/subscriptions.py").content
    assert "tasks-db" in result.file("task-api/app/settings.py").content


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (lambda s: s["services"][1].update(port=8000), "services.1.port", "already the port of services.0"),
        (lambda s: s["services"][2].update(app_id="task-api"), "services.2.app_id", "already the app id"),
        (lambda s: s["services"][1].update(calls=["billing"]), "services.1.calls", "not a service of the project"),
        (
            lambda s: s["services"][1]["subscriptions"][0].update(pubsub="other"),
            "services.1.subscriptions.0.pubsub",
            "must be the service's pubsub component",
        ),
        (lambda s: s["services"][2].update(jobs=[]), "services.2.jobs", "needs a job"),
    ],
)
def test_bad_projects_name_the_service_and_the_field(change: Any, field: str, rule: str) -> None:
    spec = json.loads(json.dumps(TODO_SYSTEM))
    change(spec)
    with pytest.raises(SpecError) as caught:
        generate("project", spec)
    problems = [(p.field, p.rule) for p in caught.value.problems]
    assert any(f == field and rule in r for f, r in problems), problems
