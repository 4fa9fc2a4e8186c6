"""The generated module at run time: the CloudEvent envelope parses what the official CloudEvents SDK writes and
what the sidecar double delivers (JSON, text, raw payloads, tracing on and off, unknown extensions); the preset's
models validate and reject as their constraints say."""

from __future__ import annotations

import base64
import datetime as dt
import json
from types import ModuleType
from typing import Any

import pytest
from cloudevents.core.bindings.http import to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from pydantic import ValidationError

from tests.sidecar import SidecarDouble
from tests.sidecar.scripted_app import ScriptedApp, answer

NOW = dt.datetime(2026, 1, 31, 9, 30, tzinfo=dt.UTC)


def _task(**extra: Any) -> dict[str, Any]:
    return {"id": "t-1", "user_id": "u1", "title": "Pay rent", "created_at": NOW.isoformat(), **extra}


def _task_event() -> dict[str, Any]:
    return {
        "event_type": "task_created",
        "task_id": "t-1",
        "user_id": "u1",
        "timestamp": "2026-01-31T09:30:00Z",
        "task_data": _task(recurrence={"frequency": "monthly"}),
    }


def _structured(attributes: dict[str, Any], data: Any) -> dict[str, Any]:
    body = to_structured(SdkEvent(attributes={"specversion": "1.0", **attributes}, data=data), JSONFormat()).body
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def test_parses_a_json_cloudevent_written_by_the_sdk(events: ModuleType) -> None:
    body = _structured(
        {"id": "e1", "source": "task-api", "type": "com.example.task", "datacontenttype": "application/json"},
        _task_event(),
    )
    event = events.CloudEvent[events.TaskEvent].model_validate(body)
    assert event.payload().event_type is events.TaskEventType.CREATED
    assert event.payload().task_data.recurrence.frequency == "monthly"
    assert event.time is not None
    assert event.time.tzinfo is not None


def test_parses_a_binary_payload_with_data_base64_and_keeps_extensions(events: ModuleType) -> None:
    raw = b"\x00\xffnot json"
    body = _structured(
        {"id": "e2", "source": "s", "type": "t", "datacontenttype": "application/octet-stream", "partitionkey": "k"},
        raw,
    )
    assert "data_base64" in body
    event = events.CloudEvent[bytes].model_validate(body)
    assert event.data_base64 == raw
    assert event.data is None
    assert event.model_extra == {"partitionkey": "k"}


def test_payload_parses_json_inside_data_base64(events: ModuleType) -> None:
    encoded = base64.b64encode(json.dumps(_task_event()).encode()).decode()
    body = {"id": "e3", "source": "Dapr", "type": "com.dapr.event.sent", "specversion": "1.0", "data_base64": encoded}
    event = events.CloudEvent[events.TaskEvent].model_validate(body)
    assert event.payload().task_id == "t-1"
    bad = {**body, "data_base64": base64.b64encode(b'{"task_id": 1}').decode()}
    with pytest.raises(ValidationError):
        events.CloudEvent[events.TaskEvent].model_validate(bad).payload()
    with pytest.raises(ValueError, match="carries no data"):
        events.CloudEvent[events.TaskEvent].model_validate({**body, "data_base64": None}).payload()


def test_wrong_data_is_a_validation_error(events: ModuleType) -> None:
    body = _structured({"id": "e4", "source": "s", "type": "t", "datacontenttype": "text/plain"}, "hello")
    with pytest.raises(ValidationError):
        events.CloudEvent[events.TaskEvent].model_validate(body)
    assert events.CloudEvent[str].model_validate(body).payload() == "hello"


async def _delivered(
    subscription: dict[str, Any], publish: dict[str, Any], *, tracing: bool = False, query: str = ""
) -> dict[str, Any]:
    app = (
        ScriptedApp()
        .on("GET", "/dapr/subscribe", answer(200, [subscription]))
        .on("POST", "/tasks", answer(200, {"status": "SUCCESS"}))
    )
    double = SidecarDouble(app=app, tracing=tracing)
    async with double.client() as c:
        r = await c.post(f"/v1.0/publish/pubsub/task-events{query}", **publish)
        assert r.status_code == 204, r.text
    (result,) = await double.deliver_pending()
    assert result.outcome == "delivered"
    (request,) = app.requests_to("/tasks")
    delivered: dict[str, Any] = request.json()
    return delivered


SUB = {"pubsubname": "pubsub", "topic": "task-events", "route": "/tasks"}


@pytest.mark.anyio
@pytest.mark.parametrize("tracing", [False, True])
async def test_parses_what_the_sidecar_double_delivers(events: ModuleType, tracing: bool) -> None:
    body = await _delivered(SUB, {"json": _task_event()}, tracing=tracing)
    event = events.CloudEvent[events.TaskEvent].model_validate(body)
    assert (event.topic, event.pubsubname, event.type) == ("task-events", "pubsub", "com.dapr.event.sent")
    assert event.payload().user_id == "u1"


@pytest.mark.anyio
async def test_parses_a_raw_payload_subscription(events: ModuleType) -> None:
    """Published raw (no CloudEvent in the broker) and subscribed raw: Dapr's own envelope with data_base64."""
    sub = {**SUB, "metadata": {"rawPayload": "true"}}
    raw = json.dumps(_task_event()).encode()
    body = await _delivered(sub, {"content": raw}, query="?metadata.rawPayload=true")
    assert body["datacontenttype"] == "application/octet-stream"
    event = events.CloudEvent[events.TaskEvent].model_validate(body)
    assert event.payload().event_type == "task_created"


@pytest.mark.anyio
async def test_parses_an_octet_stream_publish(events: ModuleType) -> None:
    publish = {"content": b"\x01\x02", "headers": {"content-type": "application/octet-stream"}}
    body = await _delivered(SUB, publish)
    assert events.CloudEvent[bytes].model_validate(body).data_base64 == b"\x01\x02"


def test_datetimes_must_carry_an_offset(events: ModuleType) -> None:
    with pytest.raises(ValidationError, match="timezone"):
        events.Task.model_validate(_task(created_at="2026-01-31T09:30:00"))
    assert events.Task.model_validate(_task()).created_at == NOW


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "has space"}, "id"),
        ({"id": ""}, "id"),
        ({"title": "x" * 201}, "title"),
        ({"priority": "urgent"}, "priority"),
        ({"tags": [str(i) for i in range(21)]}, "tags"),
        ({"recurrence": {"frequency": "daily", "interval": 0}}, "recurrence.interval"),
        ({"recurrence": {"frequency": "hourly"}}, "recurrence.frequency"),
    ],
)
def test_constraints_reject(events: ModuleType, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        events.Task.model_validate(_task(**change))
    assert [".".join(map(str, e["loc"])) for e in info.value.errors()] == [field]


def test_preset_defaults_enums_and_frozen(events: ModuleType) -> None:
    task = events.Task.model_validate(_task())
    assert (task.priority, task.tags, task.completed, task.recurrence) == (events.Priority.MEDIUM, [], False, None)
    assert isinstance(events.Priority.HIGH, str)
    assert events.TaskEventType.COMPLETED == "task_completed"
    with pytest.raises(ValidationError):
        task.title = "changed"
    assert task.model_copy(update={"completed": True}).completed is True
    assert events.Task.model_validate(_task(unknown="ignored")).model_extra in (None, {})
    reminder = events.ReminderEvent.model_validate(
        {"task_id": "t-1", "title": "x", "due_at": NOW, "remind_at": NOW, "user_id": "u"}
    )
    assert json.loads(reminder.model_dump_json())["due_at"] == "2026-01-31T09:30:00Z"
