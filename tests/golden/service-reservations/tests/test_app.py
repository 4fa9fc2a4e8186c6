"""The service's routes, driven as the sidecar drives them, over the in-memory Dapr.

Regenerating the service rewrites this file (your edits in it are merged); put tests of
your own handlers in new files beside it.
"""

from typing import Any

import httpx
import pytest

from app import handlers
from app.events import Reservation
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


async def test_a_call_without_the_app_token_is_refused(
    client: httpx.AsyncClient,
) -> None:
    # The sidecar sends APP_API_TOKEN as dapr-api-token on every call to the app.
    wrong = {"dapr-api-token": "not-the-token"}
    assert (await client.get("/dapr/subscribe", headers=wrong)).status_code == 401


async def test_invoke_reserve_answers(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = Reservation.model_validate(
        {"id": "id-1", "seat": "seat-1", "confirmed": False}
    )
    handler = stand_in(monkeypatch, "reserve", returns=answer)
    client.headers["dapr-caller-app-id"] = "checkout"  # an allowed caller
    body: Any = {"id": "id", "seat": "seat", "confirmed": True}
    response = await client.request("POST", "/reserve", json=body)
    assert response.status_code == 200
    assert Reservation.model_validate(response.json()) == answer
    ((received, _),) = handler.calls
    assert received == Reservation.model_validate(body)
    # A body that does not fit: 422, and the handler is not called.
    misfit = await client.request("POST", "/reserve", json="not an object")
    assert misfit.status_code == 422
    assert len(handler.calls) == 1
