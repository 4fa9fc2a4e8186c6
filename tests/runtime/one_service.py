"""One generated service on the real runtime: written to a folder by the engine, run by tests/runtime/launcher.py
(this project's interpreter, as real_system.py runs the todo system's services) beside a lone daprd."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from skill.pipeline import generate
from tests.runtime import processes

LAUNCHER = Path(__file__).parent / "launcher.py"


def write_service(spec: Mapping[str, object], folder: Path) -> Path:
    """Generate the `service` of `spec` into `folder`."""
    for file in generate("service", spec).files:
        path = folder / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.content, encoding="utf-8")
    return folder


@dataclass
class App:
    process: processes.Process
    port: int

    def log(self) -> str:
        return self.process.log.read_text(encoding="utf-8", errors="replace") if self.process.log.exists() else ""


@contextlib.contextmanager
def app(folder: Path, workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[App]:
    """The service of `folder` on a free port, ready when its liveness route answers."""
    port = processes.free_port()
    control = workdir / "control"
    control.mkdir(parents=True, exist_ok=True)
    argv: list[str | Path] = [sys.executable, LAUNCHER, str(port), control]
    process = processes.start(
        f"app {folder.name}", argv, workdir / f"app-{folder.name}.log", cwd=folder,
        env={"PYTHONPATH": str(folder), **(env or {})},
    )  # fmt: skip
    try:
        processes.wait_http(f"http://127.0.0.1:{port}/healthz", process, timeout=60)
        yield App(process, port)
    finally:
        process.stop()
