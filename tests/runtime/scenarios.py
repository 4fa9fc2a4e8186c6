"""The todo system's scenarios (issue 15), written against tests/runtime/system.py's TodoSystem so that the
same code runs on real daprd and on a fake. A failure is a bug in what we generate, never a reason to loosen a
scenario.

Each scenario uses task ids of its own, so the calm ones run side by side on one system; those that count an
app's requests (which other scenarios' traffic would blur) and the disruptive ones (they cut the broker or
restart everything) run alone afterwards, one by one. Waiting is bounded: `eventually`
polls until a condition holds, `QUIET` is how long "nothing more happens" is watched for.

Hooks a fake needs, per scenario: every scenario uses `api` and `events`; see `Scenario.hooks` for the rest.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from tests.runtime.system import TodoSystem

S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)

QUIET = 8.0  # seconds during which a duplicate pub/sub delivery would have shown up
WAIT = 40.0  # the longest any one expected effect may take
JOB_RETRY_WAIT = 60.0  # bounds the job's retry (5 s here, hooks.shorten_job_retry) and the send after it
RESTART_WAIT = 150.0  # bounds the broker's redelivery after the restart and the job's retry (hooks.TEST_RETRY)


async def eventually(what: str, check: Callable[[], Any], within: float = WAIT) -> Any:
    """Poll `check` (sync or async) until it returns something truthy; fail with `what` after `within` s."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"not within {within:.0f} s: {what} (last: {last!r})")


def new_task(tag: str, **fields: Any) -> dict[str, Any]:
    """A valid Task with an id no other scenario uses."""
    task_id = f"{tag}-{uuid.uuid4().hex[:8]}"
    return {
        "id": task_id,
        "user_id": f"user-{task_id}",
        "title": f"title {task_id}",
        "created_at": datetime.now(UTC).isoformat(),
        **fields,
    }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def of_task(events: list[dict[str, Any]], task_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if isinstance(e.get("data"), dict)
        and (e["data"].get("id") == task_id or e["data"].get("task_id") == task_id)
        and (event_type is None or e.get("type") == event_type)
    ]


def notified(system: TodoSystem, task_id: str) -> list[str]:
    return [line for line in system.notifications() if task_id in line]


async def create(system: TodoSystem, task: dict[str, Any]) -> dict[str, Any]:
    answer = await system.api("task-api").post("/api/tasks", json=task)
    assert answer.status_code == 201, f"create {task['id']}: {answer.status_code} {answer.text}"
    created: dict[str, Any] = answer.json()
    return created


async def sent_exactly_once(system: TodoSystem, task_id: str, within: float = WAIT) -> None:
    """One notifier send and one notification_sent event for the task, its reminder job done (a job whose
    trigger failed stays scheduled, and its failure policy triggers it again: a minute later as generated, 5 s in
    these systems, hooks.shorten_job_retry), and still one of each after QUIET."""
    await eventually(f"a notification for {task_id}", lambda: notified(system, task_id), within)
    await eventually(
        f"notification_sent for {task_id}",
        lambda: of_task(system.events("task-updates"), task_id, "notification_sent"),
        within,
    )

    async def job_done() -> bool:
        return not await system.job_scheduled("notification", f"reminder-{task_id}")

    await eventually(f"reminder-{task_id} done, no retry pending", job_done, QUIET * 2)
    await asyncio.sleep(QUIET)
    sends = notified(system, task_id)
    announced = of_task(system.events("task-updates"), task_id, "notification_sent")
    assert (len(sends), len(announced)) == (1, 1), (
        f"{task_id}: {len(sends)} sends, {len(announced)} notification_sent events (want 1 and 1)"
    )


