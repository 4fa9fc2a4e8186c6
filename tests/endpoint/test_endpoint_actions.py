"""CRUD actions (a flag set once, with an event of its own) and per-item jobs (`/job/<name>-{suffix}`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from skill.errors import SpecError
from skill.pipeline import generate
from tests.endpoint.conftest import TOKEN, Package, Wired, load_package, task, wire

pytestmark = pytest.mark.anyio

SPEC: dict[str, Any] = {
    "subscriptions": [],
    "bindings": [],
    "invocations": [],
    "jobs": [{"name": "reminder", "model": "ReminderEvent", "prefix": True}],
    "crud": [
        {
            "name": "tasks",
            "model": "Task",
            "topic": "task-events",
            "actions": [{"name": "complete", "field": "completed"}],
        }
    ],
}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    return load_package(SPEC, tmp_path_factory.mktemp("endpoint_actions"))


@pytest.fixture
async def wired(package: Package) -> AsyncIterator[Wired]:
    async for w in wire(package, TOKEN):
        yield w


def _app(w: Wired) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=w.app)
    return httpx.AsyncClient(transport=transport, base_url="http://app", headers={"dapr-api-token": TOKEN})


def _types(w: Wired) -> list[str]:
    return [m.envelope["type"] for m in w.double.published if m.topic == "task-events" and m.envelope]


async def test_complete_sets_the_flag_once_and_publishes_completed(wired: Wired) -> None:
    async with _app(wired) as app:
        assert (await app.post("/api/tasks", json=task("t-1"))).status_code == 201
        done = await app.post("/api/tasks/t-1/complete")
        assert done.status_code == 200, done.text
        assert done.json()["completed"] is True
        again = await app.post("/api/tasks/t-1/complete")
        # Nothing changes (same ETag); the event goes out again, for a first call whose publish failed.
        assert (again.status_code, again.headers["etag"]) == (200, done.headers["etag"])
        assert (await app.post("/api/tasks/nope/complete")).status_code == 404
    assert _types(wired) == ["tasks.created", "tasks.completed", "tasks.completed"]
    completed = [m for m in wired.double.published if m.envelope and m.envelope["type"] == "tasks.completed"]
    assert completed[0].envelope is not None
    assert completed[0].envelope["data"]["completed"] is True


async def test_complete_honours_if_match(wired: Wired) -> None:
    async with _app(wired) as app:
        created = await app.post("/api/tasks", json=task("t-2"))
        stale = '"not-the-etag"'
        assert (await app.post("/api/tasks/t-2/complete", headers={"if-match": stale})).status_code == 412
        ok = await app.post("/api/tasks/t-2/complete", headers={"if-match": created.headers["etag"]})
        assert ok.status_code == 200


async def test_a_put_that_sets_the_flag_publishes_the_action_event(wired: Wired) -> None:
    async with _app(wired) as app:
        await app.post("/api/tasks", json=task("t-3"))
        assert (await app.put("/api/tasks/t-3", json=task("t-3", title="x"))).status_code == 200
        assert (await app.put("/api/tasks/t-3", json=task("t-3", completed=True))).status_code == 200
        assert (await app.put("/api/tasks/t-3", json=task("t-3", completed=True))).status_code == 200
    assert _types(wired) == ["tasks.created", "tasks.updated", "tasks.completed", "tasks.updated"]


async def test_per_item_jobs_reach_one_handler(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def on_job_reminder(data: Any, dapr: Any) -> None:
        seen.append(data.task_id)

    monkeypatch.setattr(wired.package.handlers, "on_job_reminder", on_job_reminder)
    reminder = {"task_id": "t-9", "title": "x", "due_at": "2027-01-31T10:00:00Z", "remind_at": "2027-01-31T09:00:00Z",
                "user_id": "u"}  # fmt: skip
    async with wired.double.client() as c:
        for name in ("reminder-t-9", "reminder-t-10"):
            r = await c.post(
                f"/v1.0-alpha1/jobs/{name}", json={"dueTime": "0s", "data": {**reminder, "task_id": name[9:]}}
            )
            assert r.status_code == 204, r.text
    assert (await wired.double.trigger_job("reminder-t-9")).status == 200
    assert (await wired.double.trigger_job("reminder-t-10")).status == 200
    assert seen == ["t-9", "t-10"]


@pytest.mark.parametrize(
    ("action", "field", "rule"),
    [
        ({"name": "complete", "field": "title"}, "crud.0.actions.0.field", "must be a bool field of Task"),
        ({"name": "complete", "field": "completed", "event": "updated"}, "crud.0.actions.0.event", "already"),
    ],
)
def test_bad_actions_name_the_field(action: dict[str, str], field: str, rule: str) -> None:
    spec = {**SPEC, "crud": [{**SPEC["crud"][0], "actions": [action]}]}
    with pytest.raises(SpecError) as caught:
        generate("endpoint", spec)
    assert any(p.field == field and rule in p.rule for p in caught.value.problems), caught.value.problems


async def test_a_failed_publish_is_not_lost_when_the_request_is_made_again(wired: Wired) -> None:
    """Saved, then the publish failed: the request fails, and the same request again publishes the change (a
    create answers 201 again rather than 409; a complete publishes rather than returning early; a delete finds the
    deleted item kept for it rather than answering 404)."""
    async with _app(wired) as app:
        wired.double.faults.add(method="POST", path="/v1.0/publish/", status=500)
        with pytest.raises(wired.package.dapr_client.DaprError):
            await app.post("/api/tasks", json=task("t-9"))
        assert _types(wired) == []
        again = await app.post("/api/tasks", json=task("t-9"))
        assert again.status_code == 201, again.text
        assert [t["id"] for t in (await app.get("/api/tasks")).json()] == ["t-9"]  # indexed once
        other = await app.post("/api/tasks", json=task("t-9", title="another"))
        assert other.status_code == 409  # another item under the key is still a conflict
        wired.double.faults.add(method="POST", path="/v1.0/publish/", status=500)
        with pytest.raises(wired.package.dapr_client.DaprError):
            await app.post("/api/tasks/t-9/complete")
        assert (await app.post("/api/tasks/t-9/complete")).status_code == 200
        wired.double.faults.add(method="POST", path="/v1.0/publish/", status=500)
        with pytest.raises(wired.package.dapr_client.DaprError):
            await app.delete("/api/tasks/t-9")
        assert (await app.get("/api/tasks/t-9")).status_code == 404  # deleted, not announced
        assert (await app.delete("/api/tasks/t-9")).status_code == 204  # the retry announces it
        assert (await app.get("/api/tasks")).json() == []
    assert _types(wired) == ["tasks.created", "tasks.completed", "tasks.deleted"]
    partitions = {m.metadata.get("partitionKey") for m in wired.double.published if m.topic == "task-events"}
    assert partitions == {"t-9"}


async def test_concurrent_creates_all_reach_the_index(wired: Wired) -> None:
    """The index is changed by ETag (update_state): saved last-write, concurrent creates would drop entries."""
    ids = [f"c-{n:02}" for n in range(16)]
    async with _app(wired) as app:
        created = await asyncio.gather(*(app.post("/api/tasks", json=task(i)) for i in ids))
        assert [r.status_code for r in created] == [201] * len(ids)
        assert [t["id"] for t in (await app.get("/api/tasks")).json()] == ids
