"""`dapr-coder run` as a user runs it: a generated project on disk, the command in a subprocess of its own session,
its output in a file the tests read while it runs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tools.cli import main as cli

PROJECTS = ("todo-system", "orders-pipeline", "kubernetes-only")


def generate_project(name: str, folder: Path) -> Path:
    """`dapr-coder new` into `folder` (a preset, or one of the project generator's examples)."""
    from skill.generators.project import GENERATOR

    if name == "todo-system":
        args = ["new", "todo-system", str(folder)]
    else:
        spec = folder.parent / f"{name}.json"
        spec.write_text(json.dumps(GENERATOR.examples[name]), encoding="utf-8")
        args = ["new", "--spec", str(spec), str(folder)]
    assert cli(args) == 0
    return folder


class Run:
    """One `dapr-coder run` process; `log()` is everything it printed so far."""

    def __init__(self, folder: Path, *extra: str, log: Path) -> None:
        self.folder = folder
        self.log_path = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tools.cli", "run", str(folder), "--python", "current", *extra],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if log.count(text) >= count:
                return log
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} x{count} not printed (exit {self.process.poll()}):\n{self.log()[-6000:]}")

    def wait(self, timeout: float = 120) -> int:
        return self.process.wait(timeout=timeout)

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the run process only (its apps are in sessions of their own)."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=40)

    def kill(self) -> None:
        """After a failed test: Ctrl-C first (the run stops its apps, which live in sessions of their own and would
        outlive a SIGKILL of the run, holding the specs' ports for every later test), then SIGKILL what is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for line in survivors(self.folder):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)


def survivors(folder: Path) -> list[str]:
    """Processes still running in `folder` (the apps' working directories are inside it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd == str(folder) or cwd.startswith(f"{folder}/"):
            found.append(f"{proc.name}: {cmdline}")
    return found


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def start_run(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    runs: list[Run] = []

    def start(folder: Path, *extra: str) -> Run:
        run = Run(folder, *extra, log=tmp_path / f"run-{len(runs)}.log")
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.kill()
