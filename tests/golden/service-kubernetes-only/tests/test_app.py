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


async def test_tasks_round_trip_with_etags(
    client: httpx.AsyncClient, fake: FakeDapr
) -> None:
    item: Any = {
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
    url = "/api/tasks" + "/" + "a"
    created = await client.post("/api/tasks", json=item)
    assert created.status_code == 201, created.text
    # The same item again completes its create (a retry after a failed publish)...
    assert (await client.post("/api/tasks", json=item)).status_code == 201
    # ...another item under its key is a conflict, on every state store.
    other: Any = {
        "id": "b",
        "user_id": "user_id-1",
        "title": "title-1",
        "description": "description-1",
        "priority": "medium",
        "tags": ["tags-1"],
        "due_at": "2026-01-31T10:00:00Z",
        "remind_at": "2026-01-31T10:00:00Z",
        "recurrence": {
            "frequency": "weekly",
            "interval": 2,
            "until": "2026-01-31T10:00:00Z",
            "start": "2026-01-31T10:00:00Z",
            "rrule": "FREQ=WEEKLY;COUNT=2",
        },
        "completed": False,
        "created_at": "2026-01-31T10:00:00Z",
        "updated_at": "2026-01-31T10:00:00Z",
    }
    other["id"] = item["id"]
    assert (await client.post("/api/tasks", json=other)).status_code == 409

    read = await client.get(url)
    assert read.status_code == 200
    etag = read.headers["etag"]
    listed = await client.get("/api/tasks")
    assert listed.status_code == 200
    assert len(listed.json()) == 1

    updated = await client.put(url, json=read.json(), headers={"if-match": etag})
    assert updated.status_code == 200, updated.text
    stale = await client.put(url, json=read.json(), headers={"if-match": etag})
    assert stale.status_code == 412
    assert (await client.delete(url, headers={"if-match": etag})).status_code == 412
    deleted = await client.delete(url, headers={"if-match": updated.headers["etag"]})
    assert deleted.status_code == 204
    assert (await client.get(url)).status_code == 404
    # DELETE again (a retry after a failed publish) publishes the deleted event again.
    assert (await client.delete(url)).status_code == 204
    published = [m.type for m in fake.published if m.topic == "task-events"]
    assert published == [
        "tasks.created",
        "tasks.created",
        "tasks.updated",
        "tasks.deleted",
        "tasks.deleted",
    ]
    keys = {m.metadata.get("partitionKey") for m in fake.published}
    assert keys == {str(item["id"])}  # one item's events, in order


async def test_tasks_complete_sets_completed_once(
    client: httpx.AsyncClient, fake: FakeDapr
) -> None:
    item: Any = {
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
    item["completed"] = False
    url = "/api/tasks" + "/" + "a"
    assert (await client.post("/api/tasks", json=item)).status_code == 201
    done = await client.post(url + "/complete")
    assert done.status_code == 200, done.text
    assert done.json()["completed"] is True
    again = await client.post(url + "/complete")
    assert (again.status_code, again.headers["etag"]) == (200, done.headers["etag"])
    # Unchanged, and its event published again (the first call's publish may have
    # failed after the save): at least once.
    types = [m.type for m in fake.published if m.topic == "task-events"]
    assert types.count("tasks.completed") == 2


async def test_tasks_keep_two_items_apart(client: httpx.AsyncClient) -> None:
    first: Any = {
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
    second: Any = {
        "id": "b",
        "user_id": "user_id-1",
        "title": "title-1",
        "description": "description-1",
        "priority": "medium",
        "tags": ["tags-1"],
        "due_at": "2026-01-31T10:00:00Z",
        "remind_at": "2026-01-31T10:00:00Z",
        "recurrence": {
            "frequency": "weekly",
            "interval": 2,
            "until": "2026-01-31T10:00:00Z",
            "start": "2026-01-31T10:00:00Z",
            "rrule": "FREQ=WEEKLY;COUNT=2",
        },
        "completed": False,
        "created_at": "2026-01-31T10:00:00Z",
        "updated_at": "2026-01-31T10:00:00Z",
    }
    assert (await client.post("/api/tasks", json=first)).status_code == 201
    assert (await client.post("/api/tasks", json=second)).status_code == 201
    listed = await client.get("/api/tasks")
    assert len(listed.json()) == 2
