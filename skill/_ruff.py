"""The one seam to the ruff binary: find it, run it on stdin, report its version.

ruff runs with `--isolated` and our settings passed inline, so a user's or this repo's configuration never
changes what generated code is held to.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skill.errors import ToolchainError
from skill.quality import RUFF_IGNORES, RUFF_RULES, RUFF_TEST_IGNORES
from skill.style import DEFAULT_STYLE, Style

__all__ = ["Batch", "RuffJob", "Running", "find_ruff", "ruff_argv", "ruff_version", "run_parallel", "settings_args"]

_TIMEOUT_SECONDS = 60.0  # per ruff process; one file takes milliseconds


@functools.cache
def find_ruff() -> str:
    """ruff next to the running interpreter first (the venv we were installed into), then PATH."""
    exe = "ruff.exe" if os.name == "nt" else "ruff"
    beside = Path(sys.executable).parent / exe
    if beside.is_file():
        return str(beside)
    on_path = shutil.which("ruff")
    if on_path:
        return on_path
    raise ToolchainError("ruff was not found next to the interpreter or on PATH; install the 'ruff' package")


@functools.cache
def ruff_version() -> str:
    try:
        out = subprocess.run(
            [find_ruff(), "--version"], capture_output=True, text=True, check=False, timeout=_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainError(f"`ruff --version` could not run: {exc}") from exc
    if out.returncode != 0:
        raise ToolchainError(f"`ruff --version` failed: {out.stderr.strip()}")
    return out.stdout.strip()


def settings_args(style: Style = DEFAULT_STYLE, known_first_party: Sequence[str] = ()) -> list[str]:
    """`--isolated` plus our settings inline: the layout of `style`, and our rule set whoever runs ruff on it."""
    ignores = json.dumps(list(RUFF_TEST_IGNORES))
    per_file = f'{{"test_*.py" = {ignores}, "**/tests/*.py" = {ignores}}}'  # a TOML inline table
    pairs = [
        f"line-length={style.line_length}",
        f"indent-width={style.indent_width}",
        f'format.quote-style="{style.quote_style}"',
        f'target-version="{style.target_version}"',
        # `ignore` before `select`: ruff 0.15 drops an ignore that follows a select among --config overrides.
        f"lint.ignore={json.dumps(list(RUFF_IGNORES))}",
        f"lint.select={json.dumps(list(RUFF_RULES))}",
        f"lint.per-file-ignores={per_file}",
        f"lint.isort.known-first-party={json.dumps(list(known_first_party))}",
    ]
    args = ["--isolated", "--no-cache"]
    for pair in pairs:
        args += ["--config", pair]
    return args


@dataclass(frozen=True)
class RuffJob:
    """One ruff command over one file's text: 'format' returns the new text, 'check' JSON findings."""

    mode: Literal["format", "check"]
    path: str
    text: str
    style: Style = DEFAULT_STYLE
    known_first_party: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        stdin = ["--stdin-filename", self.path]
        extra = ["-"] if self.mode == "format" else ["--output-format", "json", "-"]
        return ruff_argv(self.mode, *stdin, *extra, style=self.style, known_first_party=self.known_first_party)


def ruff_argv(
    subcommand: str, *args: str, style: Style = DEFAULT_STYLE, known_first_party: Sequence[str] = ()
) -> list[str]:
    """A full ruff command line: `ruff <subcommand> <our settings> <args>`."""
    return [find_ruff(), subcommand, *settings_args(style, known_first_party), *args]


