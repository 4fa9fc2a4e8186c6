"""The fake towards the app: `deliver()` and `deliver_pending()` send what the sidecar double delivers (the same
CloudEvent fields and headers, bulk envelopes, routing rules) and read the app's answers as daprd does;
`trigger_job()` calls `/job/<name>` like the double's scheduler."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from tests.client.conftest import FAST
from tests.fake.conftest import Rendered
from tests.sidecar import DEFAULT_BASE_URL, SidecarDouble

pytestmark = pytest.mark.anyio

TOKEN = "app-token-for-tests"
SUBSCRIPTIONS: list[dict[str, Any]] = [
    {"pubsubname": "pubsub", "topic": "orders", "route": "/orders"},
    {
        "pubsubname": "pubsub",
        "topic": "typed",
        "routes": {"rules": [{"match": 'event.type == "order.created"', "path": "/created"}], "default": "/other"},
    },
    {"pubsubname": "pubsub", "topic": "batch", "route": "/batch", "bulkSubscribe": {"enabled": True}},
    {"pubsubname": "pubsub", "topic": "answers", "route": "/answers"},
    {"pubsubname": "pubsub", "topic": "raw", "route": "/raw", "metadata": {"rawPayload": "true"}},
    {"pubsubname": "pubsub", "topic": "poison", "route": "/answers", "deadLetterTopic": "poison-dlq"},
    {"pubsubname": "pubsub", "topic": "poison-dlq", "route": "/dead"},
    {"pubsubname": "pubsub", "topic": "no-route"},  # no route: daprd drops the entry
]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Subscriber:
    """A tiny service: lists SUBSCRIPTIONS, records every POST, answers as the event's data says on /answers."""

    seen: list[Seen] = field(default_factory=list)
    app: FastAPI = field(default_factory=FastAPI)

    def __post_init__(self) -> None:
        @self.app.get("/dapr/subscribe")
        async def subscribe() -> list[dict[str, Any]]:
            return SUBSCRIPTIONS

        @self.app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            body = await request.json()
            self.seen.append(Seen(f"/{path}", dict(request.headers), body))
            if path == "batch":
                statuses = [{"entryId": e["entryId"], "status": "SUCCESS"} for e in body["entries"]]
                return JSONResponse({"statuses": statuses})
            if path == "answers":
                answer = body["data"]
                if answer["body"] is None:
                    return Response(status_code=answer["code"])
                return JSONResponse(answer["body"], status_code=answer["code"])
            return JSONResponse({"status": "SUCCESS"})


async def _double_run(rendered: Rendered, publish: list[tuple[str, Any, dict[str, str] | None]]) -> Subscriber:
    """Publish through the client to the double, deliver everything pending, return what the app saw."""
    subscriber = Subscriber()
    sidecar = SidecarDouble(
        app_id="app", app=subscriber.app, app_api_token=TOKEN, max_delivery_attempts=1, dapr_version="1.18"
    )
    settings = rendered.client.DaprSettings(http_endpoint=DEFAULT_BASE_URL, **FAST)
    async with sidecar.client() as http, rendered.client.DaprClient(settings, http_client=http) as client:
        for topic, data, metadata in publish:
            await client.publish_event("pubsub", topic, data, metadata=metadata)
        await sidecar.deliver_pending()
    return subscriber


def _fake(rendered: Rendered) -> tuple[Any, Subscriber]:
    subscriber = Subscriber()
    fake = rendered.fake.FakeDapr(app_id="app", app_api_token=TOKEN)
    fake.app = subscriber.app
    return fake, subscriber


_VOLATILE = ("id", "time")


def _stable(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in _VOLATILE}


def _delivery_headers(seen: Seen) -> dict[str, str | None]:
    return {name: seen.headers.get(name) for name in ("content-type", "pubsubname", "dapr-api-token", "traceparent")}


async def test_deliver_sends_the_cloud_event_the_double_delivers(every_block: Rendered) -> None:
    expected = (await _double_run(every_block, [("orders", {"n": 1, "total": 2.5}, None)])).seen
    fake, subscriber = _fake(every_block)
    delivery = await fake.deliver("pubsub", "orders", {"n": 1, "total": 2.5})
    assert (delivery.status, delivery.http_status, delivery.route) == ("SUCCESS", 200, "/orders")
    (want,), (got,) = expected, subscriber.seen
    assert got.path == want.path == "/orders"
    assert sorted(got.body) == sorted(want.body)
    assert _stable(got.body) == _stable(want.body)
    assert _delivery_headers(got) == _delivery_headers(want)
    assert got.headers["dapr-api-token"] == TOKEN
    assert delivery.event == got.body
    assert fake.deliveries == [delivery]


