"""The service's routes, driven as the sidecar drives them, over the in-memory Dapr.

Regenerating the service rewrites this file (your edits in it are merged); put tests of
your own handlers in new files beside it.
"""

from typing import Any

import httpx
import pytest

from app import handlers
from app.events import Task
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
    assert listed == set()


async def test_binding_stock_feed_is_handled(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = stand_in(monkeypatch, "on_stock_feed")
    assert (await client.options("/stock-feed")).status_code == 200
    data: Any = {
        "id": "a",
        "user_id": "user_id",
        "title": "title",
        "description": "description",
        "priority": "low",
        "tags": ["tags"],
        "due_at": "2026-01-31T09:00:00Z",
        "remind_at": "2026-01-31T09:00:00Z",
        "recurrence": {
            "frequency": "daily",
            "interval": 1,
            "until": "2026-01-31T09:00:00Z",
            "start": "2026-01-31T09:00:00Z",
            "rrule": "FREQ=DAILY",
        },
        "completed": True,
        "created_at": "2026-01-31T09:00:00Z",
        "updated_at": "2026-01-31T09:00:00Z",
    }
    response = await client.post("/stock-feed", json=data)
    assert response.status_code == 200
    ((received, _, _),) = handler.calls
    assert received == Task.model_validate(data)
    # A failing handler: 500, which daprd retries under the binding's inbound policy.
    handler.raises = RuntimeError("the handler fails")
    response = await client.post("/stock-feed", json=data)
    assert response.status_code == 500
