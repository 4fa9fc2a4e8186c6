"""What a service folder holds: the composed app, its own tests and project files, resources and deployment."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import pytest

from skill.pipeline import generate
from skill.requirements import lower_bounds
from skill.result import Result
from tests.service.conftest import write_service


@pytest.fixture(scope="module")
def default() -> Result:
    return generate("service")


def test_the_folder_is_a_whole_project(default: Result) -> None:
    paths = {f.path for f in default.files}
    wanted = {
        "app/main.py", "app/handlers.py", "app/settings.py", "app/health.py", "app/dapr_client.py", "app/events.py",
        "app/resources.py", "tests/conftest.py", "tests/fake_dapr.py", "tests/test_app.py", "pyproject.toml",
        "README.md", ".gitignore", ".dockerignore", "Dockerfile", "dapr.yaml", "deploy/kubernetes/task-api.yaml",
        "resources/local/pubsub.yaml", "resources/kubernetes/statestore.yaml",
    }  # fmt: skip
    assert wanted <= paths, wanted - paths


def test_only_handlers_is_the_users(default: Result) -> None:
    assert [f.path for f in default.files if f.user_owned] == ["app/handlers.py"]


def test_the_client_is_the_client_generators_render(default: Result) -> None:
    client = generate("client", {"blocks": ["state", "pubsub"], "module": "dapr_client", "class_name": "DaprClient"})
    assert default.file("app/dapr_client.py").content == client.file("dapr_client.py").content


def test_pyproject_names_each_requirement_once(default: Result) -> None:
    project = tomllib.loads(default.file("pyproject.toml").content)
    deps = project["project"]["dependencies"]
    names = [d.split(">")[0].split("[")[0] for d in deps]
    assert len(names) == len(set(names)), deps
    assert all("<" not in d for d in deps), deps  # lower bounds: uv.lock pins the rest
    assert {"fastapi", "httpx", "pydantic", "pydantic-settings", "uvicorn"} <= set(names)
    assert project["tool"]["uv"]["package"] is False
    assert project["tool"]["mypy"]["strict"] is True


def test_lower_bounds_keeps_the_highest_lower_bound() -> None:
    given = ["pydantic_settings>=2.4,<3", "pydantic-settings>=2.6,<3", "uvicorn>=0.30", "uvicorn[standard]>=0.30"]
    assert lower_bounds(given) == ("pydantic-settings>=2.6", "uvicorn[standard]>=0.30")
    with pytest.raises(ValueError, match="not a requirement"):
        lower_bounds(["=bad"])


def test_readme_lists_every_route(default: Result) -> None:
    readme = default.file("README.md").content
    for route in ("/healthz", "/readyz", "/dapr/subscribe", "/api/tasks", "/api/tasks/{key}/complete"):
        assert f"`{route}`" in readme
    assert "uv run pytest" in readme
    assert "dapr run -f ." in readme


def test_run_file_and_image_start_the_same_app(default: Result) -> None:
    assert '"app.main:app"' in default.file("dapr.yaml").content
    assert '"app.main:app"' in default.file("Dockerfile").content
    assert 'appDirPath: "./"' in default.file("dapr.yaml").content


def test_settings_stop_the_app_on_a_component_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_service({"package": "svc_settings"}, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        settings = importlib.import_module("svc_settings.settings")
    finally:
        sys.path.remove(str(tmp_path))
    assert settings.Settings().pubsub_name == "pubsub"
    monkeypatch.setenv("PUBSUB_NAME", "pubsub-kafka")
    with pytest.raises(ValueError, match=r"PUBSUB_NAME is 'pubsub-kafka'.*'pubsub'"):
        settings.Settings()


def test_a_local_only_service_still_gets_its_dockerfile() -> None:
    result = generate("service", {"environments": ["local"]})
    paths = {f.path for f in result.files}
    assert "Dockerfile" in paths
    assert not any(p.startswith("deploy/") for p in paths)
