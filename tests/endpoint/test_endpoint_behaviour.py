"""The generated routers behave as the Dapr runtime expects, driven through the sidecar double's delivery path."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.endpoint.conftest import TOKEN, Package, Wired, cloud_event, task

pytestmark = pytest.mark.anyio


async def _publish(
    w: Wired, body: bytes, topic: str = "task-events", content_type: str = "application/cloudevents+json"
) -> None:
    async with w.double.client() as c:
        r = await c.post(f"/v1.0/publish/pubsub/{topic}", content=body, headers={"content-type": content_type})
    assert r.status_code == 204, r.text


def _app(w: Wired, token: str | None = TOKEN) -> httpx.AsyncClient:
    headers = {"dapr-api-token": token} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=w.app), base_url="http://app", headers=headers)


def _record(package: Package, name: str, monkeypatch: pytest.MonkeyPatch, fail: int = 0) -> list[Any]:
    """Replace handlers.<name> with one that records its events and fails `fail` times first."""
    seen: list[Any] = []

    async def handler(event: Any, dapr: Any) -> None:
        seen.append(event)
        if len(seen) <= fail:
            raise ConnectionError("store down for a moment")

    monkeypatch.setattr(package.handlers, name, handler)
    return seen


async def test_subscribe_document_is_exactly_the_runtime_shape(wired: Wired) -> None:
    async with _app(wired) as app:
        r = await app.get("/dapr/subscribe")
    assert r.status_code == 200
    assert r.json() == [
        {
            "pubsubname": "pubsub",
            "topic": "task-events",
            "routes": {
                "rules": [{"match": 'event.type == "tasks.deleted"', "path": "/events/task-deleted"}],
                "default": "/events/task-events",
            },
            "deadLetterTopic": "task-events-dead",
        }
    ]
    subs = await wired.double.load_subscriptions()
    assert wired.double.subscription_error is None
    assert [(s.topic, s.dead_letter_topic, [r.path for r in s.rules]) for s in subs] == [
        ("task-events", "task-events-dead", ["/events/task-deleted", "/events/task-events"])
    ]


async def test_valid_event_is_success_and_reaches_the_typed_handler(
    wired: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _record(wired.package, "on_task_deleted", monkeypatch)
    await _publish(wired, cloud_event(task(), type_="tasks.deleted"))
    (result,) = await wired.double.deliver_pending()
    assert result.outcome == "delivered"
    assert [a.verdict for a in result.attempts] == ["SUCCESS"]
    assert seen[0].payload() == wired.package.events.Task.model_validate(task())


async def test_unmatched_event_hits_the_default_and_is_dead_lettered(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        await _publish(wired, cloud_event(task(), type_="tasks.created"))
        results = await wired.double.deliver_pending()
    assert results[0].attempts[0].route == "/events/task-events"
    assert results[0].outcome == "dead_lettered"
    assert [m.topic for m in wired.double.published] == ["task-events", "task-events-dead"]
    assert "matches no routing rule" in caplog.text


async def test_malformed_event_is_dropped_with_a_log_line(wired: Wired, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        await _publish(wired, cloud_event({"id": "t-1"}, type_="tasks.deleted"))
        (result, *_) = await wired.double.deliver_pending()
    assert [a.verdict for a in result.attempts] == ["DROP"]
    assert result.attempts[0].status == 200
    assert "dropping a malformed event on /events/task-deleted" in caplog.text


async def test_transient_failure_is_retry_then_success(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record(wired.package, "on_task_deleted", monkeypatch, fail=1)
    await _publish(wired, cloud_event(task(), type_="tasks.deleted"))
    (result,) = await wired.double.deliver_pending()
    assert [a.verdict for a in result.attempts] == ["RETRY", "SUCCESS"]
    assert len(seen) == 2


@pytest.mark.xfail(
    strict=True,
    reason="issue 15: the generated claim catches DaprConflictError, but a first-write save of an existing key without "
    "an ETag is a 500 on redis (state/redis/redis.go; the double now answers so); passes once the generators claim by "
    "ETag",
)
async def test_a_duplicate_id_runs_the_handler_once(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record(wired.package, "on_task_deleted", monkeypatch)
    for _ in range(2):
        await _publish(wired, cloud_event(task(), type_="tasks.deleted", id_="same"))
    results = await wired.double.deliver_pending()
    assert [r.attempts[-1].verdict for r in results] == ["SUCCESS", "SUCCESS"]
    assert len(seen) == 1
    done = [k for k, v in wired.double.state.stores["statestore"].live_items() if k.startswith("myapp||processed-")]
    assert len(done) == 1


async def test_a_failed_run_releases_its_claim_so_the_redelivery_runs(
    wired: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _record(wired.package, "on_task_deleted", monkeypatch, fail=1)
    await _publish(wired, cloud_event(task(), type_="tasks.deleted", id_="again"))
    (result,) = await wired.double.deliver_pending()
    assert [a.verdict for a in result.attempts] == ["RETRY", "SUCCESS"]
    assert len(seen) == 2


async def test_job_callback_with_typed_data(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    async def on_job(data: Any, dapr: Any) -> None:
        seen.append(data)

    monkeypatch.setattr(wired.package.handlers, "on_job_task_reminder", on_job)
    reminder = {
        "task_id": "t-1",
        "title": "x",
        "due_at": "2026-01-31T10:00:00Z",
        "remind_at": "2026-01-31T09:00:00Z",
        "user_id": "u",
    }
    async with wired.double.client() as c:
        r = await c.post("/v1.0-alpha1/jobs/task-reminder", json={"dueTime": "0s", "data": reminder})
        assert r.status_code == 204, r.text
    trigger = await wired.double.trigger_job("task-reminder")
    assert trigger.status == 200
    assert seen[0].task_id == "t-1"
    async with _app(wired) as app:
        bad = await app.post("/job/task-reminder", content=b'{"task_id": 1}')
        empty = await app.post("/job/task-reminder", content=b"")
    assert (bad.status_code, empty.status_code) == (404, 404)  # not retried: the data will never fit


async def test_job_failure_is_500_for_the_failure_policy(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(data: Any, dapr: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(wired.package.handlers, "on_job_task_reminder", broken)
    body = (
        b'{"task_id":"t","title":"x","due_at":"2026-01-31T10:00:00Z","remind_at":"2026-01-31T09:00:00Z","user_id":"u"}'
    )
    async with _app(wired) as app:
        r = await app.post("/job/task-reminder", content=body)
    assert r.status_code == 500


async def test_binding_answers_options_and_200(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    async def on_import(data: Any, metadata: Any, dapr: Any) -> None:
        seen.append((data, dict(metadata)))

    monkeypatch.setattr(wired.package.handlers, "on_task_import", on_import)
    delivery = await wired.double.send_input_binding_event(
        "task-import", b'{"id":"t-9","user_id":"u","title":"x","created_at":"2026-01-01T00:00:00Z"}', {"source": "csv"}
    )
    assert delivery.listening
    assert (delivery.status, delivery.success) == (200, True)
    probe = next(c for c in wired.double.app_calls if c.method == "OPTIONS")
    assert (probe.path, probe.status) == ("/task-import", 200)
    assert seen[0][0].id == "t-9"
    assert seen[0][1]["source"] == "csv"


async def test_crud_with_etags_publishes_events(wired: Wired) -> None:
    async with _app(wired) as app:
        created = await app.post("/api/tasks", json=task("t-1"))
        assert created.status_code == 201, created.text
        etag = created.headers["etag"]
        assert (await app.post("/api/tasks", json=task("t-1", title="Other"))).status_code == 409
        got = await app.get("/api/tasks/t-1")
        assert (got.status_code, got.headers["etag"]) == (200, etag)
        updated = await app.put("/api/tasks/t-1", json=task("t-1", title="New"), headers={"if-match": etag})
        assert updated.status_code == 200, updated.text
        assert updated.headers["etag"] != etag
        stale = await app.put("/api/tasks/t-1", json=task("t-1", title="Old"), headers={"if-match": etag})
        assert stale.status_code == 412
        assert (await app.delete("/api/tasks/t-1", headers={"if-match": etag})).status_code == 412
        assert [t["title"] for t in (await app.get("/api/tasks")).json()] == ["New"]
        assert (await app.delete("/api/tasks/t-1")).status_code == 204
        assert (await app.get("/api/tasks/t-1")).status_code == 404
        assert (await app.put("/api/tasks/t-1", json=task("t-1"))).status_code == 404
        # DELETE again (a retry): the deleted item is kept a day, so its event goes out again.
        assert (await app.delete("/api/tasks/t-1")).status_code == 204
        assert (await app.delete("/api/tasks/never")).status_code == 404
        assert (await app.get("/api/tasks")).json() == []
    events = [m for m in wired.double.published if m.topic == "task-events"]
    types = [m.envelope["type"] if m.envelope else None for m in events]
    assert types == ["tasks.created", "tasks.updated", "tasks.deleted", "tasks.deleted"]


async def test_invocation_target_is_typed(wired: Wired) -> None:
    async with wired.double.client() as c:
        r = await c.post("/v1.0/invoke/myapp/method/normalize-task", json=task("t-2"))
    assert r.status_code == 200
    assert r.json()["id"] == "t-2"