# --- the scenarios ---------------------------------------------------------------------------------------------
async def crud(system: TodoSystem) -> None:
    """Create, read, list, update (and a stale ETag refused), complete, delete, each change published once."""
    api = system.api("task-api")
    task = new_task("crud")
    await create(system, task)
    read = await api.get(f"/api/tasks/{task['id']}")
    assert read.status_code == 200, read.text
    assert read.json()["title"] == task["title"], read.text
    etag = read.headers.get("ETag")
    assert etag, "GET answers without an ETag"
    listed = await api.get("/api/tasks")
    assert listed.status_code == 200, listed.text
    assert task["id"] in [t["id"] for t in listed.json()], "the new task is not listed"
    changed = {**read.json(), "title": "changed"}
    updated = await api.put(f"/api/tasks/{task['id']}", json=changed, headers={"If-Match": etag})
    assert updated.status_code == 200, updated.text
    stale = await api.put(f"/api/tasks/{task['id']}", json={**changed, "title": "lost"}, headers={"If-Match": etag})
    assert stale.status_code == 412, f"a stale If-Match: {stale.status_code} {stale.text}"
    assert (await api.get(f"/api/tasks/{task['id']}")).json()["title"] == "changed"
    completed = await api.post(f"/api/tasks/{task['id']}/complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["completed"] is True, completed.text
    deleted = await api.delete(f"/api/tasks/{task['id']}")
    assert deleted.status_code == 204, deleted.text
    assert (await api.get(f"/api/tasks/{task['id']}")).status_code == 404
    wanted = ["tasks.created", "tasks.updated", "tasks.completed", "tasks.deleted"]
    await eventually(
        "every change published", lambda: len(of_task(system.events("task-events"), task["id"])) >= len(wanted)
    )
    await asyncio.sleep(QUIET)
    types = sorted(e["type"] for e in of_task(system.events("task-events"), task["id"]))
    assert types == sorted(wanted), f"task-events for {task['id']}: {types}"


async def _next_instance(system: TodoSystem, task: dict[str, Any], next_due: datetime) -> None:
    await create(system, task)
    done = await system.api("task-api").post(f"/api/tasks/{task['id']}/complete")
    assert done.status_code == 200, done.text
    next_id = f"{task['id']}--{next_due.strftime('%Y%m%d%H%M')}"

    async def fetched() -> Any:
        answer = await system.api("task-api").get(f"/api/tasks/{next_id}")
        return answer.json() if answer.status_code == 200 else None

    following = await eventually(f"the next instance {next_id}", fetched)
    assert datetime.fromisoformat(following["due_at"]) == next_due, following
    assert following["completed"] is False
    await asyncio.sleep(QUIET)
    created = of_task(system.events("task-events"), next_id, "tasks.created")
    assert len(created) == 1, f"{next_id} created {len(created)} times"


async def recurring_daily(system: TodoSystem) -> None:
    """A daily task completed: the next one is due a day later."""
    due = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)
    task = new_task("daily", due_at=iso(due), recurrence={"frequency": "daily", "interval": 1})
    await _next_instance(system, task, due + timedelta(days=1))


async def recurring_monthly_jan31(system: TodoSystem) -> None:
    """A monthly task due January 31, completed: the next one is due February 28 (the month's end)."""
    due = datetime(2031, 1, 31, 9, 0, tzinfo=UTC)
    task = new_task("monthly", due_at=iso(due), recurrence={"frequency": "monthly", "interval": 1})
    await _next_instance(system, task, datetime(2031, 2, 28, 9, 0, tzinfo=UTC))


def _with_reminder(tag: str, seconds: float) -> dict[str, Any]:
    now = datetime.now(UTC)
    return new_task(tag, due_at=iso(now + timedelta(hours=1)), remind_at=iso(now + timedelta(seconds=seconds)))


async def reminder_sent_once(system: TodoSystem) -> None:
    """A task with a reminder: the job fires through the scheduler, one notification, one notification_sent."""
    task = _with_reminder("remind", 3)
    await create(system, task)
    await sent_exactly_once(system, task["id"])


async def reminder_duplicate_delivery(system: TodoSystem) -> None:
    """The same reminder event (one CloudEvent id) published twice: still one notification."""
    task = _with_reminder("dup", 3)
    reminder = {k: task[k] for k in ("title", "due_at", "remind_at", "user_id")} | {"task_id": task["id"]}
    event_id = str(uuid.uuid4())
    for _ in range(2):
        await system.publish("reminders", reminder, event_id=event_id, event_type="reminders.scheduled")
    await sent_exactly_once(system, task["id"])
    # The duplicate is acknowledged as done, not retried into the dead-letter topic.
    await asyncio.sleep(QUIET)
    assert of_task(system.dead_letters("reminders"), task["id"]) == [], "the duplicate went to reminders-dlq"


