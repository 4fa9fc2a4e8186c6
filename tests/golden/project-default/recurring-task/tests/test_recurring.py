"""The recurring-task handler, driven as the sidecar drives it, over the in-memory
Dapr (tests/fake_dapr.py). Yours: regenerating the service never rewrites this file.

A stand-in task API (a small FastAPI app registered as the app the handlers invoke)
records the tasks posted to it and answers 409 for an id it has, as the task API does.
"""

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI, HTTPException, status

from app import handlers
from app.events import Task
from tests.fake_dapr import FakeDapr

# The client fixture builds the app and hands it to the fake, which delivers to it.
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("client")]

PUBSUB = "pubsub"
TOPIC = "task-events"
DEAD_LETTER_TOPIC = "task-events-dlq"
REMINDERS_TOPIC = "reminders"
COMPLETED = "tasks.completed"
CREATED = "tasks.created"
DELETED = "tasks.deleted"
REMINDER_SCHEDULED = "reminders.scheduled"
REMINDER_CANCELLED = "reminders.cancelled"


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def a_task(task_id: str, **fields: object) -> dict[str, object]:
    """A completed task as the task API publishes it (JSON)."""
    task: dict[str, object] = {
        "id": task_id,
        "user_id": "user-1",
        "title": "Pay the rent",
        "priority": "high",
        "tags": ["home"],
        "completed": True,
        "created_at": "2026-01-01T00:00:00Z",
    }
    return task | fields


MONTHLY_FROM_JAN_31 = a_task(
    "rent",
    due_at="2026-01-31T09:00:00Z",
    remind_at="2026-01-31T08:00:00Z",
    recurrence={"frequency": "monthly"},
)


@pytest.fixture
def created(fake: FakeDapr) -> list[Task]:
    """The tasks the stand-in task API received, in order (409s included)."""
    received: list[Task] = []
    api = FastAPI()

    @api.post(handlers.TASKS_PATH, status_code=status.HTTP_201_CREATED)
    async def create(task: Task) -> Task:
        taken = any(t.id == task.id for t in received)
        received.append(task)
        if taken:
            raise HTTPException(status.HTTP_409_CONFLICT, f"{task.id!r} exists")
        return task

    fake.apps[handlers.TASK_API_APP_ID] = api
    return received


async def test_month_end_series_keeps_its_anchor(
    fake: FakeDapr, created: list[Task]
) -> None:
    delivery = await fake.deliver(
        PUBSUB, TOPIC, MONTHLY_FROM_JAN_31, type=COMPLETED, id="completed-1"
    )
    assert delivery.status == "SUCCESS"
    (february,) = created
    assert february.id == "rent--202602280900"
    assert february.due_at == utc(2026, 2, 28, 9)
    assert february.remind_at == utc(2026, 2, 28, 8)  # an hour before, as before
    assert february.recurrence is not None
    assert february.recurrence.start == utc(2026, 1, 31, 9)
    assert not february.completed
    # January's reminder is cancelled; February's goes out when the task API
    # publishes its creation.
    (cancelled,) = [e for e in fake.published if e.topic == REMINDERS_TOPIC]
    assert cancelled.type == REMINDER_CANCELLED
    assert cancelled.data["task_id"] == "rent"

    # February's task completed: March 31, not March 28, thanks to the anchor.
    done = february.model_copy(update={"completed": True})
    february_done = done.model_dump(mode="json")
    delivery = await fake.deliver(
        PUBSUB, TOPIC, february_done, type=COMPLETED, id="completed-2"
    )
    assert delivery.status == "SUCCESS"
    assert created[-1].id == "rent--202603310900"
    assert created[-1].due_at == utc(2026, 3, 31, 9)


async def test_a_repeated_completion_creates_nothing_twice(
    fake: FakeDapr, created: list[Task]
) -> None:
    # A repeat with the same event id never reaches the handler (the subscription's
    # processed-event records); a new id does, as after a publisher's retry.
    for event_id in ("completed-1", "completed-1-again"):
        delivery = await fake.deliver(
            PUBSUB, TOPIC, MONTHLY_FROM_JAN_31, type=COMPLETED, id=event_id
        )
        assert delivery.status == "SUCCESS"
    first, second = created
    assert first.id == second.id == "rent--202602280900"
    assert [i.status for i in fake.invocations] == [201, 409]


