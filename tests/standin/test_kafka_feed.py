"""Kafka input bindings on the stand-in (tools/standin/kafka_feed.py): a shared in-memory log per topic, each
binding its consumer group, fed to the app's route as daprd 1.18.3 with components-contrib bindings/kafka does
(references/dapr-contract.md §12.6)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from skill.specs.service import ServiceSpec
from tests.sidecar import ScriptedApp, answer
from tools.standin import SidecarMesh
from tools.standin.flow import FlowLog
from tools.standin.kafka_feed import KafkaConsumer, KafkaFeed
from tools.standin.processes import Console
from tools.standin.project import AppPlan, RunPlan
from tools.standin.run import Pump, add_apps, connect_kafka

# -- the log and the consumer groups ----------------------------------------------------------------------------


def _take(feed: KafkaFeed, consumer: KafkaConsumer, count: int = 1) -> list[bytes]:
    """The values of the next `count` records `consumer` takes on topic `t` (fewer when the log ends)."""
    out = []
    for _ in range(count):
        record = feed.take(consumer, "t")
        if record is None:
            break
        out.append(record.value)
    return out


def test_a_group_reads_in_order_and_commits_what_is_marked() -> None:
    feed = KafkaFeed()
    for n in range(3):
        feed.log.append("t", f"m{n}".encode(), {"partitionKey": f"k{n}", "trace": "x"})
    consumer = feed.join(KafkaConsumer("a", "b", "/b", "g", ("t",)))
    first = feed.take(consumer, "t")
    assert first is not None
    assert first.value == b"m0"
    assert first.metadata() == {"__key": "k0", "__offset": "0", "__topic": "t", "__timestamp": str(first.timestamp_ms),
                                "__partition": "0", "partitionKey": "k0", "trace": "x"}  # fmt: skip
    feed.mark(consumer, first)
    assert feed.committed == {("g", "t"): 1}
    assert _take(feed, consumer, 3) == [b"m1", b"m2"]
    assert feed.pending() == 0


def test_initial_offset_oldest_reads_what_was_written_before_newest_does_not() -> None:
    feed = KafkaFeed()
    feed.log.append("t", b"early")
    oldest = feed.join(KafkaConsumer("a", "b", "/b", "g1", ("t",), "oldest"))
    newest = feed.join(KafkaConsumer("c", "d", "/d", "g2", ("t",), "newest"))
    assert feed.pending() == 1
    feed.log.append("t", b"late")
    assert _take(feed, oldest, 3) == [b"early", b"late"]
    assert _take(feed, newest, 3) == [b"late"]


def test_a_restarted_group_resumes_at_its_commit_and_members_share_the_partition() -> None:
    feed = KafkaFeed()
    for n in range(3):
        feed.log.append("t", f"m{n}".encode())
    one = feed.join(KafkaConsumer("a", "b", "/b", "g", ("t",)))
    other = feed.join(KafkaConsumer("c", "b", "/b", "g", ("t",)))  # the same group: one partition, one reader
    taken = feed.take(one, "t")
    assert taken is not None
    assert _take(feed, other) == []
    feed.mark(one, taken)
    assert _take(feed, one) == [b"m1"]  # fetched, never marked (the app stops while handling it)
    feed.leave("a")
    assert _take(feed, other) == [b"m1"]  # the partition is handed over at the committed offset


# -- the pump feeding apps --------------------------------------------------------------------------------------


def _service(app_id: str, port: int, route: str = "/payments", **source: Any) -> ServiceSpec:
    return ServiceSpec.model_validate(
        {"app_id": app_id, "port": port,
         "bindings": [{"name": f"{app_id}-in", "route": route,
                       "source": {"kind": "kafka", "topics": ["bank-payments"], **source}}]}
    )  # fmt: skip


def _plan(root: Path, spec: ServiceSpec) -> AppPlan:
    return AppPlan(spec.app_id, root, spec.port, "app.main:app", "/healthz", frozenset(), spec)


async def _settle(pump: Pump) -> None:
    for _ in range(500):
        await pump.step()
        if not pump.backlog():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{pump.backlog()} Kafka records left")


def _writer(tmp_path: Path, pump: Pump) -> None:
    """An app `bank` whose Kafka output binding `bank-out` writes to `bank-payments` (add_apps, as `run` builds it)."""
    spec = ServiceSpec.model_validate(
        {"app_id": "bank", "port": 8710,
         "output_bindings": [{"kind": "kafka", "name": "bank-out", "topic": "bank-payments"}]}
    )  # fmt: skip
    plan = RunPlan(tmp_path, (_plan(tmp_path, spec),), None, "redis", None, None, {}, 1)
    add_apps(pump.mesh, plan, kafka=pump.kafka.log)


async def _write(pump: Pump, *payments: dict[str, Any], key: str = "") -> None:
    async with pump.mesh["bank"].client() as sidecar:
        for p in payments:
            body = {"operation": "create", "data": p, "metadata": {"partitionKey": key} if key else {}}
            reply = await sidecar.post("/v1.0/bindings/bank-out", json=body)
            assert reply.status_code == 204, reply.text


@pytest.mark.anyio
async def test_records_written_before_the_app_was_up_are_posted_in_order(tmp_path: Path) -> None:
    out = io.StringIO()
    pump = Pump(SidecarMesh(), FlowLog(), Console(["payments"], out))
    _writer(tmp_path, pump)
    await _write(pump, {"booking_id": "b1", "amount": 1}, {"booking_id": "b2", "amount": 2}, key="bank-1")
    app = ScriptedApp().on("POST", "/payments", answer(200, {}))
    pump.mesh.add("payments", app)
    pump.up(_plan(tmp_path, _service("payments", 8711)))
    await _settle(pump)
    seen = app.requests_to("/payments")  # no OPTIONS probe: the component says direction: input
    assert [json.loads(r.body) for r in seen] == [{"booking_id": "b1", "amount": 1}, {"booking_id": "b2", "amount": 2}]
    assert [r.method for r in app.seen] == ["POST", "POST"]
    headers = seen[1].headers
    assert (headers["__offset"], headers["__topic"], headers["__key"], headers["partitionkey"]) == (
        "1", "bank-payments", "bank-1", "bank-1")  # fmt: skip
    assert headers["content-type"] == "application/json"
    assert pump.kafka.committed == {("payments", "bank-payments"): 2}
    assert "kafka binding payments-in: bank-payments offset 1 -> payments /payments: HTTP 200" in out.getvalue()
    assert [e["kind"] for e in pump.flow.since(0) if e["kind"] == "kafka_binding"] == ["kafka_binding"] * 2
    await _write(pump, {"booking_id": "b3", "amount": 3})  # written while it is up
    await _settle(pump)
    assert len(app.requests_to("/payments")) == 3


@pytest.mark.anyio
async def test_a_refused_record_is_not_committed_and_read_again_after_a_restart(tmp_path: Path) -> None:
    out = io.StringIO()
    pump = Pump(SidecarMesh(), FlowLog(), Console(["payments"], out))
    _writer(tmp_path, pump)
    await _write(pump, {"n": 0}, {"n": 1})
    app = ScriptedApp().on("POST", "/payments", answer(200, {}), answer(500, {}), answer(200, {}))
    pump.mesh.add("payments", app)
    plan = _plan(tmp_path, _service("payments", 8711))
    pump.up(plan)
    await _settle(pump)
    # bindings.kafka's own retry is off: the 500 is logged, not retried, not committed
    assert [json.loads(r.body)["n"] for r in app.seen] == [0, 1]
    assert pump.kafka.committed == {("payments", "bank-payments"): 1}
    assert "offset 1 -> payments /payments: HTTP 500 (not committed" in out.getvalue()
    pump.down("payments")
    pump.up(plan)  # the group starts again at its committed offset
    await _settle(pump)
    assert [json.loads(r.body)["n"] for r in app.seen] == [0, 1, 1]
    assert pump.kafka.committed == {("payments", "bank-payments"): 2}


@pytest.mark.anyio
async def test_a_later_record_marked_moves_the_commit_past_a_refused_one(tmp_path: Path) -> None:
    pump = Pump(SidecarMesh(), FlowLog(), Console(["payments"], io.StringIO()))
    _writer(tmp_path, pump)
    await _write(pump, {"n": 0}, {"n": 1})
    app = ScriptedApp().on("POST", "/payments", answer(503, {}), answer(200, {}))
    pump.mesh.add("payments", app)
    plan = _plan(tmp_path, _service("payments", 8711))
    pump.up(plan)
    await _settle(pump)
    pump.down("payments")
    pump.up(plan)
    await _settle(pump)
    assert [json.loads(r.body)["n"] for r in app.seen] == [0, 1]  # the refused one is not read again


@pytest.mark.anyio
async def test_the_binding_s_inbound_resiliency_policy_retries_what_is_not_200(tmp_path: Path) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "resiliency.yaml").write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {name: r}\nspec:\n"
        "  policies: {retries: {quick: {policy: constant, duration: 0s, maxRetries: 3}}}\n"
        "  targets: {components: {payments-in: {inbound: {retry: quick}}}}\n",
        encoding="utf-8",
    )
    pump = Pump(SidecarMesh(), FlowLog(), Console(["payments"], io.StringIO()), resources=resources)
    _writer(tmp_path, pump)
    await _write(pump, {"n": 0})
    app = ScriptedApp().on("POST", "/payments", answer(500, {}), answer(500, {}), answer(200, {}))
    pump.mesh.add("payments", app)
    pump.up(_plan(tmp_path, _service("payments", 8711)))
    await _settle(pump)
    assert len(app.seen) == 3
    (event,) = [e for e in pump.flow.since(0) if e["kind"] == "kafka_binding"]
    assert (event["statuses"], event["committed"]) == ([500, 500, 200], True)


@pytest.mark.anyio
async def test_two_apps_are_two_groups_and_each_reads_every_record(tmp_path: Path) -> None:
    pump = Pump(SidecarMesh(), FlowLog(), Console(["payments", "audit"], io.StringIO()))
    _writer(tmp_path, pump)
    apps = {a: ScriptedApp().on("POST", "/in", answer(200, {})) for a in ("payments", "audit")}
    for app_id, app in apps.items():
        pump.mesh.add(app_id, app)
    pump.up(_plan(tmp_path, _service("payments", 8711, "/in")))
    await _write(pump, {"n": 0}, {"n": 1})
    await _settle(pump)
    pump.up(_plan(tmp_path, _service("audit", 8712, "/in")))  # joins later: oldest, so it reads both
    await _settle(pump)
    for app in apps.values():
        assert [json.loads(r.body)["n"] for r in app.seen] == [0, 1]
    assert pump.kafka.committed == {("payments", "bank-payments"): 2, ("audit", "bank-payments"): 2}


@pytest.mark.anyio
async def test_a_kafka_pub_sub_writes_its_topics_to_the_log(tmp_path: Path) -> None:
    resources = tmp_path / "resources"
    resources.mkdir()
    (resources / "pubsub.yaml").write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: pubsub}\n"
        "spec: {type: pubsub.kafka, version: v1, metadata: [{name: brokers, value: 'localhost:9092'}]}\n",
        encoding="utf-8",
    )
    plan = RunPlan(tmp_path, (), None, "redis", "pubsub", None, {}, 1, resources)
    pump = Pump(SidecarMesh(), FlowLog(), Console(["shop"], io.StringIO()))
    connect_kafka(pump.mesh, plan, pump.kafka.log)
    double = pump.mesh.add("shop")
    async with double.client() as sidecar:
        reply = await sidecar.post("/v1.0/publish/pubsub/bank-payments?metadata.partitionKey=p1", json={"n": 1})
        assert reply.status_code == 204, reply.text
    (record,) = pump.kafka.log.topics["bank-payments"]
    assert json.loads(record.value)["data"] == {"n": 1}  # the CloudEvent, as pubsub.kafka writes it
    assert (record.key, dict(record.headers)) == ("p1", {"partitionKey": "p1"})
