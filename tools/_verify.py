"""`--verify`: after writing, hold the folder to what the test suite holds generated code to.

ruff already ran inside the engine; this adds `mypy --strict` and an import of every module, which need the
generated code's own dependencies installed (they are in this project's dev environment).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["verify_folder"]

_IMPORT_ALL = """
import importlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(root))
for path in sorted(root.rglob("*.py")):
    if path.name.startswith("test_") or path.name == "conftest.py":
        continue
    rel = path.relative_to(root).with_suffix("")
    importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))
"""


_LIMIT = 600  # seconds per step: a generated module that hangs on import must not hang the CLI


def verify_folder(folder: Path) -> list[str]:
    """Problems found (empty when the folder passes mypy --strict and every module imports)."""
    problems: list[str] = []
    folder = folder.resolve()  # mypy runs with the folder as its working directory
    files = sorted(str(p) for p in folder.rglob("*.py"))
    if not files:
        return []
    env = {**os.environ, "MYPYPATH": str(folder)}
    mypy_argv = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, *files]
    try:
        mypy = subprocess.run(
            mypy_argv, capture_output=True, text=True, check=False, env=env, cwd=folder, timeout=_LIMIT
        )
        imported = subprocess.run(
            [sys.executable, "-c", _IMPORT_ALL, str(folder)],
            capture_output=True,
            text=True,
            check=False,
            timeout=_LIMIT,
        )
    except subprocess.TimeoutExpired as exc:  # run() kills the child before raising
        return [f"gave up after {_LIMIT} s: {' '.join(str(a) for a in exc.cmd[:4])} ..."]
    if mypy.returncode != 0:
        if "No module named mypy" in mypy.stderr:
            return ["mypy is not installed in this environment: `uv sync` (dev group) or `pip install mypy`"]
        problems.append("mypy --strict:\n" + (mypy.stdout + mypy.stderr).strip())
    if imported.returncode != 0:
        problems.append("import failed:\n" + imported.stderr.strip())
    return problems
