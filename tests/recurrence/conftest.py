"""Render the preset models and the recurrence module into a package through the engine, and import it."""

from __future__ import annotations

import importlib
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from skill.generator import Generator
from skill.generators import recurrence
from skill.pipeline import generate, parse_spec
from skill.plan import FilePlan, Plan
from skill.registry import get_generator
from skill.result import Result
from skill.specs.common import SpecModel

__all__ = ["Rendered", "render", "write_package"]

_serial = itertools.count()


class _NoOptions(SpecModel):
    """The throw-away generator takes nothing: it pins the preset models."""


def _plan_with(models_module: str) -> Plan:
    # The models generator's own plan for the preset, plus the recurrence module beside it, as the
    # recurring-task service composes them.
    models_plan = get_generator("models").plan(parse_spec("models", {}))
    (models_file,) = models_plan.files
    return Plan(
        files=[
            FilePlan(f"{models_module}.py", models_file.snippet, models_file.context),
            FilePlan("recurrence.py", recurrence.SNIPPET, recurrence.context_for(models_module)),
        ],
        requirements=[*models_plan.requirements, *recurrence.REQUIREMENTS],
    )


def render(models_module: str = "events") -> Result:
    """Both modules rendered and checked (ruff format, ruff check) exactly as any generator's output is."""
    name = "recurrence-test"
    throw_away = Generator(name, "Recurrence test", "Preset models and the recurrence module.", _NoOptions,
                           lambda _spec: _plan_with(models_module))  # fmt: skip
    return generate(name, {}, registry={name: throw_away})


def write_package(directory: Path, package: str, models_module: str = "events") -> Path:
    """The checked files as the package `package` under `directory`; returns the package folder."""
    folder = directory / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('"""Rendered for tests."""\n', encoding="utf-8")
    for f in render(models_module).files:
        (folder / f.path).write_text(f.content, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Rendered:
    """The imported package: the recurrence module and the models it reads."""

    recurrence: ModuleType
    models: ModuleType


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    directory = tmp_path_factory.mktemp("recurrence")
    package = f"todo_recurrence_{next(_serial)}"
    write_package(directory, package)
    sys.path.insert(0, str(directory))
    try:
        return Rendered(importlib.import_module(f"{package}.recurrence"), importlib.import_module(f"{package}.events"))
    finally:
        sys.path.remove(str(directory))