async def test_deliver_pending_delivers_what_was_published(every_block: Rendered) -> None:
    published = [("orders", {"n": 1}, None), ("typed", {"n": 2}, {"cloudevent.type": "order.created"}),
                 ("typed", {"n": 3}, None), ("elsewhere", {"n": 4}, None)]  # fmt: skip
    expected = (await _double_run(every_block, published)).seen
    fake, subscriber = _fake(every_block)
    settings = every_block.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        for topic, data, metadata in published:
            await client.publish_event("pubsub", topic, data, metadata=metadata)
    deliveries = await fake.deliver_pending()
    assert [d.route for d in deliveries] == ["/orders", "/created", "/other"]  # nothing subscribes to "elsewhere"
    assert [(s.path, _stable(s.body)) for s in subscriber.seen] == [(s.path, _stable(s.body)) for s in expected]
    assert await fake.deliver_pending() == []  # each event once


async def test_routing_rules_pick_the_route(every_block: Rendered) -> None:
    fake, _ = _fake(every_block)
    assert (await fake.deliver("pubsub", "typed", {}, type="order.created")).route == "/created"
    assert (await fake.deliver("pubsub", "typed", {}, type="order.deleted")).route == "/other"
    delivery = await fake.deliver("pubsub", "typed", {}, id="evt-1", type="order.created")
    assert (delivery.event["id"], delivery.event["type"]) == ("evt-1", "order.created")


class Order(BaseModel):
    id: int
    placed: datetime


async def test_deliver_takes_models_text_and_bytes(every_block: Rendered) -> None:
    fake, subscriber = _fake(every_block)
    await fake.deliver("pubsub", "orders", Order(id=1, placed=datetime(2026, 1, 2, tzinfo=UTC)))
    await fake.deliver("pubsub", "orders", "plain")
    await fake.deliver("pubsub", "orders", b"\x00")
    events = [s.body for s in subscriber.seen]
    assert events[0]["data"] == {"id": 1, "placed": "2026-01-02T00:00:00Z"}
    assert (events[1]["datacontenttype"], events[1]["data"]) == ("text/plain", "plain")
    assert (events[2]["datacontenttype"], events[2]["data_base64"]) == ("application/octet-stream", "AA==")


async def test_bulk_subscriptions_get_the_bulk_envelope(every_block: Rendered) -> None:
    expected = (await _double_run(every_block, [("batch", {"n": 1}, None)])).seen
    fake, subscriber = _fake(every_block)
    delivery = await fake.deliver("pubsub", "batch", {"n": 1})
    assert delivery.status == "SUCCESS"
    (want,), (got,) = expected, subscriber.seen
    assert got.headers["content-type"] == want.headers["content-type"] == "application/json"
    assert sorted(got.body) == sorted(want.body)
    assert {k: v for k, v in got.body.items() if k not in ("id", "entries")} == {
        k: v for k, v in want.body.items() if k not in ("id", "entries")
    }
    (got_entry,), (want_entry,) = got.body["entries"], want.body["entries"]
    assert sorted(got_entry) == sorted(want_entry)
    assert _stable(got_entry["event"]) == _stable(want_entry["event"])


# (status code, JSON body or None for an empty one) -> how daprd reads the answer
ANSWERS: list[tuple[int, Any]] = [
    (200, None), (200, {"status": "SUCCESS"}), (200, {"status": "RETRY"}), (200, {"status": "DROP"}),
    (200, {"status": "success"}), (200, {"Status": "DROP"}), (200, {"other": 1}), (204, None),
    (404, None), (422, {"detail": []}), (500, None),
]  # fmt: skip


async def test_answers_are_read_as_the_double_reads_them(every_block: Rendered) -> None:
    subscriber = Subscriber()
    sidecar = SidecarDouble(app_id="app", app=subscriber.app, max_delivery_attempts=1)
    settings = every_block.client.DaprSettings(http_endpoint=DEFAULT_BASE_URL, **FAST)
    async with sidecar.client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        for code, body in ANSWERS:
            await client.publish_event("pubsub", "answers", {"code": code, "body": body})
    results = await sidecar.deliver_pending()
    expected = [{"NOT_FOUND": "DROP"}.get(r.attempts[0].verdict, r.attempts[0].verdict) for r in results]
    fake, _ = _fake(every_block)
    got = [(await fake.deliver("pubsub", "answers", {"code": code, "body": body})).status for code, body in ANSWERS]
    assert got == expected
    assert got[:4] == ["SUCCESS", "SUCCESS", "RETRY", "DROP"]


async def test_raw_payload_subscriptions_get_the_broker_bytes(every_block: Rendered) -> None:
    fake, subscriber = _fake(every_block)
    delivery = await fake.deliver("pubsub", "raw", {"n": 1})
    event = subscriber.seen[0].body
    assert (event["datacontenttype"], event["source"]) == ("application/octet-stream", "Dapr")
    inner = httpx.Response(200, content=base64.b64decode(event["data_base64"])).json()
    assert (inner["data"], inner["topic"]) == ({"n": 1}, "raw")  # the CloudEvent as the broker holds it
    assert delivery.status == "SUCCESS"


