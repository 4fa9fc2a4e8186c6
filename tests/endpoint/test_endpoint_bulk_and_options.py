"""Bulk subscribe (one status per entry), a render without the token check, and jobs without a data model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from skill.generators.endpoint import GENERATOR
from tests.endpoint.conftest import Package, Wired, cloud_event, load_package, wire

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return load_package(GENERATOR.examples["orders-bulk"], tmp_path_factory.mktemp("endpoint_orders"))


@pytest.fixture
async def wired_orders(orders: Package) -> AsyncIterator[Wired]:
    async for w in wire(orders, None):
        yield w


async def test_bulk_delivery_answers_one_status_per_entry(wired_orders: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def on_orders(event: Any, dapr: Any) -> None:
        seen.append(event.id)
        if event.id == "flaky":
            raise ConnectionError("later")

    monkeypatch.setattr(wired_orders.package.handlers, "on_orders", on_orders)
    order = {"id": "o-1", "total": 9.5}
    bodies = [
        cloud_event(order, id_="a"),
        cloud_event({"id": 3}, id_="bad"),
        cloud_event(order, id_="flaky"),
        cloud_event(order, id_="a"),
    ]
    async with wired_orders.double.client() as c:
        for body in bodies:
            r = await c.post(
                "/v1.0/publish/pubsub/orders", content=body, headers={"content-type": "application/cloudevents+json"}
            )
            assert r.status_code == 204
    results = await wired_orders.double.deliver_pending()
    call = next(c for c in wired_orders.double.app_calls if c.path == "/events/pubsub/orders")
    statuses = json.loads(call.response_body)["statuses"]
    sent = json.loads(call.body)["entries"]
    assert [s["entryId"] for s in statuses] == [e["entryId"] for e in sent]
    # The entries run concurrently: the second "a" finds the first one's claim (busy) and asks for a redelivery,
    # which then finds it done.
    assert [s["status"] for s in statuses] == ["SUCCESS", "DROP", "RETRY", "RETRY"]
    assert seen.count("a") == 1  # the duplicate id was not run again
    outcomes = sorted(r.outcome for r in results if r.message.topic == "orders")
    # "bad" was dropped to the dead-letter topic at once, "flaky" once its retries ran out (daprd 1.18 publishes
    # an exhausted message to the subscription's deadLetterTopic).
    assert outcomes == ["dead_lettered", "dead_lettered", "delivered", "delivered"]


async def test_no_token_option_means_no_check(wired_orders: Wired) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wired_orders.app), base_url="http://app") as app:
        assert (await app.get("/dapr/subscribe")).status_code == 200


async def test_job_without_a_model_takes_any_json_or_nothing(
    wired_orders: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    async def on_job(data: Any, dapr: Any) -> None:
        seen.append(data)

    monkeypatch.setattr(wired_orders.package.handlers, "on_job_nightly_report", on_job)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wired_orders.app), base_url="http://app") as app:
        assert (await app.post("/job/nightly-report", content=b'{"day": 3}')).status_code == 200
        assert (await app.post("/job/nightly-report", content=b"")).status_code == 200
        assert (await app.post("/job/nightly-report", content=b"{not json")).status_code == 404
    assert seen == [{"day": 3}, None]


def test_rendered_files(orders: Package, tmp_path: Path) -> None:
    assert set(orders.modules) == {
        "dapr_client",
        "events",
        "contract",
        "subscriptions",
        "jobs",
        "invocation",
        "health",
        "handlers",
        "main",
    }


async def test_memory_processed_events_claims_expire_and_old_records_go(
    orders: Package, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(orders.contract.time, "monotonic", lambda: clock[0])
    records = orders.contract.MemoryProcessedEvents(claim_seconds=10, retain_seconds=100)
    assert await records.claim("a") == "new"
    assert await records.claim("a") == "busy"
    clock[0] += 11  # the claim expired: a crashed delivery's event runs again
    assert await records.claim("a") == "new"
    await records.done("a")
    assert await records.claim("a") == "done"
    assert await records.claim("b") == "new"
    await records.release("b")  # a RETRY: the next delivery runs it
    assert await records.claim("b") == "new"
    await records.done("b")
    clock[0] += 101  # both records are past retain_seconds
    await records.done("c")  # each write drops the oldest expired ones
    assert list(records._done) == ["c"]
    assert await records.claim("a") == "new"


async def test_a_bulk_delivery_over_the_dapr_body_limit_is_413_and_runs_nothing(
    wired_orders: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def on_orders(event: Any, dapr: Any) -> None:
        seen.append(event.id)

    monkeypatch.setattr(wired_orders.package.handlers, "on_orders", on_orders)
    limits = wired_orders.package.contract.BodyLimits(dapr=1_000)
    app = wired_orders.package.main.create_app(dapr=wired_orders.dapr, body_limits=limits)
    entries = [{"entryId": str(i), "event": {"id": "x" * 100}} for i in range(20)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
        r = await c.post("/events/pubsub/orders", json={"entries": entries})
    assert r.status_code == 413  # every entry fails: Dapr retries them by its policy, then dead-letters them
    assert seen == []