class Running:
    """Ruff processes that already hold their input: the caller may do other work before `result()`."""

    def __init__(self, jobs: Sequence[RuffJob]) -> None:
        self._jobs = tuple(jobs)
        self._procs: list[subprocess.Popen[str]] = []
        try:
            for job in self._jobs:
                self._procs.append(
                    subprocess.Popen(
                        job.argv(),
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        encoding="utf-8",
                    )
                )
        except OSError as exc:
            self._kill()  # those already started would wait for input for ever
            raise ToolchainError(f"could not start ruff: {exc}") from exc
        # Hand each process all of its input now (ruff reads stdin to the end before it writes anything), so
        # they work while this thread does something else; the exit code tells if one died early.
        for job, proc in zip(self._jobs, self._procs, strict=True):
            stdin, proc.stdin = proc.stdin, None  # communicate() must not touch the closed pipe later
            assert stdin is not None
            with contextlib.suppress(BrokenPipeError):
                stdin.write(job.text)
            with contextlib.suppress(BrokenPipeError):
                stdin.close()

    def result(self) -> list[str]:
        """stdout of each job, in order. A format job must exit 0; a check job 0 or 1 (findings: the caller
        judges them); anything else is a toolchain failure."""
        # Collect every process before judging any, so none is left running when one has failed.
        try:
            finished = [
                (job, proc, *proc.communicate(timeout=_TIMEOUT_SECONDS))
                for job, proc in zip(self._jobs, self._procs, strict=True)
            ]
        except subprocess.TimeoutExpired as exc:
            self._kill()
            raise ToolchainError(f"ruff did not finish within {_TIMEOUT_SECONDS:g} s") from exc
        outputs: list[str] = []
        for job, proc, stdout, stderr in finished:
            allowed = (0,) if job.mode == "format" else (0, 1)
            if proc.returncode not in allowed:
                raise ToolchainError(f"ruff {job.mode} failed on {job.path} (exit {proc.returncode}): {stderr.strip()}")
            outputs.append(stdout)
        return outputs

    def _kill(self) -> None:
        for proc in self._procs:
            proc.kill()
            proc.communicate()  # reap it and close its pipes


def run_parallel(jobs: Sequence[RuffJob]) -> list[str]:
    """Run the jobs as concurrent processes and return stdout of each, in order (see `Running.result`)."""
    return Running(jobs).result()


class Batch:
    """One `ruff format` or `ruff check` over many files at once, in a folder of their own: for a result of many
    files, two processes instead of two per file (starting ruff is most of what one small file costs).

    The files keep their relative paths, so per-file settings (test modules) apply as they do to stdin jobs, and
    `src = []` keeps ruff from taking a folder of the result (a service named like a library) for first-party
    code: only `known_first_party` is, as with stdin."""

    def __init__(self, files: Sequence[tuple[str, str]], style: Style, known_first_party: Sequence[str]) -> None:
        self._paths = [path for path, _ in files]
        self._style = style
        self._first_party = tuple(known_first_party)
        self._dir = tempfile.TemporaryDirectory(prefix="dapr-coder-ruff-")
        self.root = Path(self._dir.name)
        for path, text in files:
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def _run(self, mode: str, *extra: str) -> subprocess.CompletedProcess[str]:
        only_known = ("--config", "src = []")  # no folder of the result is first party by being there
        argv = ruff_argv(mode, *only_known, *extra, "--", *self._paths, style=self._style,
                         known_first_party=self._first_party)  # fmt: skip
        try:
            return subprocess.run(
                argv,
                cwd=self.root, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise ToolchainError(f"ruff {mode} did not finish within {_TIMEOUT_SECONDS:g} s") from exc

    def format(self) -> list[str]:
        """Each file's formatted text, in order."""
        done = self._run("format")
        if done.returncode != 0:
            raise ToolchainError(f"ruff format failed (exit {done.returncode}): {done.stderr.strip()}")
        return [(self.root / path).read_text(encoding="utf-8") for path in self._paths]

    def check(self) -> list[str]:
        """Each file's findings as the JSON array a stdin `check` job prints, in order."""
        done = self._run("check", "--output-format", "json")
        if done.returncode not in (0, 1):
            raise ToolchainError(f"ruff check failed (exit {done.returncode}): {done.stderr.strip()}")
        found: dict[str, list[object]] = {path: [] for path in self._paths}
        for item in json.loads(done.stdout or "[]"):
            found[Path(item["filename"]).resolve().relative_to(self.root.resolve()).as_posix()].append(item)
        return [json.dumps(found[path]) for path in self._paths]

    def close(self) -> None:
        self._dir.cleanup()
