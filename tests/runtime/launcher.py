"""Runs one generated service for the runtime tests, in place of its `uv run uvicorn app.main:app`:

    python tests/runtime/launcher.py PORT CONTROL_DIR [APP_ID]      (cwd and PYTHONPATH: the service's folder)

It uses this project's interpreter (it has every dependency the services declare), so that starting a system
costs no `uv` resolution per service and no network. In the notification service it wraps the notifier so that
a test can make its next sends fail: each file `CONTROL_DIR/fail-notifier-<task id>-<n>` makes one send of
that task's reminder raise, and is renamed `failed-notifier-...` by it; each send that goes through adds a line to
`CONTROL_DIR/sent.log`. With APP_ID, each call of a handler (a coroutine function of app.handlers) that returned
adds `APP_ID <function> <its first argument, on one line>` to `CONTROL_DIR/calls.log`, and while a file
`CONTROL_DIR/slow-reads-<APP_ID>` exists each state read of the app's client (DaprClient.get_state_item) answers
that many seconds late (its text), so that concurrent read-modify-writes surely overlap. It is run as a script, not as
`-m tests.runtime.launcher`: each service has a `tests` package of its own.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import sys
from collections.abc import Awaitable, Callable
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


def _recorded(name: str, handler: Callable[..., Awaitable[Any]], calls: Path) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(handler)
    async def call(*args: Any, **kwargs: Any) -> Any:
        result = await handler(*args, **kwargs)
        first = " ".join(str(args[0]).split())[:500] if args else ""
        with calls.open("a", encoding="utf-8") as out:
            out.write(f"{name} {first}\n")
        return result

    return call


def _delay(flag: Path) -> float:
    return float(flag.read_text(encoding="utf-8")) if flag.exists() else 0.0


def _slow_reads_on_demand(client: type, flag: Path) -> None:
    read = client.get_state_item  # type: ignore[attr-defined]

    @functools.wraps(read)
    async def get_state_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = await read(self, *args, **kwargs)
        if delay := _delay(flag):
            await asyncio.sleep(delay)
        return item

    client.get_state_item = get_state_item  # type: ignore[attr-defined]


def main() -> None:
    port, control = sys.argv[1], Path(sys.argv[2])
    handlers = importlib.import_module("app.handlers")
    if len(sys.argv) > 3:  # before app.main imports the routers, so that they call the recording wrappers
        for name, function in inspect.getmembers(handlers, inspect.iscoroutinefunction):
            if function.__module__ == handlers.__name__ and not name.startswith("_"):
                setattr(handlers, name, _recorded(f"{sys.argv[3]} {name}", function, control / "calls.log"))
        client = getattr(importlib.import_module("app.dapr_client"), "DaprClient", None)
        if client is not None and hasattr(client, "get_state_item"):
            _slow_reads_on_demand(client, control / f"slow-reads-{sys.argv[3]}")
    if hasattr(handlers, "notifier"):
        setattr(handlers, "notifier", _FailingOnDemand(handlers.notifier, control))  # noqa: B010 - a module
    uvicorn.run("app.main:app", host="127.0.0.1", port=int(port), log_level="info")


if __name__ == "__main__":
    main()
