"""A generated service run through its real lifespan against the sidecar double served on a socket: the app
opens its one client from the environment, waits for the sidecar, and then serves what Dapr calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.service.conftest import import_app
from tests.sidecar import SidecarDouble, serve_double

pytestmark = pytest.mark.anyio

TOKEN = "app-token-for-the-double"
SPEC: dict[str, Any] = {
    "subscriptions": [{"topic": "task-events", "model": "Task", "handler": "on_task_event", "idempotent": True}],
    "jobs": [{"name": "reminder", "model": "ReminderEvent", "prefix": True}],
}


@dataclass
class Running:
    modules: dict[str, ModuleType]
    double: SidecarDouble
    app: Any


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return import_app(SPEC, tmp_path_factory.mktemp("service_double"))


@pytest.fixture
async def running(modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Running]:
    double = SidecarDouble(
        app_id="task-api",
        app_api_token=TOKEN,
        state_stores=("statestore",),
        pubsubs=("pubsub",),
        dead_letter_on_retry_exhausted=True,
    )
    async with serve_double(double) as sidecar:
        monkeypatch.setenv("DAPR_HTTP_ENDPOINT", sidecar.base_url)
        monkeypatch.setenv("APP_API_TOKEN", TOKEN)
        app = modules["main"].create_app(settings=modules["settings"].Settings())
        double.channel.app = app
        async with app.router.lifespan_context(app):  # opens the client, waits for the sidecar
            yield Running(modules, double, app)
    assert app.state.dapr is not None


def _task(task_id: str) -> dict[str, Any]:
    return {"id": task_id, "user_id": "u-1", "title": "Pay rent", "created_at": "2027-01-01T00:00:00Z"}


async def test_crud_through_service_invocation_publishes_and_is_delivered(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []

    async def on_task_event(event: Any, dapr: Any) -> None:
        seen.append((event.type, event.payload().id))

    monkeypatch.setattr(running.modules["handlers"], "on_task_event", on_task_event)
    await running.double.load_subscriptions()
    async with running.double.client() as sidecar:
        created = await sidecar.post("/v1.0/invoke/task-api/method/api/tasks", json=_task("t-1"))
        assert created.status_code == 201, created.text
        done = await sidecar.post("/v1.0/invoke/task-api/method/api/tasks/t-1/complete")
        assert done.status_code == 200, done.text
    results = await running.double.deliver_pending()
    assert [r.outcome for r in results] == ["delivered", "delivered"]
    assert seen == [("tasks.created", "t-1"), ("tasks.completed", "t-1")]
    stored = running.double.get_state("statestore", "tasks:t-1")
    assert stored is not None


async def test_a_redelivered_event_runs_its_handler_once(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    async def on_task_event(event: Any, dapr: Any) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise ConnectionError("the first attempt fails")

    monkeypatch.setattr(running.modules["handlers"], "on_task_event", on_task_event)
    await running.double.load_subscriptions()
    async with running.double.client() as sidecar:
        r = await sidecar.post("/v1.0/invoke/task-api/method/api/tasks", json=_task("t-2"))
        assert r.status_code == 201
    results = await running.double.deliver_pending()
    assert [r.outcome for r in results] == ["delivered"]
    assert len(calls) == 2  # failed once (RETRY), then handled: nothing lost
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app), base_url="http://app") as app:
        event = running.double.published[-1].envelope  # the same CloudEvent (source and id) once more
        again = await app.post(
            "/events/pubsub/task-events",
            json=event,
            headers={"dapr-api-token": TOKEN, "content-type": "application/cloudevents+json"},
        )
    assert again.json() == {"status": "SUCCESS"}
    assert len(calls) == 2  # the same CloudEvent id again: acknowledged, not handled twice


async def test_per_item_jobs_fire_into_the_handler(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    fired: list[str] = []

    async def on_job_reminder(data: Any, dapr: Any) -> None:
        fired.append(data.task_id)

    monkeypatch.setattr(running.modules["handlers"], "on_job_reminder", on_job_reminder)
    reminder = {"task_id": "t-3", "title": "x", "due_at": "2027-01-31T10:00:00Z", "remind_at": "2027-01-31T09:00:00Z",
                "user_id": "u-1"}  # fmt: skip
    async with running.double.client() as sidecar:
        r = await sidecar.post("/v1.0-alpha1/jobs/reminder-t-3", json={"dueTime": "0s", "data": reminder})
        assert r.status_code == 204, r.text
    assert (await running.double.trigger_job("reminder-t-3")).status == 200
    assert fired == ["t-3"]


async def test_readiness_and_liveness(running: Running) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app), base_url="http://app") as app:
        assert (await app.get("/healthz")).status_code == 204
        assert (await app.get("/readyz")).status_code == 204
        running.double.faults.add(method="GET", path="/v1.0/healthz/outbound", status=500)
        assert (await app.get("/readyz")).status_code == 503


async def test_the_environment_sets_the_docs_switch_and_the_body_limits(
    modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    def client(app: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")

    async with client(modules["main"].create_app(settings=modules["settings"].Settings())) as default:
        assert (await default.get("/openapi.json")).status_code == 404  # off unless asked for
        assert (await default.post("/api/tasks", content=b"x" * 2_000_000)).status_code == 413  # 1 MiB
    monkeypatch.setenv("API_DOCS", "true")
    monkeypatch.setenv("MAX_PUBLIC_BODY_BYTES", "500")
    monkeypatch.setenv("MAX_DAPR_BODY_BYTES", "700")
    settings = modules["settings"].Settings()
    app = modules["main"].create_app(settings=settings)
    assert (app.state.body_limits.public, app.state.body_limits.dapr) == (500, 700)
    async with client(app) as c:
        assert "/api/tasks" in (await c.get("/openapi.json")).json()["paths"]
        assert (await c.post("/api/tasks", json=_task("t-" + "1" * 600))).status_code == 413
    monkeypatch.setenv("MAX_PUBLIC_BODY_BYTES", "0")
    with pytest.raises(ValueError, match=r"MAX_PUBLIC_BODY_BYTES"):
        modules["settings"].Settings()
