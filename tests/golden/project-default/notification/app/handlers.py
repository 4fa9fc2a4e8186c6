"""Business logic of the notification service: yours to edit. Regenerating the
service never rewrites this file.

1. A reminder arrives as a ReminderEvent (the recurring-task service
   publishes one for each open task with a reminder). `on_reminder` schedules a
   Dapr job named `reminder-<task_id>`, due at the reminder time, with the
   reminder as its data (Jobs API: https://docs.dapr.io/reference/api/jobs_api/).
   Scheduling the same name again replaces the job, so a repeated event is harmless.
   An event of type reminders.cancelled (the task was completed or deleted) deletes
   the job instead; deleting one that is gone is not an error.
2. When the job is due, Dapr calls this app back at
   `POST /job/reminder-<task_id>` (a job always calls back the app that
   scheduled it), and `on_reminder_due` sends the reminder through `notifier`,
   then publishes a NotificationSent event.

Sent once: Dapr delivers events and job triggers at least once, so the sender keeps
a record per reminder in the state store, and a reminder found there is not sent
again. The record is written after the notifier succeeded: a failed send leaves no
record, the job's failure policy triggers the job again, and that try sends it. The
record also says whether the NotificationSent event went out: a try that finds it sent
but not announced publishes the event and nothing else (at least once, never lost).

Replace `notifier` with your own (email, push, chat): any object with
`async def send(self, reminder) -> str` that returns the channel's name and raises
when the reminder could not be sent.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import BaseModel

from .dapr_client import UNCHANGED, ConstantFailurePolicy, DaprClient, StateItem
from .events import CloudEvent, NotificationSent, ReminderEvent
from .settings import get_settings

_logger = logging.getLogger(__name__)

# The jobs route answers /job/<JOB_PREFIX>-<anything>.
JOB_PREFIX = "reminder"
UPDATES_TOPIC = "task-updates"  # where NOTIFICATION_SENT events go
NOTIFICATION_SENT = "notification_sent"  # their CloudEvent type
REMINDER_CANCELLED = "reminders.cancelled"  # a reminder event that cancels the job
# A failed send is tried again this often (Dapr 1.16+; 1.15 retries 3 times, about a
# second apart; 1.14 never retries a failed job: its pkg/runtime/scheduler/streamer.go
# reports every trigger done). The record keeps a retry from sending twice.
RETRY = ConstantFailurePolicy(interval=timedelta(minutes=1), max_retries=10)
# How long a sent reminder's record is kept (the state store's ttlInSeconds): long
# past the retries and redeliveries it guards against.
RECORD_SECONDS = 30 * 24 * 3600


class SentRecord(BaseModel):
    """What the state store keeps for a sent reminder."""

    sent: NotificationSent
    announced: bool = False  # the event went out


class Notifier(Protocol):
    """Sends a reminder to its user."""

    async def send(self, reminder: ReminderEvent) -> str:
        """Send `reminder`; return the channel's name. Raise when it was not sent."""
        ...


class LoggingNotifier:
    """A notifier that only logs: the default until you plug in a real one."""

    async def send(self, reminder: ReminderEvent) -> str:
        _logger.info(
            "reminder for %s: %r is due at %s",
            reminder.user_id,
            reminder.title,
            reminder.due_at.isoformat(),
        )
        return "log"


# Replace it at start-up (or in tests) with your own Notifier.
notifier: Notifier = LoggingNotifier()


def job_name(task_id: str) -> str:
    """The reminder job of a task: one per task, so a new schedule replaces it."""
    return f"{JOB_PREFIX}-{task_id}"


def sent_key(reminder: ReminderEvent) -> str:
    """The state key that records `reminder` as sent.

    One per task and reminder time (in UTC, so that one instant gives one key), so a
    task's rescheduled reminder is sent again. Dapr refuses keys that contain "||"
    (its own separator, dapr/dapr pkg/components/state/state_config.go): hence "-".
    """
    return f"sent-{reminder.task_id}-{reminder.remind_at.astimezone(UTC).isoformat()}"


async def on_reminder(event: CloudEvent[ReminderEvent], dapr: DaprClient) -> None:
    """Schedule the reminder's job, due at its reminder time (now, if that passed), or
    delete it when the reminder is cancelled."""
    reminder = event.payload()
    if event.type == REMINDER_CANCELLED:
        await dapr.delete_job(job_name(reminder.task_id))  # 204 for a job that is gone
        _logger.info("reminder for task %s cancelled", reminder.task_id)
        return
    due = max(reminder.remind_at, datetime.now(UTC))
    await dapr.schedule_job(
        job_name(reminder.task_id),
        due,
        reminder,
        overwrite=True,
        failure_policy=RETRY,
    )
    _logger.info("reminder for task %s scheduled at %s", reminder.task_id, due)


async def on_reminder_due(data: ReminderEvent, dapr: DaprClient) -> None:
    """Send the reminder unless it was sent before, record it, publish
    NotificationSent.

    A failure raises: the route answers 500 and the job's failure policy triggers it
    again.
    """
    store = get_settings().statestore_name
    key = sent_key(data)
    found = await dapr.get_state(store, key)
    record = SentRecord.model_validate(found) if found is not None else None
    if record is not None and record.announced:
        _logger.info("reminder for task %s was sent already", data.task_id)
        return
    if record is None:
        channel = await notifier.send(data)
        sent = NotificationSent(
            task_id=data.task_id,
            user_id=data.user_id,
            remind_at=data.remind_at,
            channel=channel,
            sent_at=datetime.now(UTC),
        )
        record = SentRecord(sent=sent)
        # Insert-only: False when another trigger of this job recorded it first (and
        # announces it). A store failure raises, and the job is triggered again.
        if not await dapr.insert_state(
            store, key, record, ttl_in_seconds=RECORD_SECONDS
        ):
            _logger.warning("reminder for task %s was sent twice", data.task_id)
            return
    # Sent and recorded: announce it. If this fails, the retry finds the record and
    # only announces. The task's id is the partition key: its events stay in order.
    await dapr.publish_event(
        get_settings().pubsub_name,
        UPDATES_TOPIC,
        record.sent,
        metadata={"cloudevent.type": NOTIFICATION_SENT, "partitionKey": data.task_id},
    )
    # By ETag (update_state): the record was inserted first-write, and on Redis such a
    # key takes no write without its ETag, last-write included.
    await dapr.update_state(store, key, _announced, ttl_in_seconds=RECORD_SECONDS)


def _announced(item: StateItem | None) -> object:
    """The stored record marked announced (nothing, if it is gone)."""
    if item is None:
        return UNCHANGED
    record = SentRecord.model_validate(item.value)
    return record.model_copy(update={"announced": True})
