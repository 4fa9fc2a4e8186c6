"""The service's routes, driven as the sidecar drives them, over the in-memory Dapr.

Regenerating the service rewrites this file (your edits in it are merged); put tests of
your own handlers in new files beside it.
"""

import json
from typing import Any

import httpx
import pytest

from tests.conftest import cloud_event
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
    assert listed == {
        ("pubsub", "signups"),
    }


async def test_events_pubsub_signups_acks_a_valid_event(
    client: httpx.AsyncClient,
) -> None:
    data: Any = {"email": "email", "name": "name"}
    event = cloud_event(data, type_="signups.sample")
    response = await client.post(
        "/events/pubsub/signups",
        content=json.dumps(event),
        headers={"content-type": "application/cloudevents+json"},
    )
    assert response.status_code == 200
    assert response.json() == {"status": "SUCCESS"}


async def test_events_pubsub_signups_drops_an_event_that_does_not_fit(
    client: httpx.AsyncClient,
) -> None:
    event = cloud_event("not an object", type_="signups.sample", id_="event-2")
    response = await client.post(
        "/events/pubsub/signups",
        content=json.dumps(event),
        headers={"content-type": "application/cloudevents+json"},
    )
    assert response.json() == {"status": "DROP"}
