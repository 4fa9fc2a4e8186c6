"""The todo system end to end: its three generated services run in one process, each behind its own sidecar
double, sharing a broker, the state store and the scheduler clock, and calling each other by app id.

One monthly task is created on January 31, completed, and followed by its next instance (due February 28: the
month's end, not March 3), whose reminder job fires and sends one notification. Then the faults: the recurring
service's call to the task API fails once, a notifier fails once, and a reminder is delivered twice; nothing is
lost and nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill.pipeline import generate
from skill.specs.project import TODO_SYSTEM
from tests.sidecar import SidecarMesh

pytestmark = pytest.mark.anyio

TOKEN = "app-token-for-the-mesh"
UTC = dt.UTC
PACKAGES = {"task-api": "todo_tasks", "recurring-task": "todo_recurring", "notification": "todo_notify"}


def _load(root: Path) -> dict[str, dict[str, ModuleType]]:
    """Render the todo preset with a package name per service (three `app` packages cannot share one process)."""
    spec = json.loads(json.dumps(TODO_SYSTEM))
    for s in spec["services"]:
        s["package"] = PACKAGES[s["app_id"]]
    result = generate("project", spec)
    for f in result.files:
        path = root / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
    loaded: dict[str, dict[str, ModuleType]] = {}
    for app_id, package in PACKAGES.items():
        sys.path.insert(0, str(root / app_id))
        try:
            loaded[app_id] = {
                m: importlib.import_module(f"{package}.{m}") for m in ("main", "handlers", "dapr_client", "settings")
            }
        finally:
            sys.path.remove(str(root / app_id))
    return loaded


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, ModuleType]]:
    return _load(tmp_path_factory.mktemp("todo_system"))


@dataclass
class System:
    mesh: SidecarMesh
    modules: dict[str, dict[str, ModuleType]]
    sent: list[tuple[str, str]]  # (task id, remind_at) each time the notifier really sent


class RecordingNotifier:
    def __init__(self, sent: list[tuple[str, str]], fail_first: int = 0) -> None:
        self.sent = sent
        self.failures_left = fail_first

    async def send(self, reminder: Any) -> str:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("the mail server is down")
        self.sent.append((reminder.task_id, reminder.remind_at.isoformat()))
        return "test"


@pytest.fixture
async def system(modules: dict[str, dict[str, ModuleType]], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[System]:
    mesh = SidecarMesh(state_stores=("statestore",), pubsubs=("pubsub",), dead_letter_on_retry_exhausted=True)
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(modules["notification"]["handlers"], "notifier", RecordingNotifier(sent))
    async with AsyncExitStack() as stack:
        for app_id, m in modules.items():
            double = mesh.add(app_id, app_api_token=TOKEN)
            http = await stack.enter_async_context(mesh.client(app_id))
            client = m["dapr_client"]
            dapr = await stack.enter_async_context(
                client.DaprClient(client.DaprSettings(http_endpoint="http://127.0.0.1:3500"), http_client=http)
            )
            app = m["main"].create_app(dapr=dapr, settings=m["settings"].Settings(), app_api_token=TOKEN)
            double.channel.app = app
        await mesh.start()
        yield System(mesh, modules, sent)


def _task(task_id: str) -> dict[str, Any]:
    return {
        "id": task_id,
        "user_id": "u-1",
        "title": "Pay the rent",
        "due_at": "2027-01-31T09:00:00Z",
        "remind_at": "2027-01-31T08:00:00Z",
        "recurrence": {"frequency": "monthly"},
        "created_at": "2027-01-01T00:00:00Z",
    }


async def _create_and_complete(system: System, task_id: str) -> None:
    async with system.mesh.client("task-api") as api:
        created = await api.post("/v1.0/invoke/task-api/method/api/tasks", json=_task(task_id))
        assert created.status_code == 201, created.text
        done = await api.post(f"/v1.0/invoke/task-api/method/api/tasks/{task_id}/complete")
        assert done.status_code == 200, done.text


def _types(system: System, topic: str) -> list[str]:
    return [m.envelope["type"] for m in system.mesh.published if m.topic == topic and m.envelope]


def _for(message: Any, task_id: str) -> bool:
    return message.envelope is not None and message.envelope["data"]["task_id"] == task_id


def _stored(system: System, task_id: str) -> dict[str, Any]:
    """The task as the task API stored it (its state key is the resource's name and the task's id)."""
    item = system.mesh.get_state("task-api", "statestore", f"tasks:{task_id}")
    assert item is not None, task_id
    value: dict[str, Any] = json.loads(item.data)
    return value


async def test_a_monthly_task_from_creation_to_notification(system: System) -> None:
    await _create_and_complete(system, "rent")
    await system.mesh.deliver_pending()

    # The next instance, created through the task API by service invocation: the end of February.
    following = _stored(system, "rent--202702280900")
    assert following["due_at"] == "2027-02-28T09:00:00Z"
    assert following["remind_at"] == "2027-02-28T08:00:00Z"
    assert following["recurrence"]["start"] == "2027-01-31T09:00:00Z"  # the anchor, so March is the 31st again
    assert following["completed"] is False
    assert _types(system, "task-events") == ["tasks.created", "tasks.completed", "tasks.created"]
    # January's reminder went out with its task and was cancelled on completion; February's went out with it.
    assert _types(system, "reminders") == ["reminders.scheduled", "reminders.cancelled", "reminders.scheduled"]

    # The notification service scheduled the reminder job on its own sidecar; it fires at 08:00 on Feb 28.
    # January's job was deleted when its task was completed, so nothing fires before.
    assert not await system.mesh.fire_due_jobs(dt.datetime(2027, 2, 28, 7, 59, tzinfo=UTC))
    fired = await system.mesh.fire_due_jobs(dt.datetime(2027, 2, 28, 8, 0, 30, tzinfo=UTC))
    assert [f.app_id for f in fired] == ["notification"]
    assert system.sent == [("rent--202702280900", "2027-02-28T08:00:00+00:00")]
    await system.mesh.deliver_pending()
    assert _types(system, "task-updates") == ["notification_sent"]
    sent_event = next(m for m in system.mesh.published if m.topic == "task-updates")
    assert sent_event.envelope is not None
    assert sent_event.envelope["data"]["task_id"] == "rent--202702280900"
    assert not system.mesh.dead_lettered

    # Completing February's task gives March 31 (counted from the anchor, not from February 28).
    async with system.mesh.client("task-api") as api:
        done = await api.post("/v1.0/invoke/task-api/method/api/tasks/rent--202702280900/complete")
        assert done.status_code == 200
    await system.mesh.deliver_pending()
    assert _stored(system, "rent--202703310900")["due_at"] == "2027-03-31T09:00:00Z"


async def test_failures_and_redeliveries_lose_nothing_and_send_nothing_twice(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The recurring service's call to the task API fails once: its delivery is retried, the task is made once.
    system.mesh["recurring-task"].faults.add(method="POST", path=r"^/v1\.0/invoke/task-api/", status=500, times=1)
    # The notifier fails on its first attempt: the job's failure policy retries it.
    notifier = RecordingNotifier(system.sent, fail_first=1)
    monkeypatch.setattr(system.modules["notification"]["handlers"], "notifier", notifier)

    await _create_and_complete(system, "gym")
    deliveries = await system.mesh.deliver_pending()
    assert not system.mesh.dead_lettered, [d.outcome for d in deliveries]
    assert _stored(system, "gym--202702280900")["due_at"] == "2027-02-28T09:00:00Z"
    assert _types(system, "task-events").count("tasks.created") == 2  # the first and the next, once each

    # The reminder is delivered a second time (at least once): the same CloudEvent again.
    reminder = next(m for m in system.mesh.published if m.topic == "reminders" and _for(m, "gym--202702280900"))
    async with system.mesh.client("recurring-task") as sidecar:
        again = await sidecar.post(
            "/v1.0/publish/pubsub/reminders",
            json=reminder.envelope,
            headers={"content-type": "application/cloudevents+json"},
        )
        assert again.status_code == 204
    await system.mesh.deliver_pending()

    moment = dt.datetime(2027, 2, 28, 8, 0, 30, tzinfo=UTC)
    fired = []
    for _ in range(4):  # the failed attempt, its retry a minute later (the job's failure policy), nothing after
        fired += await system.mesh.fire_due_jobs(moment)
        moment += dt.timedelta(seconds=61)
    assert [(f.retry, f.trigger.status) for f in fired] == [(False, 500), (True, 200)]
    assert notifier.failures_left == 0
    assert system.sent == [("gym--202702280900", "2027-02-28T08:00:00+00:00")]  # exactly once
    await system.mesh.deliver_pending()
    assert _types(system, "task-updates") == ["notification_sent"]

    # The same reminder published again after it was sent (the recurring service republishes after a 409): a new
    # event, so the job is scheduled and fires again, and the notification service's record stops a second send.
    assert reminder.envelope is not None
    async with system.mesh.client("recurring-task") as sidecar:
        r = await sidecar.post("/v1.0/publish/pubsub/reminders", json=reminder.envelope["data"])
        assert r.status_code == 204
    await system.mesh.deliver_pending()
    late = await system.mesh.fire_due_jobs(moment + dt.timedelta(minutes=5))
    assert [(f.name, f.trigger.status) for f in late] == [("reminder-gym--202702280900", 200)]
    assert len(system.sent) == 1
    await system.mesh.deliver_pending()
    assert _types(system, "task-updates") == ["notification_sent"]
    assert not system.mesh.dead_lettered


async def test_a_one_off_task_is_reminded_and_a_deleted_one_is_not(system: System) -> None:
    once = {**_task("call"), "recurrence": None, "due_at": "2027-03-01T09:00:00Z", "remind_at": "2027-03-01T08:00:00Z"}
    gone = {**once, "id": "dentist"}
    async with system.mesh.client("task-api") as api:
        for task in (once, gone):
            r = await api.post("/v1.0/invoke/task-api/method/api/tasks", json=task)
            assert r.status_code == 201, r.text
        assert (await api.delete("/v1.0/invoke/task-api/method/api/tasks/dentist")).status_code == 204
    await system.mesh.deliver_pending()
    fired = await system.mesh.fire_due_jobs(dt.datetime(2027, 3, 1, 8, 0, 30, tzinfo=UTC))
    assert [f.name for f in fired] == ["reminder-call"]
    assert system.sent == [("call", "2027-03-01T08:00:00+00:00")]
    assert not system.mesh.dead_lettered
