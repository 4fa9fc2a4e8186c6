"""Runs one generated service for the runtime tests, in place of its `uv run uvicorn app.main:app`:

    python tests/runtime/launcher.py PORT CONTROL_DIR      (cwd and PYTHONPATH: the service's folder)

It uses this project's interpreter (it has every dependency the services declare), so that starting a system
costs no `uv` resolution per service and no network. In the notification service it wraps the notifier so that
a test can make its next sends fail: each file `CONTROL_DIR/fail-notifier-<task id>-<n>` makes one send of
that task's reminder raise, and is renamed `failed-notifier-...` by it; each send that goes through adds a line to
`CONTROL_DIR/sent.log`. It is run as a script, not as
`-m tests.runtime.launcher`: each service has a `tests` package of its own.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import uvicorn


class _FailingOnDemand:
    """The service's notifier, failing once per control file."""

    def __init__(self, inner: Any, control: Path) -> None:
        self.inner = inner
        self.control = control

    async def send(self, reminder: Any) -> str:
        for flag in sorted(self.control.glob(f"fail-notifier-{reminder.task_id}-*")):
            flag.rename(flag.with_name("failed" + flag.name.removeprefix("fail")))
            raise RuntimeError(f"notifier failure asked for by the test ({flag.name})")
        result: str = await self.inner.send(reminder)
        # Each send that went through, one line per send: what the scenarios count (not the notifier's log wording).
        with (self.control / "sent.log").open("a", encoding="utf-8") as sent:
            sent.write(f"sent reminder of task {reminder.task_id}\n")
        return result


def main() -> None:
    port, control = sys.argv[1], Path(sys.argv[2])
    handlers = importlib.import_module("app.handlers")
    if hasattr(handlers, "notifier"):
        setattr(handlers, "notifier", _FailingOnDemand(handlers.notifier, control))  # noqa: B010 - a module
    uvicorn.run("app.main:app", host="127.0.0.1", port=int(port), log_level="info")


if __name__ == "__main__":
    main()