async def test_unsubscribed_topics_are_refused(every_block: Rendered) -> None:
    fake, subscriber = _fake(every_block)
    with pytest.raises(every_block.fake.NoSubscriptionError, match="orders"):
        await fake.deliver("pubsub", "no-route", {})
    assert [(s.pubsubname, s.topic) for s in await fake.subscriptions()] == [
        ("pubsub", "orders"), ("pubsub", "typed"), ("pubsub", "batch"), ("pubsub", "answers"), ("pubsub", "raw"),
        ("pubsub", "poison"), ("pubsub", "poison-dlq"),
    ]  # fmt: skip
    assert subscriber.seen == []


async def test_trigger_job_posts_the_data_like_the_double(every_block: Rendered) -> None:
    subscriber = Subscriber()
    sidecar = SidecarDouble(app_id="app", app=subscriber.app, app_api_token=TOKEN)
    settings = every_block.client.DaprSettings(http_endpoint=DEFAULT_BASE_URL, **FAST)
    async with sidecar.client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        await client.schedule_job("nightly", "10s", {"run": [1, 2]})
    await sidecar.trigger_job("nightly")
    fake, seen = _fake(every_block)
    settings = every_block.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        await client.schedule_job("nightly", "10s", {"run": [1, 2]})
    assert await fake.trigger_job("nightly") == 200
    (want,), (got,) = subscriber.seen, seen.seen
    assert (got.path, got.body) == (want.path, want.body) == ("/job/nightly", {"run": [1, 2]})
    assert got.headers["content-type"] == want.headers["content-type"]
    assert got.headers["dapr-api-token"] == want.headers["dapr-api-token"] == TOKEN
    assert "nightly" not in fake.jobs  # a one-shot job is done once delivered
    with pytest.raises(LookupError, match="nightly"):
        await fake.trigger_job("nightly")


async def test_invocations_of_the_own_app_id_reach_the_app(every_block: Rendered) -> None:
    fake, subscriber = _fake(every_block)
    settings = every_block.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        response = await client.invoke_method("app", "orders", {"data": 1})
    assert response.json() == {"status": "SUCCESS"}
    assert subscriber.seen[0].headers["dapr-api-token"] == TOKEN
    assert [(i.app_id, i.method, i.path, i.status) for i in fake.invocations] == [("app", "POST", "/orders", 200)]


async def test_dropped_events_go_to_the_dead_letter_topic_like_the_double(every_block: Rendered) -> None:
    published: list[tuple[str, Any, dict[str, str] | None]] = [
                 ("poison", {"code": 200, "body": {"status": "DROP"}}, None),
                 ("poison", {"code": 404, "body": None}, None),  # dropped and dead-lettered (Dapr 1.18)
                 ("poison", {"code": 200, "body": None}, None)]  # fmt: skip
    expected = (await _double_run(every_block, published)).seen
    fake, subscriber = _fake(every_block)
    settings = every_block.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        for topic, data, metadata in published:
            await client.publish_event("pubsub", topic, data, metadata=metadata)
    deliveries = await fake.deliver_pending()
    assert [(d.topic, d.status) for d in deliveries] == [
        ("poison", "DROP"), ("poison", "DROP"), ("poison", "SUCCESS"), ("poison-dlq", "SUCCESS"),
        ("poison-dlq", "SUCCESS"),
    ]  # fmt: skip
    assert [(s.path, _stable(s.body)) for s in subscriber.seen] == [(s.path, _stable(s.body)) for s in expected]
    assert [e.topic for e in fake.published] == ["poison", "poison", "poison", "poison-dlq", "poison-dlq"]


async def test_expired_events_are_not_delivered(every_block: Rendered) -> None:
    fake, subscriber = _fake(every_block)
    settings = every_block.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        await client.publish_event("pubsub", "orders", {"n": 1}, ttl_in_seconds=60)
        await client.publish_event("pubsub", "orders", {"n": 2}, ttl_in_seconds=60)
    fake.published[0].event["expiration"] = "2000-01-01T00:00:00Z"  # as if a minute had passed
    assert [d.event["data"] for d in await fake.deliver_pending()] == [{"n": 2}]
    assert "expiration" in subscriber.seen[0].body


async def test_app_exceptions_propagate_or_answer_500(every_block: Rendered) -> None:
    broken = FastAPI()

    @broken.post("/orders")
    async def orders() -> None:
        raise RuntimeError("handler bug")

    @broken.get("/dapr/subscribe")
    async def subscribe() -> list[dict[str, Any]]:
        return SUBSCRIPTIONS[:1]

    fake = every_block.fake.FakeDapr(app=broken)
    with pytest.raises(RuntimeError, match="handler bug"):  # the test sees the traceback
        await fake.deliver("pubsub", "orders", {})
    fake = every_block.fake.FakeDapr(app=broken, raise_app_exceptions=False)
    delivery = await fake.deliver("pubsub", "orders", {})
    assert (delivery.http_status, delivery.status) == (500, "RETRY")
