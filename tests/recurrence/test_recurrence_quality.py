"""The rendered module passes ruff and `mypy --strict`; the context and the snippet header agree with the plan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skill._ruff import ruff_argv
from skill.catalog import get_snippet
from skill.generators import recurrence
from tests.recurrence.conftest import render, write_package


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The preset name for the models module, and another one: the relative import follows it.
    folder = tmp_path_factory.mktemp("recurrence_quality")
    write_package(folder, "app_events")
    write_package(folder, "app_models", models_module="models")
    return folder


def test_ruff_format_and_check_pass(packages: Path) -> None:
    fmt = subprocess.run(ruff_argv("format", "--check", str(packages)), capture_output=True, text=True, check=False)
    assert fmt.returncode == 0, fmt.stdout[-4000:]
    check = subprocess.run(
        ruff_argv("check", "--output-format", "concise", str(packages)), capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout[-4000:]


def test_mypy_strict_passes(packages: Path) -> None:
    # Needs types-python-dateutil (DEV_REQUIREMENTS), as the service's own dev group does.
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11",
         "-p", "app_events", "-p", "app_models"],
        capture_output=True, text=True, check=False, cwd=packages,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_lines_stay_within_88_columns(packages: Path) -> None:
    text = (packages / "app_events" / "recurrence.py").read_text(encoding="utf-8")
    assert [n for n, line in enumerate(text.splitlines(), 1) if len(line) > 88] == []


def test_the_module_imports_its_models_relatively(packages: Path) -> None:
    assert "from .events import Frequency, Recurrence" in (packages / "app_events" / "recurrence.py").read_text()
    assert "from .models import Frequency, Recurrence" in (packages / "app_models" / "recurrence.py").read_text()


def test_context_for() -> None:
    context = recurrence.context_for()
    assert context.models_module == "events"
    assert context.imports.std == (
        "import calendar",
        "import itertools",
        "from datetime import MAXYEAR, MINYEAR, datetime, timedelta",
    )
    assert context.imports.lib == ("from dateutil.rrule import rrule, rrulestr",)
    assert context.imports.local == ("from .events import Frequency, Recurrence",)
    for bad in ("", "my-models", "class", ".events"):
        with pytest.raises(ValueError, match="models_module must be a Python module name"):
            recurrence.context_for(bad)


def test_header_requirements_and_outline() -> None:
    assert get_snippet(recurrence.SNIPPET).requires == recurrence.REQUIREMENTS
    result = render()
    assert set(recurrence.REQUIREMENTS) <= set(result.requirements)
    module = result.file("recurrence.py")
    assert module.checks == ["ast.parse", "ruff format", "ruff check"]
    assert "def next_occurrence(" in module.content
