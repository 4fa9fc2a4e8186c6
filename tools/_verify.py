"""`--verify`: after writing, hold the generated files to what the test suite holds generated code to.

A service or project (folders with a pyproject.toml of their own) is checked as its README says: `uv sync`, then
`uv run` its tests, `mypy` and ruff in each folder, in its own environment, in parallel (`verify_projects`).

Loose files (client, models, endpoint): ruff already ran inside the engine; this adds `mypy --strict` and an
import, which need the generated code's own dependencies installed in this environment. Only the files of the
result are checked (written now or already there unchanged): the user's own modules in the same folder are neither
type-checked nor imported (importing runs their side effects). Test modules (`test_*.py`, `conftest.py`) are
type-checked but not imported: pytest runs them, and the report says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

__all__ = ["Environment", "ProjectReport", "VerifyReport", "project_folders", "verify_files", "verify_projects"]

_IMPORT = """
import importlib, sys
sys.path.insert(0, sys.argv[1])
for name in sys.argv[2:]:
    importlib.import_module(name)
"""

_LIMIT = 600  # seconds per step: a generated module that hangs on import must not hang the CLI


@dataclass
class VerifyReport:
    folder: Path
    type_checked: list[str] = field(default_factory=list)  # paths relative to the folder
    imported: list[str] = field(default_factory=list)  # module names
    not_imported: list[str] = field(default_factory=list)  # test modules, left to pytest
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What was verified, precisely (nothing more is claimed)."""
        if not self.type_checked:
            return f"verified: nothing (no Python files in the result) in {self.folder}"
        lines = [
            f"verified in {self.folder}:",
            f"  mypy --strict: {', '.join(self.type_checked)}",
            f"  imported: {', '.join(self.imported) or 'none'}",
        ]
        if self.not_imported:
            lines.append(f"  not imported (test modules; run them with pytest): {', '.join(self.not_imported)}")
        return "\n".join(lines)


def _module(rel: PurePosixPath) -> str:
    return ".".join(rel.with_suffix("").parts).removesuffix(".__init__")


def _is_test(rel: PurePosixPath) -> bool:
    return rel.name.startswith("test_") or rel.name == "conftest.py"


def verify_files(folder: Path, files: Sequence[str]) -> VerifyReport:
    """Type-check and import `files` (paths relative to `folder`, as in a Result); problems are in the report."""
    folder = folder.resolve()  # mypy runs with the folder as its working directory
    report = VerifyReport(folder)
    python = sorted(PurePosixPath(f) for f in files if f.endswith(".py"))
    if not python:
        return report
    report.type_checked = [str(p) for p in python]
    report.imported = [_module(p) for p in python if not _is_test(p)]
    report.not_imported = [str(p) for p in python if _is_test(p)]
    env = {**os.environ, "MYPYPATH": str(folder)}
    paths = [str(folder.joinpath(*p.parts)) for p in python]
    # Modules the files import from the folder are followed for their types, but their own errors are not ours.
    mypy_argv = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental"]
    mypy_argv += ["--cache-dir", os.devnull, *paths]
    try:
        mypy = subprocess.run(
            mypy_argv, capture_output=True, text=True, check=False, env=env, cwd=folder, timeout=_LIMIT
        )
        imported = subprocess.run(
            [sys.executable, "-c", _IMPORT, str(folder), *report.imported],
            capture_output=True,
            text=True,
            check=False,
            timeout=_LIMIT,
        )
    except subprocess.TimeoutExpired as exc:  # run() kills the child before raising
        report.problems.append(f"gave up after {_LIMIT} s: {' '.join(str(a) for a in exc.cmd[:4])} ...")
        return report
    if mypy.returncode != 0:
        if "No module named mypy" in mypy.stderr:
            report.problems.append(
                "mypy is not installed in this environment: `uv sync` (dev group) or `pip install mypy`"
            )
            return report
        report.problems.append("mypy --strict:\n" + (mypy.stdout + mypy.stderr).strip())
    if imported.returncode != 0:
        report.problems.append("import failed:\n" + imported.stderr.strip())
    return report


@dataclass
class ProjectReport:
    """Each generated project folder (a folder with its own pyproject.toml) checked as its own user checks it."""

    folders: list[Path] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # "folder: check" lines
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join([f"verified {len(self.folders)} project folder(s):", *(f"  {p}" for p in self.passed)])