async def reminder_first_attempt_fails(system: TodoSystem) -> None:
    """The notifier fails on the job's first trigger: the job's retry sends it, once."""
    task = _with_reminder("retry", 3)
    system.fail_next_notifications(task["id"], 1)
    await create(system, task)
    await eventually("the notifier's failure", lambda: system.failed_notifications(task["id"]) == 1)
    await sent_exactly_once(system, task["id"], within=JOB_RETRY_WAIT)


async def deleted_task_reminder_never_fires(system: TodoSystem) -> None:
    """A task deleted before its reminder is due: no notification, ever."""
    task = _with_reminder("deleted", 12)
    await create(system, task)
    await eventually(
        "the reminder handed on", lambda: of_task(system.events("reminders"), task["id"], "reminders.scheduled")
    )
    deleted = await system.api("task-api").delete(f"/api/tasks/{task['id']}")
    assert deleted.status_code == 204, deleted.text
    await eventually(
        "the reminder cancelled", lambda: of_task(system.events("reminders"), task["id"], "reminders.cancelled")
    )
    await asyncio.sleep(12 + QUIET)
    assert notified(system, task["id"]) == [], "a deleted task's reminder was sent"


async def bad_input_refused(system: TodoSystem) -> None:
    """Bad input to the public API: 4xx naming the field; nothing stored, nothing published."""
    api = system.api("task-api")
    task = new_task("bad", title="")
    answer = await api.post("/api/tasks", json=task)
    assert 400 <= answer.status_code < 500, answer.text
    assert "title" in answer.text, f"the answer does not name the field: {answer.text}"
    assert (await api.get(f"/api/tasks/{task['id']}")).status_code == 404
    wrong_id = await api.put(f"/api/tasks/{task['id']}", json={**new_task("other")})
    assert 400 <= wrong_id.status_code < 500, wrong_id.text
    await asyncio.sleep(QUIET)
    assert of_task(system.events("task-events"), task["id"]) == [], "bad input was published"


async def garbage_event_dropped(system: TodoSystem) -> None:
    """A raw payload that is no task event: dropped to the dead-letter topic at the first delivery, not retried."""
    marker = f"garbage-{uuid.uuid4().hex[:8]}"
    route = await system.delivery_route("recurring-task", "task-events")
    before = len(system.requests("recurring-task", "POST", route))
    await system.publish("task-events", {"not": "a task", "marker": marker}, raw=True)

    def in_dead_letters() -> bool:
        return any(marker in str(e) for e in system.dead_letters("task-events"))

    await eventually("the garbage event in task-events-dlq", in_dead_letters)
    codes = system.requests("recurring-task", "POST", route)[before:]
    assert len(codes) == 1, f"the garbage event was delivered {len(codes)} times ({codes}): retried, not dropped"


async def invocation_4xx_at_once(system: TodoSystem) -> None:
    """A 409 from the task API through service invocation comes back at once, not retried by resiliency."""
    task = new_task("conflict")

    def conflicts() -> int:
        return system.requests("task-api", "POST", "/api/tasks").count(409)

    await create(system, task)
    before = conflicts()
    # Another task under a taken id (the same one again may be answered as an idempotent create).
    taken = {**task, "title": "another task"}
    answer = await system.invoke("recurring-task", "task-api", "POST", "/api/tasks", taken)
    assert answer.status_code == 409, f"{answer.status_code} {answer.text}"
    # On daprd the record is the app's access log, written a moment after the answer; daprd retries before it
    # answers, so every attempt is there once the first 409 is (a second for stragglers).
    await eventually("the 409 in the task API's record", lambda: conflicts() > before, 10)
    await asyncio.sleep(1)
    attempts = conflicts() - before
    assert attempts == 1, f"the task API answered 409 {attempts} times: the 409 was retried"


async def broker_down_at_publish(system: TodoSystem) -> None:
    """The broker is down for a moment when a task is created: its reminder still goes out, once."""
    await system.broker_outage(10)
    task = _with_reminder("outage", 15)
    answer = await system.api("task-api").post("/api/tasks", json=task)
    if answer.status_code != 201:  # a user retries a failed create
        await asyncio.sleep(12)
        answer = await system.api("task-api").post("/api/tasks", json=task)
        assert answer.status_code in (201, 409), answer.text
    await sent_exactly_once(system, task["id"], within=60)


