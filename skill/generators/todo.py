"""The todo system's starter handlers: what a service's handlers.py starts as when its spec names a starter.

A starter is the business logic of one of the todo system's services, written against the names its spec gives
(models, topics, job names, the task API's app id), plus the generated modules and tests it brings. handlers.py
stays the user's: written once, never rewritten, like the stubs it replaces. Handlers the starter does not write
(the spec's other subscriptions, jobs, bindings and invocations) start as the endpoint generator's stubs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from skill.generators import endpoint, recurrence
from skill.generators.endpoint import Handler
from skill.imports import Import, Imports, sections
from skill.plan import FilePlan
from skill.specs.endpoint import EndpointSpec, JobSpec, SubscriptionSpec
from skill.specs.models import ModelDef
from skill.specs.service import ServiceSpec, Starter

__all__ = [
    "SUMMARIES",
    "NotificationContext",
    "NotificationTestContext",
    "RecurringContext",
    "RecurringTestContext",
    "TaskApi",
    "dev_requirements",
    "extra_files",
    "handlers_file",
    "requirements",
]

SUMMARIES: dict[Starter, str] = {
    "stubs": "your handlers",
    "todo-recurring-task": "hands each open task's reminder on (cancels it when the task is done) and creates "
    "the next instance of a completed recurring task",
    "todo-notification": "schedules reminder jobs, sends them once, publishes notification_sent",
}

# The CloudEvent types the todo services agree on. The task API's CRUD publishes `<resource>.<action>` for the
# `tasks` resource; the other two are the starters' own.
COMPLETED_TYPE = "tasks.completed"


@dataclass(frozen=True)
class TaskApi:
    """Where the recurring-task starter creates tasks, and the CloudEvent types of the task API's changes: its
    collection path, its resource name (`<resource>.created|updated|deleted`) and its completion action's type
    (a project reads them from the service it calls)."""

    path: str = "/api/tasks"
    completed_type: str = COMPLETED_TYPE
    resource: str = "tasks"

    def event_type(self, change: str) -> str:
        return f"{self.resource}.{change}"


REMINDER_TYPE = "reminders.scheduled"
CANCELLED_TYPE = "reminders.cancelled"
SENT_TYPE = "notification_sent"

# The models each starter is written against (_starter_problems in skill/specs/service.py checks they exist).
_TASK, _RECURRENCE, _REMINDER, _SENT = "Task", "Recurrence", "ReminderEvent", "NotificationSent"


@dataclass(frozen=True)
class RecurringContext:
    """handlers.py of the recurring-task service."""

    imports: Imports
    client_class: str
    handler: str  # the task-events subscription's handler
    task_model: str
    reminder_model: str
    task_api: str  # app id of the task API: the first of `calls`
    task_path: str  # the task API's collection path: POST creates a task
    reminders_topic: str  # the first of `publishes`
    completed_type: str
    created_type: str
    updated_type: str
    deleted_type: str
    reminder_type: str
    cancelled_type: str
    id_max_length: int | None  # Task.id's max_length (None: no limit)
    others: tuple[Handler, ...]  # the spec's other handlers, as stubs


@dataclass(frozen=True)
class NotificationContext:
    """handlers.py of the notification service."""

    imports: Imports
    client_class: str
    handler: str  # the reminders subscription's handler
    reminder_model: str
    sent_model: str
    job_prefix: str  # the prefix job's name: jobs are '<job_prefix>-<task id>'
    job_handler: str
    updates_topic: str  # the first of `publishes`
    sent_type: str
    cancelled_type: str
    others: tuple[Handler, ...]


@dataclass(frozen=True)
class RecurringTestContext:
    imports: Imports
    task_model: str
    pubsub: str
    topic: str
    dead_letter_topic: str
    reminders_topic: str
    completed_type: str
    created_type: str
    deleted_type: str
    reminder_type: str
    cancelled_type: str
    id_max_length: int | None


@dataclass(frozen=True)
class NotificationTestContext:
    imports: Imports
    reminder_model: str
    pubsub: str
    topic: str
    job_prefix: str
    updates_topic: str
    sent_type: str
    cancelled_type: str


def _subscription(spec: EndpointSpec, model: str) -> SubscriptionSpec:
    """The subscription the starter handles: the first of `model` events without rules or bulk."""
    return next(s for s in spec.subscriptions if s.model == model and s.bulk is None and not s.rules)


def _prefix_job(spec: EndpointSpec, model: str) -> JobSpec:
    return next(j for j in spec.jobs if j.model == model and j.prefix)


def _model(spec: EndpointSpec, name: str) -> ModelDef:
    return next(m for m in spec.models.models if m.name == name)


def _id_max_length(spec: EndpointSpec) -> int | None:
    """The Task model's id limit, which the next task's id must keep to."""
    task_id = next((f for f in _model(spec, _TASK).fields if f.name == "id"), None)
    return task_id.max_length if task_id is not None else None


@dataclass(frozen=True)
class _Needs:
    """Import statements a module needs, by section, before they are written out."""

    std: list[Import]
    lib: list[Import]
    local: list[Import]


def _others(spec: EndpointSpec, taken: set[str]) -> tuple[tuple[Handler, ...], _Needs]:
    """The handlers the routers call that the starter does not write, and the imports their stubs need."""
    # The stubs generator's own list, so that every function the routers call exists.
    found = tuple(h for h in endpoint.handlers_context(spec).handlers if h.function not in taken)
    std = [Import("collections.abc", "Mapping")] if any(h.kind == "binding" for h in found) else []
    lib = [Import("pydantic", "JsonValue")] if any(h.kind == "job" and not h.model for h in found) else []
    module = f".{spec.models.module}"
    local = [Import(module, m) for h in found for m in (h.model, h.response_model) if m]
    if any(h.kind == "event" for h in found):
        local.append(Import(module, "CloudEvent"))
    return found, _Needs(std, lib, local)


def _recurring(spec: ServiceSpec, e: EndpointSpec, task_api: TaskApi) -> RecurringContext:
    sub = _subscription(e, _TASK)
    module = f".{e.models.module}"
    others, needs = _others(e, {sub.default_handler})
    std = [Import("logging"), Import("datetime", "UTC"), Import("datetime", "datetime"), *needs.std]
    local = [
        Import(".contract", "DropEvent"),
        Import(f".{endpoint.CLIENT_MODULE}", endpoint.CLIENT_CLASS),
        Import(f".{endpoint.CLIENT_MODULE}", "DaprConflictError"),
        Import(module, "CloudEvent"),
        Import(module, _TASK),
        Import(module, _REMINDER),
        Import(".recurrence", "next_occurrence"),
        Import(".recurrence", "series_start"),
        Import(".settings", "get_settings"),
        *needs.local,
    ]
    return RecurringContext(
        sections(std, needs.lib, local),
        endpoint.CLIENT_CLASS,
        sub.default_handler,
        _TASK,
        _REMINDER,
        spec.calls[0],
        task_api.path,
        spec.publishes[0],
        task_api.completed_type,
        task_api.event_type("created"),
        task_api.event_type("updated"),
        task_api.event_type("deleted"),
        REMINDER_TYPE,
        CANCELLED_TYPE,
        _id_max_length(e),
        others,
    )


def _notification(spec: ServiceSpec, e: EndpointSpec) -> NotificationContext:
    sub = _subscription(e, _REMINDER)
    job = _prefix_job(e, _REMINDER)
    module = f".{e.models.module}"
    others, needs = _others(e, {sub.default_handler, job.function})
    std = [
        Import("logging"),
        Import("datetime", "UTC"),
        Import("datetime", "datetime"),
        Import("datetime", "timedelta"),
        Import("typing", "Protocol"),
        *needs.std,
    ]
    local = [
        Import(f".{endpoint.CLIENT_MODULE}", endpoint.CLIENT_CLASS),
        Import(f".{endpoint.CLIENT_MODULE}", "ConstantFailurePolicy"),
        Import(f".{endpoint.CLIENT_MODULE}", "StateItem"),
        Import(f".{endpoint.CLIENT_MODULE}", "UNCHANGED"),
        Import(module, "CloudEvent"),
        Import(module, _REMINDER),
        Import(module, _SENT),
        Import(".settings", "get_settings"),
        *needs.local,
    ]
    lib = [Import("pydantic", "BaseModel"), *needs.lib]
    return NotificationContext(
        sections(std, lib, local),
        endpoint.CLIENT_CLASS,
        sub.default_handler,
        _REMINDER,
        _SENT,
        job.name,
        job.function,
        spec.publishes[0],
        SENT_TYPE,
        CANCELLED_TYPE,
        others,
    )


def handlers_file(spec: ServiceSpec, endpoint: EndpointSpec, path: str, *, task_api: TaskApi) -> FilePlan:
    """The starter's handlers.py at `path` (user-owned). `task_api`: what the recurring starter calls."""
    if spec.starter == "todo-recurring-task":
        return FilePlan(path, "project/recurring_handlers", _recurring(spec, endpoint, task_api), user_owned=True)
    if spec.starter == "todo-notification":
        return FilePlan(path, "project/notification_handlers", _notification(spec, endpoint), user_owned=True)
    raise ValueError(f"no starter handlers for {spec.starter!r}")


