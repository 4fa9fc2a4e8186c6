"""The same four apps called in-process as ASGI apps: no server, no sockets, one delivery at a time.

What is left is the framework and the router per delivery (routing, dependencies, body validation, idempotency,
the answer), which is the part the generated code controls. It is steadier than the served rates on a shared
machine because it has no second process to be scheduled against.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from bench.endpoint.apps import KINDS, build
from bench.endpoint.payloads import HEADERS, ROUTE, delivery, is_success

_HEADERS = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
Message = MutableMapping[str, Any]


@dataclass(frozen=True)
class InProcess:
    kind: str
    us: float  # median over rounds of microseconds per delivery
    spread: float  # (max - min) / median


async def _deliver(app: FastAPI) -> None:
    body = delivery()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": ROUTE,
        "raw_path": ROUTE.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    answer = b"".join(m.get("body", b"") for m in sent[1:])
    if not is_success(status, answer):
        raise RuntimeError(f"in-process delivery: HTTP {status} {answer[:120]!r}")


async def _batch(app: FastAPI, calls: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(calls):
        await _deliver(app)
    return (time.perf_counter() - start) / calls * 1e6


async def _measure(folder: Path, calls: int, rounds: int) -> list[InProcess]:
    apps = {kind: build(kind, folder) for kind in KINDS}
    for app in apps.values():
        await _batch(app, calls // 4)  # warm-up: first-call caches (routing, pydantic, dependency plans)
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(rounds):  # interleaved, like the served measurement
        for kind, app in apps.items():
            samples[kind].append(await _batch(app, calls))
    out = []
    for kind, values in samples.items():
        med = statistics.median(values)
        out.append(InProcess(kind, med, (max(values) - min(values)) / med))
    return out


def measure(folder: Path, calls: int, rounds: int) -> list[InProcess]:
    """Apps built from the generated packages under `folder` (imported into this process)."""
    return asyncio.run(_measure(folder, calls, rounds))
