"""The four apps under test, each serving `POST /orders` with the same business handler.

* generated / generated-noidem: the generated endpoint package (`skill.generate("endpoint", ...)`), imported from
  the folder the runner wrote it to; `handlers.on_order` is replaced by the shared handler, the way a user edits it.
* dapr-ext-fastapi: `DaprApp(app).subscribe(...)` with a Pydantic model of the CloudEvent as the body parameter
  (how its docs type a delivery) returning {"status": "SUCCESS"}.
* floor: a bare FastAPI route that reads the body, `json.loads` it and answers; no validation at all.
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from pydantic import BaseModel

from bench.endpoint.payloads import PUBSUB, ROUTE, TOPIC

KINDS = ("generated", "generated-noidem", "dapr-ext-fastapi", "floor")
_SUCCESS = b'{"status":"SUCCESS"}'


class Handled:
    """What the shared handler keeps per process: every app does this same work per event."""

    count = 0
    total = 0.0


async def handle(total: float) -> None:
    """The business logic every app runs per event (kept trivial: the frameworks are what is measured)."""
    Handled.count += 1
    Handled.total += total


def package_name(kind: str) -> str:
    return "bench_orders_idem" if kind == "generated" else "bench_orders"


def spec(kind: str) -> dict[str, Any]:
    """The endpoint spec of a generated contender: one subscription, nothing else, validation always on."""
    return {
        "package": package_name(kind),
        "models": {
            "models": [
                {
                    "name": "Order",
                    "fields": [
                        {"name": "id", "type": "str"},
                        {"name": "customer", "type": "str"},
                        {"name": "total", "type": "float"},
                        {"name": "items", "type": "list[str]"},
                    ],
                }
            ]
        },
        "subscriptions": [
            {
                "pubsub": PUBSUB,
                "topic": TOPIC,
                "model": "Order",
                "route": ROUTE,
                "handler": "on_order",
                "idempotent": kind == "generated",
            }
        ],
        "jobs": [],
        "bindings": [],
        "invocations": [],
        "crud": [],
        "app_token": False,
    }


def _generated(kind: str, folder: Path) -> FastAPI:
    name = package_name(kind)
    sys.path.insert(0, str(folder))
    try:
        main = importlib.import_module(f"{name}.main")
        handlers = importlib.import_module(f"{name}.handlers")
        contract = importlib.import_module(f"{name}.contract")
    finally:
        sys.path.remove(str(folder))

    async def on_order(event: Any, dapr: Any) -> None:
        await handle(event.payload().total)

    handlers.on_order = on_order  # type: ignore[attr-defined]  # the router looks it up per call, as it would find the user's edit
    if kind == "generated":
        # One replica: the in-memory records (the state-store ones would measure the sidecar, not the router).
        app: FastAPI = main.create_app(dapr=None, processed=contract.MemoryProcessedEvents())
    else:
        app = main.create_app(dapr=None)
    return app


class Order(BaseModel):
    id: str
    customer: str
    total: float
    items: list[str]


class OrderEvent(BaseModel):
    """The CloudEvent a dapr-ext-fastapi user declares: the envelope fields Dapr sends, typed data."""

    id: str
    source: str
    type: str
    specversion: str
    datacontenttype: str | None = None
    time: str | None = None
    topic: str | None = None
    pubsubname: str | None = None
    traceid: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    data: Order


def dapr_ext_app() -> tuple[FastAPI, Any]:
    """A FastAPI app and dapr-ext-fastapi's DaprApp around it (the peer of every subscription bench)."""
    # Imported by name: the bench group installs it, and mypy runs without that group too.
    with warnings.catch_warnings():  # dapr >= 1.19 warns that the extension now ships inside the core wheel
        warnings.simplefilter("ignore")
        extension: Any = importlib.import_module("dapr.ext.fastapi")
    app = FastAPI()
    return app, extension.DaprApp(app)


def _dapr_ext() -> FastAPI:
    app, dapr_app = dapr_ext_app()

    @dapr_app.subscribe(pubsub=PUBSUB, topic=TOPIC, route=ROUTE)  # type: ignore[untyped-decorator,unused-ignore]
    async def on_order(event: OrderEvent) -> dict[str, str]:
        await handle(event.data.total)
        return {"status": "SUCCESS"}

    return app


def _floor() -> FastAPI:
    app = FastAPI()

    @app.post(ROUTE)
    async def on_order(request: Request) -> Response:
        event = json.loads(await request.body())
        await handle(event["data"]["total"])
        return Response(_SUCCESS, media_type="application/json")

    return app


def build(kind: str, folder: Path) -> FastAPI:
    if kind in ("generated", "generated-noidem"):
        return _generated(kind, folder)
    if kind == "dapr-ext-fastapi":
        return _dapr_ext()
    if kind == "floor":
        return _floor()
    raise ValueError(f"unknown app {kind!r} (one of {', '.join(KINDS)})")
