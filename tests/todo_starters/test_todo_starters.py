"""The todo starters, rendered as a project and as standalone services, pass `mypy --strict` and their own tests.

Each service folder is checked where it was written, with this environment's interpreter (it has every runtime
and dev requirement the services list, python-dateutil and its stubs included), as the service's user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from skill.errors import SpecError
from skill.pipeline import generate
from skill.result import Result
from skill.specs.project import todo_services

_SERVICES = {s["app_id"]: s for s in todo_services()}

# The recurring-task starter under other names, beside handlers it does not write (a job, a binding, an
# invocation target, another subscription): the routers' every function must exist, and the names must come
# from the spec.
RENAMED: dict[str, Any] = {
    **_SERVICES["recurring-task"],
    "app_id": "series",
    "models": {"module": "domain"},
    "subscriptions": [
        {"topic": "task-changes", "model": "Task", "handler": "on_change", "idempotent": True},
        {"topic": "audit", "model": "TaskEvent"},
    ],
    "calls": ["tasks-svc"],
    "publishes": ["remind-me"],
    "jobs": [{"name": "cleanup"}, {"name": "digest", "model": "Task"}],
    "bindings": [{"name": "uploads"}],
    "invocations": [{"method": "/normalize", "request_model": "Task", "response_model": "ReminderEvent"}],
}

RENAMED_NOTIFICATION: dict[str, Any] = {
    **_SERVICES["notification"],
    "app_id": "nudges",
    "models": {"module": "domain"},  # the todo models; the starter brings NotificationSent
    "subscriptions": [{"topic": "nudge-requests", "model": "ReminderEvent", "handler": "on_request"}],
    "jobs": [{"name": "nudge", "model": "ReminderEvent", "prefix": True, "handler": "on_nudge_due"}],
    "publishes": ["nudges-sent"],
    "state": {"name": "nudge-store"},
}

# A notification service with its own reminder model: only the fields the starter reads (task_id, user_id,
# remind_at), in another order, beside required fields of its own; NotificationSent left to the starter.
OWN_REMINDER: dict[str, Any] = {
    **_SERVICES["notification"],
    "app_id": "pings",
    "models": {
        "models": [
            {
                "name": "ReminderEvent",
                "fields": [
                    {"name": "remind_at", "type": "datetime"},
                    {"name": "channel_hint", "type": "str", "min_length": 3, "max_length": 10},
                    {"name": "task_id", "type": "str"},
                    {"name": "attempt", "type": "int", "ge": 1},
                    {"name": "user_id", "type": "str"},
                ],
            }
        ]
    },
}

_CHECKS = {"mypy": ("mypy", "--no-incremental"), "pytest": ("pytest", "-v", "-p", "no:cacheprovider")}


def _write(result: Result, folder: Path) -> Result:
    for f in result.files:
        path = folder / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
    return result


def _service(spec: Mapping[str, Any]) -> Result:
    return generate("service", dict(spec))


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A tool of this environment, run inside a generated folder (which reads its own pyproject.toml)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(  # our own interpreter, fixed arguments
        [sys.executable, "-m", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every todo starter's folder: the project's two, two standalone services and the renamed one."""
    project = tmp_path_factory.mktemp("todo_project")
    _write(generate("project", {}), project)
    found = {"project/recurring-task": project / "recurring-task", "project/notification": project / "notification"}
    for name, spec in (("recurring-task", _SERVICES["recurring-task"]), ("notification", _SERVICES["notification"])):
        found[name] = tmp_path_factory.mktemp(name)
        _write(_service(spec), found[name])
    for name, spec in (
        ("renamed", RENAMED),
        ("renamed-notification", RENAMED_NOTIFICATION),
        ("own-reminder-notification", OWN_REMINDER),
    ):
        found[name] = tmp_path_factory.mktemp(name)
        _write(_service(spec), found[name])
    return found


@pytest.mark.parametrize("check", sorted(_CHECKS))
@pytest.mark.parametrize(
    "name",
    [
        "project/recurring-task",
        "project/notification",
        "recurring-task",
        "notification",
        "renamed",
        "renamed-notification",
        "own-reminder-notification",
    ],
)
def test_service_passes_its_checks(folders: dict[str, Path], name: str, check: str) -> None:
    done = _run(folders[name], *_CHECKS[check])
    assert done.returncode == 0, f"{name}: {check}\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
    if check == "pytest":  # the starter's own tests ran, not only the generated route tests
        starter_tests = "test_recurring.py" if "notification" not in name else "test_notification.py"
        ran = [line for line in done.stdout.splitlines() if f"tests/{starter_tests}::" in line]
        assert len(ran) >= 4, done.stdout
        assert all("PASSED" in line for line in ran), done.stdout


