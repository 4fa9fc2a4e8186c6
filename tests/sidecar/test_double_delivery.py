"""Pub/sub delivery to the app (references/dapr-contract.md §12.1-§12.5; pitfalls 11, 12, 13, 14)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sidecar.scripted_app import ScriptedApp, answer
from tools.standin import SidecarDouble

pytestmark = pytest.mark.anyio


def sub(**extra: Any) -> dict[str, Any]:
    return {"pubsubname": "pubsub", "topic": "orders", "route": "/orders", **extra}


async def setup(subs: Any, *answers: Any, **kw: Any) -> tuple[SidecarDouble, ScriptedApp]:
    app = ScriptedApp().on("GET", "/dapr/subscribe", answer(200, subs))
    if answers:
        app.on("POST", "/orders", *answers)
    double = SidecarDouble(app=app, **kw)
    async with double.client() as c:
        r = await c.post("/v1.0/publish/pubsub/orders", json={"orderId": 1})
        assert r.status_code == 204
    return double, app


async def test_delivery_posts_cloudevent_with_headers() -> None:
    """§12.3: POST {route}, Content-Type application/cloudevents+json, pubsubname header, app token (§12.12)."""
    double, app = await setup([sub()], answer(200, {"status": "SUCCESS"}), app_api_token="app-tok")
    (result,) = await double.deliver_pending()
    assert result.outcome == "delivered"
    (req,) = app.requests_to("/orders")
    assert req.headers["content-type"] == "application/cloudevents+json"
    assert req.headers["pubsubname"] == "pubsub"
    assert req.headers["dapr-api-token"] == "app-tok"
    assert "app-api-token" not in req.headers
    assert req.json()["data"] == {"orderId": 1}  # pitfall 12: the payload is inside data
    (subscribe,) = app.requests_to("/dapr/subscribe")
    assert (subscribe.method, subscribe.headers["dapr-app-id"], subscribe.headers["dapr-api-token"]) == (
        "GET", "myapp", "app-tok",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("response", "outcome", "attempts"),
    [
        (answer(200, b""), "delivered", 1),
        (answer(200, b"not json"), "delivered", 1),
        (answer(204), "delivered", 1),
        (answer(200, {"other": 1}), "delivered", 1),
        (answer(200, {"status": "SUCCESS"}), "delivered", 1),
        (answer(200, {"status": "success"}), "retry_exhausted", 3),  # case-sensitive (pitfall 11)
        (answer(200, {"status": "RETRY"}), "retry_exhausted", 3),
        (answer(200, {"status": "DROP"}), "dropped", 1),
        (answer(404), "dropped", 1),
        (answer(422, {"detail": []}), "retry_exhausted", 3),  # FastAPI validation error loops (pitfall 11)
        (answer(500), "retry_exhausted", 3),
    ],
)
async def test_response_contract(response: Any, outcome: str, attempts: int) -> None:
    """§12.4 table, row by row."""
    double, app = await setup([sub()], response)
    (result,) = await double.deliver_pending()
    assert (result.outcome, len(result.attempts)) == (outcome, attempts)
    assert len(app.requests_to("/orders")) == attempts


async def test_drop_goes_to_dead_letter_topic_and_404_too_from_1_18() -> None:
    """A 404 is dropped; daprd 1.18 dead-letters it as DROP (seen on 1.18.3: tests/differential), 1.16 does not."""
    double, _ = await setup([sub(deadLetterTopic="orders-dlq")], answer(200, {"status": "DROP"}))
    (result,) = await double.deliver("pubsub", "orders")
    assert result.outcome == "dead_lettered"
    dlq = double.broker.on("pubsub", "orders-dlq")
    assert len(dlq) == 1
    assert dlq[0].dead_lettered_from == "orders"
    double, _ = await setup([sub(deadLetterTopic="orders-dlq")], answer(404))
    (result,) = await double.deliver("pubsub", "orders")
    assert result.outcome == "dropped"
    assert double.broker.on("pubsub", "orders-dlq") == []
    double, _ = await setup([sub(deadLetterTopic="orders-dlq")], answer(404), dapr_version="1.18")
    (result,) = await double.deliver("pubsub", "orders")
    assert result.outcome == "dead_lettered"
    assert len(double.broker.on("pubsub", "orders-dlq")) == 1


async def test_retry_then_success_counts_attempts() -> None:
    double, _ = await setup([sub()], answer(500), answer(200, {"status": "RETRY"}), answer(200))
    (result,) = await double.deliver_pending()
    assert result.outcome == "delivered"
    assert [a.verdict for a in result.attempts] == ["RETRY", "RETRY", "SUCCESS"]


async def test_subscriptions_read_once() -> None:
    double, app = await setup([sub()], answer(200))
    await double.deliver_pending()
    async with double.client() as c:
        await c.post("/v1.0/publish/pubsub/orders", json={})
    await double.deliver_pending()
    assert len(app.requests_to("/dapr/subscribe")) == 1
    assert len(app.requests_to("/orders")) == 2


@pytest.mark.parametrize(
    "subs",
    [
        [sub(metadata={"rawPayload": True}), {"pubsubname": "pubsub", "topic": "x", "route": "/x"}],  # non-string
        {"pubsubname": "pubsub"},  # not an array
    ],
)
async def test_bad_subscription_json_loses_everything(subs: Any) -> None:
    """§12.1 pitfall 13: one non-string metadata value fails the whole decode: all subscriptions are lost."""
    double, app = await setup(subs, answer(200))
    assert await double.deliver_pending() == []
    assert double.subscriptions == []
    assert double.subscription_error is not None
    assert app.requests_to("/orders") == []


async def test_exact_keys_and_missing_route() -> None:
    """Pitfall 13: pubsubName (camel) does not name the pubsub; an entry without route is dropped."""
    subs = [
        {"pubsubName": "pubsub", "topic": "orders", "route": "/orders"},
        {"pubsubname": "pubsub", "topic": "orders"},
    ]
    double, _app = await setup(subs, answer(200))
    assert await double.deliver("pubsub", "orders") == []
    assert [s.pubsubname for s in await double.load_subscriptions()] == [""]


async def test_routing_rules_and_default() -> None:
    """§12.1: rules in order with CEL over event; routes.default beats route."""
    routes = {"rules": [{"match": 'event.type == "order.created"', "path": "/created"}], "default": "/fallback"}
    app = ScriptedApp().on("GET", "/dapr/subscribe", answer(200, [sub(routes=routes)]))
    app.on("POST", "/created", answer(200)).on("POST", "/fallback", answer(200))
    double = SidecarDouble(app=app)
    async with double.client() as c:
        await c.post("/v1.0/publish/pubsub/orders?metadata.cloudevent.type=order.created", json={})
        await c.post("/v1.0/publish/pubsub/orders", json={})
    await double.deliver_pending()
    assert [r.path for r in app.seen[1:]] == ["/created", "/fallback"]


async def test_raw_payload_subscription_gets_base64_envelope() -> None:
    """§12.3: rawPayload subscription -> source Dapr, datacontenttype octet-stream, data_base64 of the message."""
    double, app = await setup([sub(metadata={"rawPayload": "true"})], answer(200))
    await double.deliver_pending()
    event = app.requests_to("/orders")[0].json()
    assert (event["source"], event["datacontenttype"]) == ("Dapr", "application/octet-stream")
    assert "data" not in event
    assert event["data_base64"]


async def test_raw_published_message_never_reaches_normal_subscriber() -> None:
    """§12.3: with rawPayload false a non-JSON message cannot be parsed as a CloudEvent and is never delivered."""
    app = ScriptedApp().on("GET", "/dapr/subscribe", answer(200, [sub()])).on("POST", "/orders", answer(200))
    double = SidecarDouble(app=app)
    async with double.client() as c:
        await c.post("/v1.0/publish/pubsub/orders?metadata.rawPayload=true", content=b"plain")
    (result,) = await double.deliver_pending()
    assert result.outcome == "undeliverable"
    assert app.requests_to("/orders") == []


async def test_bulk_subscribe_statuses() -> None:
    """§12.5: one POST with entries; missing entry or empty status = RETRY; DROP / SUCCESS per entry."""
    calls: list[Any] = []

    async def bulk_handler(req: Any) -> Any:
        body = req.json()
        calls.append(body)
        ids = [e["entryId"] for e in body["entries"]]
        if len(calls) == 1:
            return answer(
                200, {"statuses": [{"entryId": ids[0], "status": "SUCCESS"}, {"entryId": ids[1], "status": "DROP"}]}
            )
        return answer(200, {"statuses": [{"entryId": i, "status": "SUCCESS"} for i in ids]})

    app = ScriptedApp().on("GET", "/dapr/subscribe", answer(200, [sub(bulkSubscribe={"enabled": True})]))
    app.handle("POST", "/orders", bulk_handler)
    double = SidecarDouble(app=app)
    async with double.client() as c:
        for i in range(3):
            await c.post("/v1.0/publish/pubsub/orders", json={"i": i})
    results = await double.deliver_pending()
    assert sorted(r.outcome for r in results) == ["delivered", "delivered", "dropped"]
    assert calls[0]["type"] == "com.dapr.event.sent.bulk"
    assert [len(call["entries"]) for call in calls] == [3, 1]
    assert app.requests_to("/orders")[0].headers["content-type"] == "application/json"


async def test_expired_message_is_not_delivered() -> None:
    app = ScriptedApp().on("GET", "/dapr/subscribe", answer(200, [sub()])).on("POST", "/orders", answer(200))
    double = SidecarDouble(app=app)
    async with double.client() as c:
        await c.post("/v1.0/publish/pubsub/orders?metadata.ttl=-1s", json={})
    (result,) = await double.deliver_pending()
    assert result.outcome == "expired"
