"""Every variant of a covering option set passes ruff format --check, ruff check and mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from skill._ruff import ruff_argv
from skill.generators.endpoint import GENERATOR
from tests.endpoint.conftest import write_package

# Each feature alone, each off, and the flags that change imports (token, bulk, idempotency, raw payload).
_ALONE: dict[str, dict[str, Any]] = {
    "none": {"subscriptions": [], "jobs": [], "bindings": [], "invocations": [], "crud": []},
    "subs-only": {"jobs": [], "bindings": [], "invocations": [], "crud": [], "app_token": False},
    "jobs-only": {"subscriptions": [], "bindings": [], "invocations": [], "crud": []},
    "bindings-raw-only": {"subscriptions": [], "jobs": [], "invocations": [], "crud": [], "bindings": [{"name": "in"}]},
    "invoke-get-only": {
        "subscriptions": [], "jobs": [], "bindings": [], "crud": [],
        "invocations": [{"method": "/stats", "verb": "GET", "response_model": "Recurrence"},
                        {"method": "/to-event", "request_model": "Task", "response_model": "TaskEvent"}],
    },
    "crud-only-no-topic": {"subscriptions": [], "jobs": [], "bindings": [], "invocations": [],
                           "crud": [{"name": "tasks", "model": "Task"}]},
    "single-route-not-idempotent": {"subscriptions": [{"topic": "t", "model": "Task"}], "crud": []},
    "bulk-with-rules": {"subscriptions": [{"topic": "t", "model": "Task", "bulk": {},
                        "rules": [{"match": "event.type == \"x\"", "route": "/x", "handler": "on_x"}]}]},
}  # fmt: skip
VARIANTS = {"default": {}, **GENERATOR.examples, **_ALONE}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("endpoint_variants")
    for i, spec in enumerate(VARIANTS.values()):
        write_package({**spec, "package": f"variant_{i}"}, folder)
    return folder


def test_every_variant_passes_ruff(rendered: Path) -> None:
    fmt = subprocess.run(ruff_argv("format", "--check", str(rendered)), capture_output=True, text=True, check=False)
    assert fmt.returncode == 0, fmt.stdout[-4000:]
    check = subprocess.run(
        ruff_argv("check", "--output-format", "concise", str(rendered)), capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout[-4000:]


def test_every_variant_passes_mypy_strict(rendered: Path) -> None:
    packages = sorted(p.name for p in rendered.iterdir() if p.is_dir())
    assert len(packages) == len(VARIANTS)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11",
         *(f"-p={p}" for p in packages)],
        capture_output=True, text=True, check=False, cwd=rendered,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_default_render_stays_within_88_columns(rendered: Path) -> None:
    long = [f"{p}:{n}" for p in (rendered / "variant_0").glob("*.py") if p.stem != "dapr_client"
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if len(line) > 88]  # fmt: skip
    assert long == []