def test_the_starter_files_and_who_owns_them() -> None:
    recurring = {f.path: f for f in _service(_SERVICES["recurring-task"]).files}
    assert recurring["app/handlers.py"].user_owned
    assert recurring["tests/test_recurring.py"].user_owned
    assert not recurring["app/recurrence.py"].user_owned  # generated: regenerated with the service
    assert recurring["app/handlers.py"].snippet == "project/recurring_handlers"
    notification = {f.path: f for f in _service(_SERVICES["notification"]).files}
    assert notification["app/handlers.py"].user_owned
    assert notification["tests/test_notification.py"].user_owned
    assert "app/recurrence.py" not in notification


def test_dateutil_is_a_requirement_of_the_recurring_service_only() -> None:
    recurring = {f.path: f.content for f in _service(_SERVICES["recurring-task"]).files}["pyproject.toml"]
    assert '"python-dateutil>=2.9"' in recurring
    assert '"types-python-dateutil>=2.9"' in recurring
    notification = {f.path: f.content for f in _service(_SERVICES["notification"]).files}["pyproject.toml"]
    assert "dateutil" not in notification


def test_the_handlers_use_the_spec_names() -> None:
    handlers = {f.path: f.content for f in _service(RENAMED).files}["app/handlers.py"]
    for expected in (
        "async def on_change(",
        'TASK_API_APP_ID = "tasks-svc"',
        'REMINDERS_TOPIC = "remind-me"',
        "async def on_job_cleanup(data: JsonValue",  # the other handlers start as stubs
        "async def on_job_digest(data: Task",
        "async def on_uploads(",
        "async def normalize(",
        "async def on_audit(event: CloudEvent[TaskEvent]",
    ):
        assert expected in handlers
    handlers = {f.path: f.content for f in _service(RENAMED_NOTIFICATION).files}["app/handlers.py"]
    for expected in ("async def on_request(", "async def on_nudge_due(", 'JOB_PREFIX = "nudge"', '"nudges-sent"'):
        assert expected in handlers


def test_a_recurring_series_is_computed_by_the_recurrence_module() -> None:
    # The generated handlers import the recurrence module beside them, not a copy of it.
    handlers = {f.path: f.content for f in _service(_SERVICES["recurring-task"]).files}["app/handlers.py"]
    assert "from .recurrence import next_occurrence, series_start" in handlers


_READ = [
    {"name": "task_id", "type": "str"},
    {"name": "user_id", "type": "str"},
    {"name": "remind_at", "type": "datetime"},
]
_SENT = [*_READ, {"name": "channel", "type": "str"}, {"name": "sent_at", "type": "datetime"}]


def _reminder_fields(*fields: dict[str, Any]) -> dict[str, Any]:
    return {**_SERVICES["notification"], "models": {"models": [{"name": "ReminderEvent", "fields": list(fields)}]}}


def _with_sent(*fields: dict[str, Any]) -> dict[str, Any]:
    models = [{"name": "ReminderEvent", "fields": _READ}, {"name": "NotificationSent", "fields": list(fields)}]
    return {**_SERVICES["notification"], "models": {"models": models}}


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"app_id": "rt", "port": 8001, "starter": "todo-recurring-task", "crud": []}, "subscriptions", "Task"),
        (
            {**_SERVICES["recurring-task"], "calls": []},
            "calls",
            "task API's app id",
        ),
        ({**_SERVICES["recurring-task"], "publishes": []}, "publishes", "topic"),
        ({**_SERVICES["notification"], "jobs": [{"name": "reminder", "model": "ReminderEvent"}]}, "jobs", "prefix"),
        ({**_SERVICES["notification"], "client_blocks": ["state"]}, "client_blocks", "'jobs'"),
        (
            {
                **_SERVICES["notification"],
                "models": {"json_schema": {"title": "X", "type": "object", "properties": {"a": {"type": "string"}}}},
            },
            "models.json_schema",
            "not a JSON",
        ),
        (
            _reminder_fields({"name": "task_id", "type": "str"}),
            "models.models.0.fields",
            "user_id: str, remind_at: datetime",
        ),
        (
            _reminder_fields(*_READ[:2], {"name": "remind_at", "type": "datetime | None"}),
            "models.models.0.fields.2.type",
            "ReminderEvent.remind_at to be datetime",
        ),
        (
            _with_sent({"name": "task_id", "type": "str"}),
            "models.models.1.fields",
            "NotificationSent to have user_id: str, remind_at: datetime, channel: str, sent_at: datetime",
        ),
        (
            _with_sent(*_SENT, {"name": "retries", "type": "int"}),
            "models.models.1.fields.5",
            "give retries a default",
        ),
        (
            {
                **_SERVICES["recurring-task"],
                "models": {"models": [{"name": "Task", "fields": [{"name": "id", "type": "str"}]}]},
            },
            "models",
            "'Recurrence' with fields frequency: Frequency, interval: int",
        ),
    ],
)
def test_a_starter_without_its_parts_names_the_field(spec: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        generate("service", spec)
    problems = [p for p in caught.value.problems if p.field == field]
    assert problems, str(caught.value)
    assert any(words in p.rule for p in problems), str(caught.value)
