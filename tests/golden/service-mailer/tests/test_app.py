"""The service's routes, driven as the sidecar drives them, over the in-memory Dapr.

Regenerating the service rewrites this file (your edits in it are merged); put tests of
your own handlers in new files beside it.
"""

import json
from typing import Any

import httpx
import pytest

from app import handlers
from app.contract import DropEvent
from app.events import Signup
from tests.conftest import cloud_event
from tests.fake_dapr import FakeDapr

pytestmark = pytest.mark.anyio


class StandIn:
    """Stands in for a function of handlers.py: records each call, then answers
    `returns` or raises `raises`. These tests check the routes' contract with Dapr
    (status codes, validation, the token, what Dapr is answered), whatever your
    handlers do; test your handlers' logic in files of your own."""

    def __init__(self, returns: object = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.returns = returns
        self.raises: Exception | None = None

    async def __call__(self, *args: object) -> object:
        self.calls.append(args)
        if self.raises is not None:
            raise self.raises
        return self.returns


def stand_in(
    monkeypatch: pytest.MonkeyPatch, name: str, returns: object = None
) -> StandIn:
    """Replace handlers.<name> (the routes look it up on each call) for one test."""
    double = StandIn(returns)
    monkeypatch.setattr(handlers, name, double)
    return double


async def post_event(
    client: httpx.AsyncClient, path: str, event: dict[str, object]
) -> httpx.Response:
    """A delivery as the sidecar makes it: a structured CloudEvent."""
    return await client.post(
        path,
        content=json.dumps(event),
        headers={"content-type": "application/cloudevents+json"},
    )


async def test_liveness(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 204


async def test_readiness_follows_the_sidecar(
    client: httpx.AsyncClient, fake: FakeDapr
) -> None:
    assert (await client.get("/readyz")).status_code == 204
    fake.healthy = False
    waiting = await client.get("/readyz")
    assert waiting.status_code == 503
    assert "Dapr sidecar" in waiting.json()["waiting_for"]


async def test_subscriptions_are_listed(client: httpx.AsyncClient) -> None:
    response = await client.get("/dapr/subscribe")
    assert response.status_code == 200
    listed = {(s["pubsubname"], s["topic"]) for s in response.json()}
    assert listed == {
        ("pubsub", "signups"),
    }


async def test_a_call_without_the_app_token_is_refused(
    client: httpx.AsyncClient,
) -> None:
    # The sidecar sends APP_API_TOKEN as dapr-api-token on every call to the app.
    wrong = {"dapr-api-token": "not-the-token"}
    assert (await client.get("/dapr/subscribe", headers=wrong)).status_code == 401
    response = await client.post("/events/pubsub/signups", json={}, headers=wrong)
    assert response.status_code == 401


async def test_events_pubsub_signups_hands_a_valid_event_to_its_handler(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = stand_in(monkeypatch, "on_signups")
    data: Any = {"email": "email", "name": "name"}
    event = cloud_event(data, type_="signups.sample")
    response = await post_event(client, "/events/pubsub/signups", event)
    assert response.status_code == 200
    assert response.json() == {"status": "SUCCESS"}
    ((received, _),) = handler.calls
    assert received.payload() == Signup.model_validate(data)


async def test_events_pubsub_signups_answers_drop_and_retry(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = stand_in(monkeypatch, "on_signups")
    data: Any = {"email": "email", "name": "name"}
    misfit = cloud_event("not an object", type_="signups.sample", id_="event-2")
    response = await post_event(client, "/events/pubsub/signups", misfit)
    assert response.json() == {"status": "DROP"}  # never a 422 that comes back for ever
    assert handler.calls == []
    handler.raises = DropEvent("the handler drops it")
    event = cloud_event(data, type_="signups.sample", id_="event-3")
    response = await post_event(client, "/events/pubsub/signups", event)
    assert response.json() == {"status": "DROP"}
    handler.raises = RuntimeError("the handler fails")
    event = cloud_event(data, type_="signups.sample", id_="event-4")
    response = await post_event(client, "/events/pubsub/signups", event)
    assert response.json() == {"status": "RETRY"}