def _recurring_test(spec: ServiceSpec, e: EndpointSpec, task_api: TaskApi) -> RecurringTestContext:
    sub = _subscription(e, _TASK)
    pkg = spec.package
    std = [Import("datetime", "UTC"), Import("datetime", "datetime")]
    lib = [Import("pytest"), *(Import("fastapi", n) for n in ("FastAPI", "HTTPException", "status"))]
    local = [
        Import(pkg, "handlers"),  # the stand-in task API answers where the handlers call
        Import(f"{pkg}.{e.models.module}", _TASK),
        Import("tests.fake_dapr", "FakeDapr"),
    ]
    return RecurringTestContext(
        sections(std, lib, local),
        _TASK,
        sub.pubsub or "",
        sub.topic,
        sub.dead_letter_topic or f"{sub.topic}-dlq",
        spec.publishes[0],
        task_api.completed_type,
        task_api.event_type("created"),
        task_api.event_type("deleted"),
        REMINDER_TYPE,
        CANCELLED_TYPE,
        _id_max_length(e),
    )


def _notification_test(spec: ServiceSpec, e: EndpointSpec) -> NotificationTestContext:
    sub = _subscription(e, _REMINDER)
    job = _prefix_job(e, _REMINDER)
    pkg = spec.package
    std = [Import("datetime", "UTC"), Import("datetime", "datetime"), Import("datetime", "timedelta")]
    std += [Import("typing", "Any")]
    lib = [Import("pytest")]
    local = [
        Import(pkg, "handlers"),
        Import(f"{pkg}.{e.models.module}", _REMINDER),
        Import(f"{pkg}.settings", "get_settings"),
        Import(f"{pkg}.{endpoint.CLIENT_MODULE}", endpoint.CLIENT_CLASS),
        Import("tests.fake_dapr", "FakeDapr"),
    ]
    return NotificationTestContext(
        sections(std, lib, local),
        _REMINDER,
        sub.pubsub or "",
        sub.topic,
        job.name,
        spec.publishes[0],
        SENT_TYPE,
        CANCELLED_TYPE,
    )


def extra_files(
    spec: ServiceSpec, endpoint: EndpointSpec, at: Callable[[str], str], *, task_api: TaskApi
) -> list[FilePlan]:
    """Generated modules and user-owned tests the starter brings (`at` places a service-relative path)."""
    if spec.starter == "todo-recurring-task":
        return [
            FilePlan(
                at(f"{spec.package}/recurrence.py"), recurrence.SNIPPET, recurrence.context_for(endpoint.models.module)
            ),
            FilePlan(
                at("tests/test_recurring.py"),
                "project/test_recurring",
                _recurring_test(spec, endpoint, task_api),
                user_owned=True,
            ),
        ]
    if spec.starter == "todo-notification":
        return [
            FilePlan(
                at("tests/test_notification.py"),
                "project/test_notification",
                _notification_test(spec, endpoint),
                user_owned=True,
            )
        ]
    return []


def requirements(spec: ServiceSpec) -> tuple[str, ...]:
    return recurrence.REQUIREMENTS if spec.starter == "todo-recurring-task" else ()


def dev_requirements(spec: ServiceSpec) -> tuple[str, ...]:
    return recurrence.DEV_REQUIREMENTS if spec.starter == "todo-recurring-task" else ()
