"""Render services into folders, import their apps under unique package names, and run tools inside them."""

from __future__ import annotations

import importlib
import itertools
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from skill.pipeline import generate
from skill.result import Result

_serial = itertools.count()


def write_service(spec: Mapping[str, Any], folder: Path) -> Result:
    """Every file of one render, written under `folder`."""
    result = generate("service", dict(spec))
    for f in result.files:
        path = folder / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
    return result


def import_app(spec: Mapping[str, Any], folder: Path) -> dict[str, ModuleType]:
    """Render `spec` with a package name of its own and import its modules (`main`, `handlers`, ...)."""
    package = f"svc_{next(_serial)}"
    result = write_service({**spec, "package": package}, folder)
    sys.path.insert(0, str(folder))
    try:
        return {
            Path(f.path).stem: importlib.import_module(f"{package}.{Path(f.path).stem}")
            for f in result.files
            if f.path.startswith(f"{package}/") and f.path.endswith(".py") and not f.path.endswith("__init__.py")
        }
    finally:
        sys.path.remove(str(folder))


def run_in(folder: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a tool of this environment inside a generated folder, as its own user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