async def restart_mid_flow(system: TodoSystem) -> None:
    """Every service restarts between a reminder's scheduling and its firing, and after a completion: the
    reminder is sent once and the next instance is created."""
    task = _with_reminder("restart", 15)
    await create(system, task)
    await eventually(
        "the reminder handed on", lambda: of_task(system.events("reminders"), task["id"], "reminders.scheduled")
    )
    due = datetime(2032, 5, 1, 9, 0, tzinfo=UTC)
    daily = new_task("restart-daily", due_at=iso(due), recurrence={"frequency": "daily", "interval": 1})
    await create(system, daily)
    done = await system.api("task-api").post(f"/api/tasks/{daily['id']}/complete")
    assert done.status_code == 200, done.text
    await system.restart()
    next_id = f"{daily['id']}--{(due + timedelta(days=1)).strftime('%Y%m%d%H%M')}"

    async def next_exists() -> bool:
        return (await system.api("task-api").get(f"/api/tasks/{next_id}")).status_code == 200

    # An event in flight at the stop is delivered again once the broker gives up on its consumer: Redis Streams
    # reclaims it once idle for processingTimeout (60 s by default), checked every redeliverInterval (15 s).
    await eventually(f"the next instance {next_id} after the restart", next_exists, RESTART_WAIT)
    await sent_exactly_once(system, task["id"], within=RESTART_WAIT)


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[TodoSystem], Awaitable[None]]
    hooks: tuple[str, ...]  # beyond `api` and `events`

    @property
    def alone(self) -> bool:
        """Run by itself: it counts requests, or it disturbs the whole system."""
        return bool({"requests", "broker_outage", "restart"} & set(self.hooks))


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("crud", crud, ()),
    Scenario("recurring daily", recurring_daily, ()),
    Scenario("recurring monthly jan 31", recurring_monthly_jan31, ()),
    Scenario("reminder sent once", reminder_sent_once, ("notifications", "job_scheduled")),
    Scenario(
        "reminder delivered twice",
        reminder_duplicate_delivery,
        ("publish", "notifications", "job_scheduled", "dead_letters"),
    ),
    Scenario(
        "reminder first attempt fails",
        reminder_first_attempt_fails,
        ("fail_next_notifications", "failed_notifications", "notifications", "job_scheduled"),
    ),
    Scenario("deleted task never reminded", deleted_task_reminder_never_fires, ("notifications",)),
    Scenario("bad input refused", bad_input_refused, ()),
    Scenario("garbage event dropped", garbage_event_dropped, ("publish", "dead_letters", "delivery_route", "requests")),
    Scenario("invocation 4xx at once", invocation_4xx_at_once, ("invoke", "requests")),
    Scenario("broker down at publish", broker_down_at_publish, ("broker_outage", "notifications", "job_scheduled")),
    Scenario("restart mid-flow", restart_mid_flow, ("restart", "notifications", "job_scheduled")),
)  # fmt: skip


class Runnable(Protocol[S_contra]):
    """What `run_scenarios` needs of a scenario (this module's and spec_scenarios.py's)."""

    @property
    def name(self) -> str: ...
    @property
    def alone(self) -> bool: ...
    @property
    def run(self) -> Callable[[S_contra], Awaitable[None]]: ...


async def run_scenarios(system: S, chosen: Sequence[Runnable[S]]) -> dict[str, str | None]:
    """Run `chosen` on `system`: the calm ones side by side, then the others one by one. Answers each scenario's
    failure (None: passed; 'n/a: ...' where the system lacks a hook)."""

    async def outcome(scenario: Runnable[S]) -> str | None:
        try:
            await scenario.run(system)
        except NotImplementedError as exc:
            return f"n/a: {exc}"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    calm = [s for s in chosen if not s.alone]
    results = dict(zip([s.name for s in calm], await asyncio.gather(*(outcome(s) for s in calm)), strict=True))
    for scenario in chosen:
        if scenario.alone:
            results[scenario.name] = await outcome(scenario)
    return results


async def run_all(system: TodoSystem, names: tuple[str, ...] | None = None) -> dict[str, str | None]:
    """Run the todo scenarios (all, or `names`) with `run_scenarios`."""
    return await run_scenarios(system, [s for s in SCENARIOS if names is None or s.name in names])
