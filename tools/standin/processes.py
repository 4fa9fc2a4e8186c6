"""The app processes of `dapr-coder run`: started in their own process groups, their output labelled line by line,
and stopped together (SIGTERM to each group, SIGKILL after a grace period) so nothing outlives the run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

__all__ = ["AppProcess", "Console", "start_app", "stop_all"]

_COLOURS = (36, 35, 33, 32, 34, 31)


class Console:
    """Interleaved output, each line labelled with its source (colours on a terminal only)."""

    def __init__(self, labels: Sequence[str], out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.width = max(len(label) for label in [*labels, "dapr-standin"])
        colour = self.out.isatty() and "NO_COLOR" not in os.environ
        self._colours = {label: _COLOURS[i % len(_COLOURS)] for i, label in enumerate(labels)} if colour else {}

    def line(self, label: str, text: str) -> None:
        tag = f"{label:<{self.width}} |"
        code = self._colours.get(label)
        if code is not None:
            tag = f"\x1b[{code}m{tag}\x1b[0m"
        self.out.write(f"{tag} {text.rstrip()}\n")
        self.out.flush()

    def standin(self, text: str) -> None:
        self.line("dapr-standin", text)


@dataclass
class AppProcess:
    app_id: str
    process: asyncio.subprocess.Process
    reader: asyncio.Task[None] | None = field(default=None)

    @property
    def running(self) -> bool:
        return self.process.returncode is None


async def _pump(app_id: str, stream: asyncio.StreamReader, console: Console) -> None:
    while line := await stream.readline():
        console.line(app_id, line.decode("utf-8", "replace"))


async def start_app(
    app_id: str, command: Sequence[str], folder: Path, env: Mapping[str, str], console: Console
) -> AppProcess:
    """Start one app in `folder`, in a new session (its own process group: a terminal's Ctrl-C reaches the runner,
    which stops the group, uv and the Python it started included)."""
    process = await asyncio.create_subprocess_exec(
        *command, cwd=folder, env=dict(env), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    running = AppProcess(app_id, process)
    running.reader = asyncio.create_task(_pump(app_id, process.stdout, console))
    return running


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


async def stop_all(apps: Sequence[AppProcess], *, grace: float = 8.0) -> None:
    """SIGTERM every app's process group, wait up to `grace` seconds, then SIGKILL what is left of each group."""
    for app in apps:
        _signal_group(app.process, signal.SIGTERM)
    waits = [asyncio.create_task(app.process.wait()) for app in apps]
    if waits:
        await asyncio.wait(waits, timeout=grace)
    for app in apps:
        # The group may hold children of the app (uv's Python) even after the app itself exited.
        _signal_group(app.process, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            await asyncio.wait_for(app.process.wait(), timeout=5)
        if app.reader is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(app.reader, timeout=2)
