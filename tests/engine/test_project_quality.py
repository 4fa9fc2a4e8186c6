"""The project holds itself to the bar it sets: ruff (lint and format) and mypy --strict over its own code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check_is_clean() -> None:
    out = _run("ruff", "check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout[-4000:]


def test_ruff_format_is_clean() -> None:
    out = _run("ruff", "format", "--check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout[-4000:]


def test_mypy_strict_is_clean() -> None:
    # Files and strictness come from pyproject.toml: skill, tools, bench and tests.
    out = _run("mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert out.returncode == 0, out.stdout[-4000:]
