"""What the pub/sub component does with a message daprd gives back with an error (no dead-letter topic, retries
spent): pubsub.kafka hands it over again per its backOff, the partition waiting; pubsub.redis acknowledges it, or,
when the handling outlasted processingTimeout, claims it again from its pending list (references/dapr-contract.md
§12.4, components-contrib v1.18.4)."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest

from tests.sidecar import ScriptedApp, SeenRequest, answer
from tools.standin import SidecarMesh
from tools.standin.flow import FlowLog
from tools.standin.processes import Console
from tools.standin.resiliency import Redelivery, RetryPolicy, pubsub_component
from tools.standin.run import Pace, Pump

pytestmark = pytest.mark.anyio

SUBSCRIPTION = {"pubsubname": "pubsub", "topic": "orders", "route": "/orders"}  # no deadLetterTopic
RETRY = answer(200, {"status": "RETRY"})
SUCCESS = answer(200, {"status": "SUCCESS"})
Answer = tuple[int, dict[str, str], bytes]


async def _run(pace: Pace, app: ScriptedApp, keys: list[str], *, within: float = 20) -> tuple[Pump, str]:
    """Publish one message per partition key to an app with `pace` (one immediate try per handling), deliver until
    the flow settles; answers the pump and its console."""
    mesh = SidecarMesh(state_stores=(), pubsubs=("pubsub",), max_delivery_attempts=1)
    out = io.StringIO()
    pump = Pump(mesh, FlowLog(), Console(["orders"], out), {"orders": pace})
    double = mesh.add("orders", app.on("GET", "/dapr/subscribe", answer(200, [SUBSCRIPTION])))
    async with double.client() as sidecar:
        for n, key in enumerate(keys):
            await sidecar.post(f"/v1.0/publish/pubsub/orders?metadata.partitionKey={key}", json={"n": n})
    await double.load_subscriptions()
    pump.ready.append("orders")
    stop = asyncio.Event()
    pumping = asyncio.create_task(pump.run(stop))
    try:
        await pump.settle(within=within, quiet=0.3)
    finally:
        stop.set()
        await pumping
    return pump, out.getvalue()


def _numbers(app: ScriptedApp) -> list[int]:
    return [int(r.json()["data"]["n"]) for r in app.requests_to("/orders")]


async def test_kafka_hands_a_returned_message_over_again_and_its_partition_waits() -> None:
    app = ScriptedApp().on("POST", "/orders", RETRY, RETRY, SUCCESS)
    kafka = Pace(concurrency=1, per_key=True, broker="pubsub.kafka",
                 redelivery=Redelivery(backoff=RetryPolicy(duration=0.05)))  # fmt: skip
    pump, console = await _run(kafka, app, ["a", "a"])
    assert _numbers(app) == [0, 0, 0, 1]  # message 1 waited behind message 0's redeliveries
    deliveries = [e for e in pump.flow.since(0) if e["kind"] == "delivery"]
    assert [(e["redelivery"], e["outcome"]) for e in deliveries] == [
        (0, "retry_exhausted"), (1, "retry_exhausted"), (2, "delivered"), (0, "delivered"),
    ]  # fmt: skip
    again = "; pubsub.kafka hands it over again in 0.05s (consumeRetryEnabled, backOff)"
    assert "orders -> orders /orders: RETRY x1, given up (HTTP 200)" + again in console
    assert "orders -> orders /orders (redelivery 2): SUCCESS (HTTP 200)" in console


async def test_kafka_leaves_a_message_unmarked_once_its_backoff_retries_are_spent() -> None:
    app = ScriptedApp().on("POST", "/orders", answer(500))
    kafka = Pace(concurrency=1, per_key=True, broker="pubsub.kafka",
                 redelivery=Redelivery(backoff=RetryPolicy(duration=0.01, max_retries=2)))  # fmt: skip
    _, console = await _run(kafka, app, ["a", "a"])
    assert _numbers(app) == [0, 0, 0, 1, 1, 1]
    assert "pubsub.kafka gave up its retries: left unmarked, the next message follows" in console


async def test_redis_acknowledges_an_error_that_comes_back_within_processing_timeout() -> None:
    app = ScriptedApp().on("POST", "/orders", RETRY, SUCCESS)
    redis = Pace(broker="pubsub.redis", redelivery=Redelivery(processing_timeout=5, redeliver_interval=0.05))
    pump, console = await _run(redis, app, ["a"])
    assert _numbers(app) == [0]  # given up: never handed over again
    assert not pump.reclaims
    assert "pubsub.redis acknowledged it (the error came back within processingTimeout)" in console


def _slow_first(first: Answer, then: Answer, seconds: float = 0.6) -> ScriptedApp:
    """An app whose first delivery takes `seconds` (longer than processingTimeout below) and answers `first`; the
    others answer `then` at once."""
    calls = 0

    async def handle(_: SeenRequest) -> Answer:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(seconds)
            return first
        return then

    return ScriptedApp().handle("POST", "/orders", handle)


REDIS_QUICK = Pace(broker="pubsub.redis", redelivery=Redelivery(processing_timeout=0.2, redeliver_interval=0.1))


async def test_redis_claims_a_message_again_when_its_handling_outlasts_processing_timeout() -> None:
    pump, console = await _run(REDIS_QUICK, _slow_first(RETRY, SUCCESS), ["a"])
    deliveries = [e for e in pump.flow.since(0) if e["kind"] == "delivery"]
    # Claimed at the 0.2 s tick while the first handling still ran (as daprd did, contract §18.11): the copy is
    # handled and acknowledged first; the first handling's RETRY then finds it already claimed.
    assert [(e["redelivery"], e["outcome"]) for e in deliveries] == [(1, "delivered"), (0, "retry_exhausted")]
    assert "orders -> orders /orders (redelivery 1): SUCCESS (HTTP 200)" in console
    assert "pubsub.redis had claimed it again while it was handled (idle for processingTimeout)" in console
    assert not pump.reclaims


async def test_redis_hands_a_slow_handling_over_again_even_when_it_succeeds() -> None:
    pump, _ = await _run(REDIS_QUICK, _slow_first(SUCCESS, SUCCESS), ["a"])
    deliveries = [e for e in pump.flow.since(0) if e["kind"] == "delivery"]
    assert [(e["redelivery"], e["outcome"]) for e in deliveries] == [(1, "delivered"), (0, "delivered")]


async def test_redis_reclaims_an_error_returned_after_processing_timeout() -> None:
    """The first handling fails after processingTimeout, before the reclaim tick that follows it: pending, then
    claimed again at that tick."""
    redis = Pace(broker="pubsub.redis", redelivery=Redelivery(processing_timeout=0.2, redeliver_interval=1.0))
    pump, console = await _run(redis, _slow_first(RETRY, SUCCESS, seconds=0.3), ["a"])
    deliveries = [e for e in pump.flow.since(0) if e["kind"] == "delivery"]
    assert [(e["redelivery"], e["outcome"]) for e in deliveries] == [(0, "retry_exhausted"), (1, "delivered")]
    assert re.search(r"pubsub.redis left it pending \(handled for 0\.\ds\): claimed again in 0\.\ds", console)


async def test_an_app_stopped_while_a_message_is_handled_twice_gets_it_queued_once() -> None:
    """Claimed again while its first handling still runs, a message is in flight twice when the app stops: it is
    queued again once, with no pending entry and no redelivery number left behind."""

    async def hang(_: SeenRequest) -> Answer:
        await asyncio.sleep(30)
        return SUCCESS

    mesh = SidecarMesh(state_stores=(), pubsubs=("pubsub",), max_delivery_attempts=1)
    pump = Pump(mesh, FlowLog(), Console(["orders"], io.StringIO()), {"orders": REDIS_QUICK})
    app = ScriptedApp().handle("POST", "/orders", hang)
    double = mesh.add("orders", app.on("GET", "/dapr/subscribe", answer(200, [SUBSCRIPTION])))
    async with double.client() as sidecar:
        await sidecar.post("/v1.0/publish/pubsub/orders", json={"n": 0})
    await double.load_subscriptions()
    pump.ready.append("orders")
    pump.up_at["orders"] = asyncio.get_running_loop().time()
    for _ in range(50):
        await pump.step()
        if len(app.requests_to("/orders")) >= 2:
            break
        await asyncio.sleep(0.05)
    assert len(app.requests_to("/orders")) == 2, "not claimed again while the first handling ran"
    await pump.halt("orders")
    assert [m.json()["data"] for m in double.broker.queues[("pubsub", "orders")]] == [{"n": 0}]
    assert pump.reclaims == []
    assert pump.redelivered == {}


async def test_a_component_without_redelivery_gives_the_message_up() -> None:
    app = ScriptedApp().on("POST", "/orders", RETRY, SUCCESS)
    _, console = await _run(Pace(), app, ["a"])
    assert _numbers(app) == [0]
    assert "orders -> orders /orders: RETRY x1, given up (HTTP 200)\n" in console


def _component(folder: Path, kind: str, items: dict[str, str]) -> Path:
    metadata = "".join(f'    - name: {k}\n      value: "{v}"\n' for k, v in items.items())
    text = f"apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\nspec:\n  type: {kind}\n"
    (folder / "pubsub.yaml").write_text(text + "  version: v1\n  metadata:\n" + metadata, encoding="utf-8")
    return folder


def _redelivery(folder: Path, kind: str, items: dict[str, str]) -> Redelivery | None:
    found = pubsub_component(_component(folder, kind, items), "pubsub")
    return None if found is None else found.redelivery


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({}, Redelivery(processing_timeout=60, redeliver_interval=15)),
        # A bare number is milliseconds; redeliverInterval is read only in that form (mapstructure "-").
        ({"processingTimeout": "1500", "redeliverInterval": "250"}, Redelivery(1.5, 0.25)),
        ({"processingTimeout": "2m", "redeliverInterval": "5s"}, Redelivery(120, 15)),
        ({"processingTimeout": "0"}, Redelivery(0, 15)),
    ],
)
def test_redis_redelivery_settings_are_read_as_components_contrib_reads_them(
    tmp_path: Path, items: dict[str, str], expected: Redelivery
) -> None:
    assert _redelivery(tmp_path, "pubsub.redis", items) == expected


def test_kafka_retries_for_ever_every_5s_unless_its_component_says_otherwise(tmp_path: Path) -> None:
    endless = Redelivery(backoff=RetryPolicy(duration=5.0, max_retries=-1))
    assert _redelivery(tmp_path, "pubsub.kafka", {}) == endless
    items = {"backOffPolicy": "exponential", "backOffInitialInterval": "1s", "backOffMaxRetries": "3"}
    bounded = RetryPolicy(policy="exponential", initial_interval=1.0, max_retries=3)
    assert _redelivery(tmp_path, "pubsub.kafka", items) == Redelivery(backoff=bounded)
    assert _redelivery(tmp_path, "pubsub.kafka", {"consumeRetryEnabled": "false"}) == Redelivery()
    # dapr/kit: a bare number is milliseconds; the prefix is case-sensitive (`backoff...` is no setting of it)
    items = {"backOffDuration": "250", "backoffMaxRetries": "1"}
    assert _redelivery(tmp_path, "pubsub.kafka", items) == Redelivery(backoff=RetryPolicy(duration=0.25))
    with pytest.raises(ValueError, match="duration: '5 s' is neither"):
        _redelivery(tmp_path, "pubsub.kafka", {"backOffDuration": "5 s"})
