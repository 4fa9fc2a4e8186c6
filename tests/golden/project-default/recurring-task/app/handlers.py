"""Business logic of the recurring-task service: yours to edit. Regenerating the
service never rewrites this file.

It follows the task API's changes. A task created or changed with a reminder has
its reminder handed on; a task completed or deleted has its reminder cancelled; and
when a task of a recurring series is completed, this creates the series' next task
(whose creation, in turn, hands its reminder on).

What arrives: the task API publishes every change of a task, with the task as the
CloudEvent's `data` and the change as its `type` (tasks.created,
tasks.updated, tasks.completed, tasks.deleted).

What the routers (.contract) tell Dapr: a handler that returns acknowledges the event
(SUCCESS); DropEvent drops it to the dead-letter topic (DROP), for data that can never
work, such as an invalid RRULE; any other exception makes Dapr deliver it again
(RETRY), for failures that may pass, such as the task API being down. See "Expected
HTTP Response" in https://docs.dapr.io/reference/api/pubsub_api/.

At least once: Dapr may deliver one completion more than once
(https://docs.dapr.io/developing-applications/building-blocks/pubsub/pubsub-overview/).
The next task's id is made from the series and its due date, never from the clock, so
a second delivery asks the task API to create a task that exists already: its 409
counts as done, and nothing is created twice.

Reminders: a Dapr job calls back the app that scheduled it, at `POST /job/<name>`
(https://docs.dapr.io/developing-applications/building-blocks/jobs/jobs-overview/).
The notification service is the app that handles reminder jobs, so this service does
not schedule them: it publishes a ReminderEvent (type reminders.scheduled) and
the notification service schedules the job, or deletes it for reminders.cancelled.
"""

import logging
from datetime import UTC, datetime

from .contract import DropEvent
from .dapr_client import DaprClient, DaprConflictError
from .events import CloudEvent, ReminderEvent, Task
from .recurrence import next_occurrence, series_start
from .settings import get_settings

_logger = logging.getLogger(__name__)

TASK_API_APP_ID = "task-api"  # the Dapr app id of the task API
TASKS_PATH = "/api/tasks"  # POST here creates a task; 409 if its id is taken
REMINDERS_TOPIC = "reminders"
CREATED = "tasks.created"  # the CloudEvent types of the task API's changes
UPDATED = "tasks.updated"
COMPLETED = "tasks.completed"
DELETED = "tasks.deleted"
REMINDER_SCHEDULED = "reminders.scheduled"  # the types the reminders go out with
REMINDER_CANCELLED = "reminders.cancelled"
# A series' tasks share an id root: "<root>--<due date in UTC, YYYYMMDDHHMM>".
SERIES_SEPARATOR = "--"
ID_MAX_LENGTH = 128  # Task.id's max_length


async def on_task_event(event: CloudEvent[Task], dapr: DaprClient) -> None:
    """Hand an open task's reminder on, cancel a finished task's, and on a completed
    recurring task create the next task of its series."""
    task = event.payload()
    if event.type in (CREATED, UPDATED):
        if not task.completed:
            await publish_reminder(dapr, task, REMINDER_SCHEDULED)
        return
    if event.type not in (COMPLETED, DELETED):
        return
    await publish_reminder(dapr, task, REMINDER_CANCELLED)
    if event.type == DELETED or task.recurrence is None:
        return
    following = next_task(task, now=datetime.now(UTC))
    if following is None:
        _logger.info("task %s was the last of its series", task.id)
        return
    # Its creation is published by the task API like any other, and hands its
    # reminder on then.
    await create_task(dapr, following)


def next_task(task: Task, *, now: datetime) -> Task | None:
    """The task after `task` in its series (created at `now`), or None when the
    series is over.

    Its due date is the first occurrence after `task`'s, counted from the series'
    anchor (`recurrence.start`, else the first task's due date), so a monthly series
    that starts on January 31 is due on February 28, then on March 31. The anchor is
    kept in the new task's `recurrence.start`. Raises DropEvent when the recurrence
    cannot be computed (an invalid RRULE) or the new task would be invalid.
    """
    recurrence = task.recurrence
    if recurrence is None:
        return None
    # The occurrence just completed. Counting from it, not from the moment of
    # completion, keeps a redelivery's answer (and so the next id) the same.
    due = task.due_at or task.created_at
    anchor = series_start(recurrence, due)
    try:
        due_next = next_occurrence(anchor, recurrence, after=due)
    except (ValueError, OverflowError) as exc:
        msg = f"task {task.id}: cannot compute its next occurrence: {exc}"
        raise DropEvent(msg) from exc
    if due_next is None:
        return None
    remind_next = None
    if task.remind_at is not None:
        # As long before its due date as the completed task's reminder was.
        remind_next = due_next - (due - task.remind_at)
    changes = {
        "id": next_task_id(task.id, due_next),
        "completed": False,
        "due_at": due_next,
        "remind_at": remind_next,
        "recurrence": recurrence.model_copy(update={"start": anchor}),
        "created_at": now,
        "updated_at": None,
    }
    try:
        return Task.model_validate({**task.model_dump(), **changes})
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        msg = f"task {task.id}: its next task would be invalid: {exc}"
        raise DropEvent(msg) from exc


def next_task_id(task_id: str, due_at: datetime) -> str:
    """The id of a series' task due at `due_at`: the same for every delivery.

    "<root>--<YYYYMMDDHHMM>", the root being `task_id` up to its first "--" (the
    first task's id), the date in UTC.
    """
    root = task_id.split(SERIES_SEPARATOR, 1)[0]
    suffix = SERIES_SEPARATOR + due_at.astimezone(UTC).strftime("%Y%m%d%H%M")
    # The root gives way, so that the id stays within the model's limit.
    return root[: ID_MAX_LENGTH - len(suffix)] + suffix


async def create_task(dapr: DaprClient, task: Task) -> None:
    """Create `task` through the task API, by service invocation
    (https://docs.dapr.io/reference/api/service_invocation_api/).

    A 409 means a task with this id exists: an earlier delivery of the same
    completion created it. Any other failure raises, so that Dapr delivers the
    completion again.
    """
    try:
        await dapr.invoke_method(TASK_API_APP_ID, TASKS_PATH, task)
    except DaprConflictError:
        _logger.info("task %s exists already: a repeated completion", task.id)
        return
    _logger.info("created task %s, due %s", task.id, task.due_at)


async def publish_reminder(dapr: DaprClient, task: Task, event_type: str) -> None:
    """Publish `task`'s reminder (a task without one has none), for the notification
    service to schedule or, with REMINDER_CANCELLED, to cancel. Either is harmless
    twice: the service keeps one job per task.

    The `cloudevent.type` metadata sets the type of the CloudEvent Dapr wraps it in
    (Dapr docs, pub/sub, "Publishing & subscribing messages with Cloudevents",
    "Override CloudEvent values"). `partitionKey` is the task's id: Kafka keeps the
    events of one key in order (components-contrib common/component/kafka
    producer.go), so a task's cancellation never overtakes its schedule.
    """
    if task.due_at is None or task.remind_at is None:
        return
    reminder = ReminderEvent(
        task_id=task.id,
        title=task.title,
        due_at=task.due_at,
        remind_at=task.remind_at,
        user_id=task.user_id,
        priority=task.priority,
        tags=task.tags,
    )
    await dapr.publish_event(
        get_settings().pubsub_name,
        REMINDERS_TOPIC,
        reminder,
        metadata={"cloudevent.type": event_type, "partitionKey": task.id},
    )
