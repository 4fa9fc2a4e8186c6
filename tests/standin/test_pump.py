"""The pump of `dapr-coder run` in-process: what it delivers and prints, and that one failure does not stop it."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from tests.sidecar import ScriptedApp, answer
from tools.standin import SidecarMesh
from tools.standin.flow import FlowLog
from tools.standin.processes import Console
from tools.standin.run import Pump

pytestmark = pytest.mark.anyio


def _pump() -> tuple[Pump, io.StringIO]:
    mesh = SidecarMesh(state_stores=("statestore",), pubsubs=("pubsub",), dead_letter_on_retry_exhausted=True)
    out = io.StringIO()
    return Pump(mesh, FlowLog(), Console(["orders"], out)), out


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
