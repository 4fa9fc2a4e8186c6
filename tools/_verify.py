"""`--verify`: after writing, hold the generated files to what the test suite holds generated code to.

ruff already ran inside the engine; this adds `mypy --strict` and an import, which need the generated code's own
dependencies installed (they are in this project's dev environment). Only the files of the result are checked
(written now or already there unchanged): the user's own modules in the same folder are neither type-checked nor
imported (importing runs their side effects). Test modules (`test_*.py`, `conftest.py`) are type-checked but not
imported: pytest runs them, and the report says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

__all__ = ["ProjectReport", "VerifyReport", "project_folders", "verify_files", "verify_projects", "verify_written"]

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


# What a generated service's README tells its user to run, in its folder, with its own configuration.
_PROJECT_CHECKS: tuple[tuple[str, ...], ...] = (
    ("pytest", "-q", "-p", "no:cacheprovider"),
    ("mypy", "--no-incremental", "--cache-dir", os.devnull),
    ("ruff", "check", "--no-cache", "."),
    ("ruff", "format", "--check", "--no-cache", "."),
)


def project_folders(folder: Path, files: Sequence[str]) -> list[Path]:
    """The folders of `files` that hold a pyproject.toml of the result: each is a project of its own."""
    return sorted(
        {folder.joinpath(*PurePosixPath(f).parent.parts) for f in files if PurePosixPath(f).name == "pyproject.toml"}
    )


def verify_projects(folders: Sequence[Path]) -> ProjectReport:
    """Run every project folder's tests, `mypy` (its strict configuration) and ruff in it, in parallel, with this
    environment's interpreter (it holds every requirement the generators write). Problems are in the report."""
    report = ProjectReport(list(folders))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    def run(job: tuple[Path, tuple[str, ...]]) -> tuple[Path, tuple[str, ...], subprocess.CompletedProcess[str] | None]:
        where, check = job
        try:
            done = subprocess.run(
                [sys.executable, "-m", *check], cwd=where, env=env, capture_output=True, text=True, check=False,
                timeout=_LIMIT,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return where, check, None
        return where, check, done

    jobs = [(f, c) for f in folders for c in _PROJECT_CHECKS]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for where, check, done in pool.map(run, jobs):
            name = f"{where.name}: {' '.join(check[:2])}"
            if done is None:
                report.problems.append(f"{name}: gave up after {_LIMIT} s")
            elif done.returncode != 0:
                report.problems.append(f"{name} failed:\n{(done.stdout + done.stderr).strip()[-4000:]}")
            else:
                report.passed.append(name)
    return report


def verify_written(folder: Path, files: Sequence[str]) -> ProjectReport | VerifyReport:
    """What `--verify` (and an MCP call's `verify: true`) runs on a result written to `folder`: each project folder
    (a service) checked as its README says, its own tests, mypy and ruff in it; else mypy --strict and an import of
    the result's files."""
    folders = project_folders(folder, files)
    return verify_projects(folders) if folders else verify_files(folder, files)