async def test_an_open_tasks_reminder_is_handed_on(fake: FakeDapr) -> None:
    task = MONTHLY_FROM_JAN_31 | {"completed": False}
    delivery = await fake.deliver(PUBSUB, TOPIC, task, type=CREATED)
    assert delivery.status == "SUCCESS"
    (reminder,) = [e for e in fake.published if e.topic == REMINDERS_TOPIC]
    assert reminder.type == REMINDER_SCHEDULED
    assert reminder.data["task_id"] == "rent"
    assert reminder.data["remind_at"] == "2026-01-31T08:00:00Z"
    assert reminder.data["due_at"] == "2026-01-31T09:00:00Z"


async def test_a_deleted_tasks_reminder_is_cancelled(
    fake: FakeDapr, created: list[Task]
) -> None:
    task = MONTHLY_FROM_JAN_31 | {"completed": False}
    delivery = await fake.deliver(PUBSUB, TOPIC, task, type=DELETED)
    assert delivery.status == "SUCCESS"
    assert [e.type for e in fake.published] == [REMINDER_CANCELLED]
    assert created == []  # a deleted task has no next one


async def test_other_events_do_nothing(fake: FakeDapr, created: list[Task]) -> None:
    # A completed task's creation or change schedules nothing; nor does an event
    # of another type.
    for event_type in (CREATED, "tasks.renamed"):
        delivery = await fake.deliver(
            PUBSUB, TOPIC, MONTHLY_FROM_JAN_31, type=event_type, id=event_type
        )
        assert delivery.status == "SUCCESS"
    assert created == []
    assert fake.published == []


async def test_a_task_without_recurrence_does_nothing(
    fake: FakeDapr, created: list[Task]
) -> None:
    one_off = a_task("once", due_at="2026-01-31T09:00:00Z")
    delivery = await fake.deliver(PUBSUB, TOPIC, one_off, type=COMPLETED)
    assert delivery.status == "SUCCESS"
    assert created == []
    assert fake.published == []


async def test_the_end_of_a_series_creates_nothing(
    fake: FakeDapr, created: list[Task]
) -> None:
    last = a_task(
        "weekly",
        due_at="2026-01-31T09:00:00Z",
        recurrence={"frequency": "weekly", "until": "2026-02-01T00:00:00Z"},
    )
    delivery = await fake.deliver(PUBSUB, TOPIC, last, type=COMPLETED)
    assert delivery.status == "SUCCESS"
    assert created == []


async def test_an_invalid_rrule_is_dead_lettered(
    fake: FakeDapr, created: list[Task]
) -> None:
    broken = a_task(
        "broken",
        due_at="2026-01-31T09:00:00Z",
        recurrence={"frequency": "daily", "rrule": "FREQ=SOMETIMES"},
    )
    delivery = await fake.deliver(PUBSUB, TOPIC, broken, type=COMPLETED)
    assert delivery.status == "DROP"
    assert created == []
    assert [e.topic for e in fake.published] == [DEAD_LETTER_TOPIC]


async def test_a_long_id_keeps_to_the_limit() -> None:
    due = utc(2026, 2, 28, 9)
    long_id = handlers.next_task_id("x" * 128, due)
    assert len(long_id) == 128
    assert long_id.endswith("--202602280900")
    # Its own successor shares the root.
    assert handlers.next_task_id(long_id, utc(2026, 3, 31, 9)) == long_id.replace(
        "202602280900", "202603310900"
    )


async def test_an_unreachable_task_api_means_retry(fake: FakeDapr) -> None:
    # No stand-in registered: the sidecar cannot find the task API (a 500).
    delivery = await fake.deliver(PUBSUB, TOPIC, MONTHLY_FROM_JAN_31, type=COMPLETED)
    assert delivery.status == "RETRY"
    # The cancellation went out before the failure; the redelivery sends it again,
    # which is harmless.
    assert [e.type for e in fake.published] == [REMINDER_CANCELLED]
