"""Event and state models, and the CloudEvent envelope Dapr delivers events in."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar, cast

from pydantic import (
    AwareDatetime,
    Base64Bytes,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
)

DataT = TypeVar("DataT")


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvent as the Dapr sidecar delivers it to a subscription route.

    Lenient on purpose: Dapr redelivers an event the app fails to accept, so anything
    the sidecar sends parses. Tracing fields may be absent or empty, and unknown
    extension attributes are kept (`model_extra`). JSON and text payloads arrive in
    `data`; a raw payload (subscription metadata rawPayload "true", or a publish with
    Content-Type application/octet-stream) arrives base64-encoded in `data_base64` and
    is decoded here. Envelope fields: dapr/dapr pkg/runtime/pubsub/cloudevents.go and
    dapr/components-contrib pubsub/envelope.go.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    source: str
    type: str
    specversion: str
    datacontenttype: str | None = None
    dataschema: str | None = None
    subject: str | None = None
    time: AwareDatetime | None = None
    data: DataT | None = None
    data_base64: Base64Bytes | None = None
    topic: str | None = None
    pubsubname: str | None = None
    traceid: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    expiration: AwareDatetime | None = None

    def payload(self) -> DataT:
        """The typed data: `data`, or the JSON document inside `data_base64`.

        Raises pydantic.ValidationError when a raw payload does not fit the data type,
        and ValueError when the event carries no data at all.
        """
        if self.data_base64 is not None:
            # The parametrized class annotates `data` as DataT filled in, `| None` kept.
            data_type: Any = type(self).model_fields["data"].annotation
            return cast("DataT", TypeAdapter(data_type).validate_json(self.data_base64))
        if self.data is None:
            msg = f"CloudEvent {self.id!r} carries no data"
            raise ValueError(msg)
        return self.data


class TaskEventType(StrEnum):
    """What happened to a task."""

    CREATED = "task_created"
    UPDATED = "task_updated"
    COMPLETED = "task_completed"
    DELETED = "task_deleted"


class Priority(StrEnum):
    """How urgent a task is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Frequency(StrEnum):
    """How often a recurring task repeats."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Recurrence(BaseModel):
    """When a recurring task is due again: every `interval` units, or by an RRULE."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    frequency: Annotated[Frequency, Field(description="Unit of the repeat interval.")]
    interval: Annotated[
        int, Field(ge=1, le=366, description="Repeat every this many units.")
    ] = 1
    until: Annotated[
        AwareDatetime | None, Field(description="No occurrence after this instant.")
    ] = None
    start: Annotated[
        AwareDatetime | None,
        Field(description="First due date of the series (RRULE's DTSTART)."),
    ] = None
    rrule: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=500,
            pattern=(
                "^(?:RRULE:)?FREQ=(?:DAILY|WEEKLY|MONTHLY|"
                "YEARLY)(?:;(?:INTERVAL=[1-9][0-9]{0,2}|BYDAY=(?:MO|TU|"
                "WE|TH|FR|SA|SU)(?:,(?:MO|TU|WE|TH|FR|SA|SU)){0,6}|"
                "BYMONTHDAY=-?(?:3[01]|[12][0-9]|[1-9])|"
                "BYMONTH=(?:1[0-2]|[1-9])))*(?:;(?:COUNT=[1-9][0-9]{0,3}|"
                "UNTIL=(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|"
                "1[0-9]|2[0-8])T(?:[01][0-9]|"
                "2[0-3])[0-5][0-9][0-5][0-9]Z))?$"
            ),
            description=(
                "An RFC 5545 RRULE: FREQ first, then INTERVAL, BYDAY, "
                "BYMONTHDAY, BYMONTH, and COUNT or UNTIL (in UTC) last; "
                "overrides frequency and interval."
            ),
        ),
    ] = None


class Task(BaseModel):
    """A task as the task API stores it (state key: `tasks:` and the task id)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=128,
            pattern="^[A-Za-z0-9_-]+$",
            description="Task id (letters, digits, '_', '-').",
        ),
    ]
    user_id: Annotated[
        str, Field(min_length=1, max_length=128, description="Owner of the task.")
    ]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str | None, Field(max_length=4000)] = None
    priority: Priority = Priority.MEDIUM
    tags: Annotated[list[str], Field(max_length=20)] = []
    due_at: Annotated[
        AwareDatetime | None, Field(description="When the task is due.")
    ] = None
    remind_at: Annotated[
        AwareDatetime | None, Field(description="When to send a reminder.")
    ] = None
    recurrence: Annotated[
        Recurrence | None, Field(description="Set for recurring tasks.")
    ] = None
    completed: bool = False
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None


class TaskEvent(BaseModel):
    """Published to the task-events topic whenever a task changes."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: TaskEventType
    task_id: Annotated[
        str, Field(min_length=1, max_length=128, pattern="^[A-Za-z0-9_-]+$")
    ]
    user_id: Annotated[str, Field(min_length=1, max_length=128)]
    timestamp: Annotated[AwareDatetime, Field(description="When the change happened.")]
    task_data: Annotated[
        Task | None,
        Field(description="The task after the change; None for task_deleted."),
    ] = None


class ReminderEvent(BaseModel):
    """Sent when a task's reminder is due (a Dapr job's data)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    task_id: Annotated[
        str, Field(min_length=1, max_length=128, pattern="^[A-Za-z0-9_-]+$")
    ]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    due_at: AwareDatetime
    remind_at: AwareDatetime
    user_id: Annotated[str, Field(min_length=1, max_length=128)]
    priority: Priority = Priority.MEDIUM
    tags: Annotated[list[str], Field(max_length=20)] = []
