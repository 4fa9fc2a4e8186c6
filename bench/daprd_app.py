"""`python -m bench.daprd_app KIND FOLDER TOPIC PORT`: one app under test behind a real daprd (bench/daprd.py).

* generated: the generated endpoint package (bench/endpoint/apps.py `spec`, idempotency on, rendered with TOPIC
  into FOLDER), built by its own `create_app()` with the lifespan on, so it opens its `DaprClient` against the
  daprd named by DAPR_HTTP_PORT and keeps its processed-event records in that daprd's `statestore` (Redis): every
  delivery validates the CloudEvent[Order] and claims its id in the store, as in production.
* generated-memory: the same app with `MemoryProcessedEvents()` (records in the process, for one replica): the
  route's own cost without the state store's round trips, to tell the two apart.
* dapr-ext-fastapi: `DaprApp(app).subscribe(...)` on the same Pydantic CloudEvent model as the endpoint bench.

Both run the same handler: the endpoint bench's `handle(total)` and then `record()`, which notes when the event
reached it (CLOCK_MONOTONIC, the same clock in every process of the machine) and the order id it carried.
`GET /bench/seen?count=N&since=K` waits until N events were handled (or `wait` seconds) and answers the
count and the [order id, ns] pairs from the K-th on: the runner's way to see deliveries end, without polling the
app while it is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import importlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bench.endpoint.apps import OrderEvent, dapr_ext_app, handle, package_name
from bench.endpoint.payloads import PUBSUB, ROUTE

KINDS = ("generated", "generated-memory", "dapr-ext-fastapi")


class Seen:
    """What the handler saw, in order: (order id, CLOCK_MONOTONIC ns)."""

    events: ClassVar[list[tuple[str, int]]] = []
    waiters: ClassVar[list[tuple[int, asyncio.Future[None]]]] = []


def record(order_id: str) -> None:
    Seen.events.append((order_id, time.monotonic_ns()))
    if Seen.waiters:
        count = len(Seen.events)
        for n, future in Seen.waiters:
            if count >= n and not future.done():
                future.set_result(None)


async def seen(count: int = 0, since: int = 0, wait: float = 60.0) -> JSONResponse:
    if len(Seen.events) < count:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiter = (count, future)
        Seen.waiters.append(waiter)
        try:
            await asyncio.wait_for(future, wait)
        except TimeoutError:
            pass
        finally:
            Seen.waiters.remove(waiter)
    return JSONResponse({"count": len(Seen.events), "events": Seen.events[since:]})


def _generated(folder: Path, *, memory: bool) -> FastAPI:
    name = package_name("generated")
    sys.path.insert(0, str(folder))
    try:
        main = importlib.import_module(f"{name}.main")
        handlers = importlib.import_module(f"{name}.handlers")
        contract = importlib.import_module(f"{name}.contract")
    finally:
        sys.path.remove(str(folder))

    async def on_order(event: Any, dapr: Any) -> None:
        order = event.payload()
        await handle(order.total)
        record(order.id)

    handlers.on_order = on_order  # type: ignore[attr-defined]  # the router looks it up per call, as it would find the user's edit
    # The lifespan opens the DaprClient (DAPR_HTTP_PORT); the records go to the state store unless `memory`.
    app: FastAPI = main.create_app(processed=contract.MemoryProcessedEvents() if memory else None)
    return app


def _dapr_ext(topic: str) -> FastAPI:
    app, dapr_app = dapr_ext_app()

    @dapr_app.subscribe(pubsub=PUBSUB, topic=topic, route=ROUTE)  # type: ignore[untyped-decorator,unused-ignore]
    async def on_order(event: OrderEvent) -> dict[str, str]:
        await handle(event.data.total)
        record(event.data.id)
        return {"status": "SUCCESS"}

    return app


def build(kind: str, folder: Path, topic: str) -> FastAPI:
    if kind in ("generated", "generated-memory"):
        app = _generated(folder, memory=kind == "generated-memory")
    elif kind == "dapr-ext-fastapi":
        app = _dapr_ext(topic)
    else:
        raise ValueError(f"unknown app {kind!r} (one of {', '.join(KINDS)})")
    app.add_api_route("/bench/seen", seen, methods=["GET"])
    return app


PROFILE_ENV = "BENCH_DAPRD_PROFILE"


class _ProfiledServer(uvicorn.Server):
    """uvicorn re-raises the SIGTERM it caught once it has shut down, which would end the process before the
    profile is written: here SIGTERM only asks the server to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.should_exit = True

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)


def main(argv: list[str]) -> None:
    kind, folder, topic, port = argv
    app = build(kind, Path(folder), topic)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=int(port), access_log=False, log_level="warning", timeout_keep_alive=600
    )
    profile_to = os.environ.get(PROFILE_ENV)
    if not profile_to:
        uvicorn.Server(config).run()
        return
    # `python -m bench.daprd --profile`: the whole life of the app under cProfile, written when uvicorn stops.
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        _ProfiledServer(config).run()
    finally:
        profiler.disable()
        profiler.dump_stats(Path(profile_to) / f"{kind}.prof")


if __name__ == "__main__":
    main(sys.argv[1:])
