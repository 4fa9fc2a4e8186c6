"""The service's routes, driven as the sidecar drives them, over the in-memory Dapr.

Regenerating the service rewrites this file (your edits in it are merged); put tests of
your own handlers in new files beside it.
"""

import httpx
import pytest

from app.events import Reservation
from tests.fake_dapr import FakeDapr

pytestmark = pytest.mark.anyio


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


async def test_invoke_reserve_answers(client: httpx.AsyncClient) -> None:
    client.headers["dapr-caller-app-id"] = "checkout"  # an allowed caller
    response = await client.post(
        "/reserve", json={"id": "id", "seat": "seat", "confirmed": True}
    )
    assert response.status_code == 200
    Reservation.model_validate(response.json())
