"""The pump of `dapr-coder run` in-process: what it delivers and prints, and that one failure does not stop it."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest

from tests.sidecar import ScriptedApp, answer
from tools.standin import SidecarMesh
from tools.standin.flow import FlowLog
from tools.standin.processes import Console
from tools.standin.run import Pace, Pump

pytestmark = pytest.mark.anyio


def _pump(pace: Pace | None = None) -> tuple[Pump, io.StringIO]:
    mesh = SidecarMesh(state_stores=("statestore",), pubsubs=("pubsub",), dead_letter_on_retry_exhausted=True)
    out = io.StringIO()
    return Pump(mesh, FlowLog(), Console(["orders"], out), {"orders": pace} if pace else None), out


class _Held:
    """An app whose event route waits until `release` is set; `seen` lists each event's data as it arrives."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen: list[dict[str, object]] = []

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[..., Awaitable[None]],
    ) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/dapr/subscribe":
            out = json.dumps([{"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}]).encode()
        else:
            self.seen.append(json.loads(body)["data"])
            await self.release.wait()
            out = b"{}"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": out})


async def _held_run(pace: Pace, keys: list[str]) -> tuple[Pump, _Held, list[str]]:
    """Publish one message per key, let the pump start what its pace allows; answers the keys taken at once."""
    pump, _ = _pump(pace)
    app = _Held()
    double = pump.mesh.add("orders", app)
    async with double.client() as sidecar:
        for n, key in enumerate(keys):
            await sidecar.post(f"/v1.0/publish/pubsub/orders?metadata.partitionKey={key}", json={"n": n, "key": key})
    await double.load_subscriptions()
    pump.ready.append("orders")
    started = await pump.step()
    for _ in range(1000):  # the started deliveries reach the app
        if len(app.seen) >= started:
            break
        await asyncio.sleep(0.01)
    await pump.step()  # nothing more while those are held
    first = [str(d["key"]) for d in app.seen]
    app.release.set()
    for _ in range(1000):
        if len(app.seen) >= len(keys):
            break
        await pump.step()
        await asyncio.sleep(0.01)
    await pump.settle(within=30)
    return pump, app, first


async def test_redis_delivers_as_many_at_once_as_its_concurrency() -> None:
    pump, app, first = await _held_run(Pace(concurrency=2), ["a", "b", "c", "d", "e"])
    assert first == ["a", "b"]
    assert sorted(str(d["key"]) for d in app.seen) == ["a", "b", "c", "d", "e"]
    assert pump.backlog() == 0


async def test_kafka_delivers_one_at_a_time_per_partition_key() -> None:
    pump, app, first = await _held_run(Pace(concurrency=1, per_key=True), ["a", "a", "b", "a"])
    assert first == ["a", "b"]
    assert [d["n"] for d in app.seen if d["key"] == "a"] == [0, 1, 3]  # a partition keeps its order
    assert pump.backlog() == 0


async def test_a_message_is_delivered_and_logged_once_the_app_is_ready() -> None:
    pump, out = _pump()
    subscription = {"pubsubname": "pubsub", "topic": "orders", "route": "/orders", "deadLetterTopic": "dlq"}
    app = ScriptedApp().on("GET", "/dapr/subscribe", answer(200, [subscription]))
    app.on("POST", "/orders", answer(200, {"status": "RETRY"}))
    double = pump.mesh.add("orders", app)
    async with double.client() as sidecar:
        await sidecar.post("/v1.0/publish/pubsub/orders", json={"n": 1})
    assert await pump.step() == 0  # not ready: nothing delivered, the message waits
    await double.load_subscriptions()
    pump.ready.append("orders")
    assert await pump.step() == 1
    await pump.settle(within=30)
    text = out.getvalue()
    assert "orders -> orders /orders: RETRY -> dead letter dlq (HTTP 200, 200, 200)" in text
    assert "(dead letter from orders)" in text
    assert [e["kind"] for e in pump.flow.since(0)].count("delivery") == 1


async def test_one_failing_step_does_not_stop_the_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    pump, out = _pump()
    steps = 0

    async def step() -> int:
        nonlocal steps
        steps += 1
        if steps == 1:
            raise ValueError("a bad answer")
        if steps == 3:
            stop.set()
        return 0

    stop = asyncio.Event()
    monkeypatch.setattr(pump, "step", step)
    await asyncio.wait_for(pump.run(stop), 5)
    assert steps == 3
    assert "stand-in error (the flow goes on): ValueError: a bad answer" in out.getvalue()


async def test_an_output_binding_call_is_recorded_and_shown() -> None:
    pump, out = _pump()
    double = pump.mesh.add("orders", ScriptedApp(), bindings=("mail",))
    request = {"operation": "create", "data": "<p>Hi</p>", "metadata": {"emailTo": "a@example.com"}}
    async with double.client() as sidecar:
        assert (await sidecar.post("/v1.0/bindings/mail", json=request)).status_code == 204
        assert (await sidecar.post("/v1.0/bindings/other", json=request)).status_code == 500
    (recorded,) = double.bindings.invocations
    # Re-serialized as Go does (HTML escaped): the component gets a JSON string.
    assert (recorded.name, recorded.operation, json.loads(recorded.data)) == ("mail", "create", "<p>Hi</p>")
    await pump.step()
    events = [e for e in pump.flow.since(0) if e["kind"] == "binding"]
    assert [(e["name"], e["status"]) for e in events] == [("mail", 204), ("other", 500)]
    assert events[0]["metadata"] == {"emailTo": "a@example.com"}
    assert 'orders called binding mail create (emailTo=a@example.com): HTTP 204 "<p>Hi</p>"' in out.getvalue()