# What a generated service's README tells its user to run in its folder, with its own configuration (mypy first:
# it takes longest). Caches are the folder's own (.mypy_cache, .ruff_cache, ignored by its .gitignore), so a
# second run is quick.
_PROJECT_CHECKS: tuple[tuple[str, ...], ...] = (
    ("mypy",),
    ("pytest", "-q", "-p", "no:cacheprovider"),
    ("ruff", "check", "."),
    ("ruff", "format", "--check", "."),
)
_UV_SYNC = ("uv", "sync", "--quiet")  # the folder's own environment: its pyproject's runtime and dev groups

# A check's command line in a folder: `uv run` there (its own environment, what --verify does), or this
# environment's interpreter (the test suite's, which holds every requirement the generators write, offline).
Environment = Literal["own", "this"]
Progress = Callable[[str, bool, float], None]  # "folder: check", passed, seconds


class _MissingToolError(Exception):
    """A tool --verify needs is not there; the message says which and how to get it."""


def project_folders(folder: Path, files: Sequence[str]) -> list[Path]:
    """The folders of `files` that hold a pyproject.toml of the result: each is a project of its own."""
    return sorted(
        {folder.joinpath(*PurePosixPath(f).parent.parts) for f in files if PurePosixPath(f).name == "pyproject.toml"}
    )


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise _MissingToolError(
            "uv is not on PATH: --verify runs each service's checks with `uv run` in its folder, as its README "
            "says (install uv: `pip install uv`, or see https://docs.astral.sh/uv/)"
        )
    return uv


def _environment(environment: Environment) -> dict[str, str]:
    """Ours, less what would point the folder's tools at our environment instead of its own. In its own
    environment, bytecode is written (into its .venv and __pycache__/, which its .gitignore lists): uv installs
    packages uncompiled, and without it every run compiles FastAPI, pydantic and pytest again (pytest: 2.3 s
    instead of 1.2 s per service, warm)."""
    ours = ("PYTEST", "VIRTUAL_ENV", "UV_PROJECT", "MYPYPATH", "MYPY_CACHE_DIR", "PYTHONPATH", "RUFF_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    if environment == "own":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def verify_projects(
    folders: Sequence[Path], *, environment: Environment = "own", progress: Progress | None = None
) -> ProjectReport:
    """Run every project folder's tests, `mypy` (its strict configuration) and ruff in it, in parallel across
    folders and checks. `environment="own"`: in the folder's own uv environment (`uv sync`, then `uv run`; uv's
    cache is shared, so packages are fetched once); "this": with this interpreter. Problems are in the report;
    `progress` hears of each step as it ends."""
    report = ProjectReport(list(folders))
    env = _environment(environment)
    try:
        prefix = [_uv(), "run", "--no-sync", "--quiet"] if environment == "own" else [sys.executable, "-m"]
    except _MissingToolError as exc:
        report.problems.append(str(exc))
        return report

    def run(where: Path, argv: Sequence[str], name: str) -> tuple[str, subprocess.CompletedProcess[str] | None]:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                argv, cwd=where, env=env, capture_output=True, text=True, check=False, timeout=_LIMIT
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            done = None
        if progress is not None:
            progress(name, done is not None and done.returncode == 0, time.perf_counter() - started)
        return name, done

    def record(name: str, done: subprocess.CompletedProcess[str] | None) -> bool:
        if done is None:
            report.problems.append(f"{name}: gave up after {_LIMIT} s")
        elif done.returncode != 0:
            report.problems.append(f"{name} failed:\n{(done.stdout + done.stderr).strip()[-4000:]}")
        else:
            report.passed.append(name)
        return done is not None and done.returncode == 0

    workers = max(2, os.cpu_count() or 2)
    ready = list(folders)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        if environment == "own":  # each folder's environment first (all at once: mostly waiting on uv's cache)
            syncs = pool.map(lambda f: run(f, [prefix[0], *_UV_SYNC[1:]], f"{f.name}: uv sync"), folders)
            ready = [f for f, (name, done) in zip(folders, syncs, strict=True) if record(name, done)]
        jobs = [(f, c) for c in _PROJECT_CHECKS for f in ready]
        for name, done in pool.map(lambda j: run(j[0], [*prefix, *j[1]], f"{j[0].name}: {' '.join(j[1][:2])}"), jobs):
            record(name, done)
    return report
