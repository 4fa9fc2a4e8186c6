"""The notification handlers, driven as the sidecar drives them, over the in-memory
Dapr (tests/fake_dapr.py). Yours: regenerating the service never rewrites this file.

`handlers.notifier` is replaced by one that records what it sends.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import handlers
from app.dapr_client import DaprClient
from app.events import ReminderEvent
from app.settings import get_settings
from tests.fake_dapr import FakeDapr

# The client fixture builds the app and hands it to the fake, which calls it.
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("client")]

PUBSUB = "pubsub"
TOPIC = "reminders"
UPDATES_TOPIC = "task-updates"
NOTIFICATION_SENT = "notification_sent"
JOB = "reminder" + "-t-1"  # the job of task t-1
REMINDER_CANCELLED = "reminders.cancelled"


class RecordingNotifier:
    """Records what it sends; fails the first `failures` sends."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[ReminderEvent] = []
        self.failures = failures

    async def send(self, reminder: ReminderEvent) -> str:
        if self.failures:
            self.failures -= 1
            msg = "the mail server is down"
            raise ConnectionError(msg)
        self.sent.append(reminder)
        return "test"


@pytest.fixture
def notifier(monkeypatch: pytest.MonkeyPatch) -> RecordingNotifier:
    recording = RecordingNotifier()
    monkeypatch.setattr(handlers, "notifier", recording)
    return recording


def a_reminder(remind_at: datetime) -> dict[str, Any]:
    """A reminder event's data (JSON) for task t-1."""
    return {
        "task_id": "t-1",
        "title": "Pay the rent",
        "due_at": (remind_at + timedelta(hours=1)).isoformat(),
        "remind_at": remind_at.isoformat(),
        "user_id": "user-1",
        "priority": "high",
        "tags": ["home"],
    }


def sent_events(fake: FakeDapr) -> list[dict[str, Any]]:
    return [
        e.data
        for e in fake.published
        if e.topic == UPDATES_TOPIC and e.type == NOTIFICATION_SENT
    ]


async def test_a_reminder_event_schedules_its_job(fake: FakeDapr) -> None:
    remind_at = datetime(2099, 1, 31, 8, tzinfo=UTC)
    delivery = await fake.deliver(PUBSUB, TOPIC, a_reminder(remind_at))
    assert delivery.status == "SUCCESS"
    job = fake.jobs[JOB]
    assert job.due_time == "2099-01-31T08:00:00Z"
    assert ReminderEvent.model_validate(job.data).remind_at == remind_at


async def test_a_cancelled_reminder_deletes_its_job(fake: FakeDapr) -> None:
    remind_at = datetime(2099, 1, 31, 8, tzinfo=UTC)
    await fake.deliver(PUBSUB, TOPIC, a_reminder(remind_at), id="scheduled")
    assert JOB in fake.jobs
    for event_id in ("cancelled", "cancelled-again"):  # a job that is gone: still fine
        delivery = await fake.deliver(
            PUBSUB, TOPIC, a_reminder(remind_at), type=REMINDER_CANCELLED, id=event_id
        )
        assert delivery.status == "SUCCESS"
    assert JOB not in fake.jobs


async def test_a_past_reminder_is_due_now(fake: FakeDapr) -> None:
    before = datetime.now(UTC)
    await fake.deliver(PUBSUB, TOPIC, a_reminder(datetime(2020, 1, 1, tzinfo=UTC)))
    due_time = fake.jobs[JOB].due_time
    assert due_time is not None
    due = datetime.fromisoformat(due_time)
    assert before <= due <= datetime.now(UTC)


async def test_the_job_sends_once_and_publishes(
    fake: FakeDapr, notifier: RecordingNotifier
) -> None:
    remind_at = datetime(2099, 1, 31, 8, tzinfo=UTC)
    await fake.deliver(PUBSUB, TOPIC, a_reminder(remind_at), id="reminder-1")
    assert await fake.trigger_job(JOB) == 200
    (sent,) = notifier.sent
    assert sent.task_id == "t-1"
    (event,) = sent_events(fake)
    assert event["task_id"] == "t-1"
    assert event["channel"] == "test"
    assert event["remind_at"] == "2099-01-31T08:00:00Z"
    store = get_settings().statestore_name
    assert handlers.sent_key(sent) in fake.state[store]

    # The same reminder again (a new event id, as after a publisher's retry): the
    # job is scheduled again, fires, and sends and publishes nothing.
    await fake.deliver(PUBSUB, TOPIC, a_reminder(remind_at), id="reminder-2")
    assert await fake.trigger_job(JOB) == 200
    assert len(notifier.sent) == 1
    assert len(sent_events(fake)) == 1


async def test_a_failed_send_is_retried_and_sent_once(
    fake: FakeDapr, notifier: RecordingNotifier
) -> None:
    notifier.failures = 1
    remind_at = datetime(2099, 1, 31, 8, tzinfo=UTC)
    await fake.deliver(PUBSUB, TOPIC, a_reminder(remind_at))
    assert await fake.trigger_job(JOB) != 200  # the failure policy triggers it again
    assert notifier.sent == []
    assert sent_events(fake) == []
    assert await fake.trigger_job(JOB) == 200
    assert len(notifier.sent) == 1
    assert len(sent_events(fake)) == 1


async def test_a_failed_announcement_is_published_on_the_retry_only(
    fake: FakeDapr,
    notifier: RecordingNotifier,
    dapr: DaprClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remind_at = datetime(2099, 1, 31, 8, tzinfo=UTC)
    await fake.deliver(PUBSUB, TOPIC, a_reminder(remind_at))
    publish = dapr.publish_event
    attempts: list[str] = []

    async def broker_down_once(
        pubsub_name: str,
        topic_name: str,
        data: object,
        *,
        metadata: dict[str, str] | None = None,
    ) -> None:
        attempts.append(topic_name)
        if len(attempts) == 1:
            raise ConnectionError("the broker is down")
        await publish(pubsub_name, topic_name, data, metadata=metadata)

    monkeypatch.setattr(dapr, "publish_event", broker_down_once)
    assert await fake.trigger_job(JOB) != 200  # sent and recorded, not announced
    assert len(notifier.sent) == 1
    assert sent_events(fake) == []
    assert await fake.trigger_job(JOB) == 200  # the retry announces, sends nothing
    assert len(notifier.sent) == 1
    assert len(sent_events(fake)) == 1
