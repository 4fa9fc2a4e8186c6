"""Input of the project generator: several services wired by topics, job names and app ids, one set of resources.

Each entry of `services` is a service spec without resources; the project's `pubsub`, `state`, `secret_store`,
environments and image settings apply to all of them. With no options it is the todo system: a task API, a
recurring-task service and a notification service over `pubsub` and `statestore`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field, ModelWrapValidatorHandler, ValidationError, model_validator

from skill.specs.common import AppId, OwnLineLengthOption, rule_error
from skill.specs.components import AppSpec, ComponentsSpec, SecretStoreSpec
from skill.specs.models import PRESET_ENUMS, PRESET_MODELS
from skill.specs.service import Resources, ServiceCore, ServiceSpec

__all__ = ["TODO_SYSTEM", "ProjectSpec", "todo_services"]


# The preset models without TaskEvent and its enum: the todo system publishes the Task itself as each change
# event's data (CloudEvent type `tasks.created|updated|completed|deleted`), so no service would use them.
_TODO_MODELS = [m for m in PRESET_MODELS if m["name"] != "TaskEvent"]
_TODO_ENUMS = [e for e in PRESET_ENUMS if e["name"] != "TaskEventType"]


def todo_services() -> list[dict[str, Any]]:
    """The todo system's services, with the seed's names (task-events, reminders, task-updates)."""
    models = {"models": _TODO_MODELS, "enums": _TODO_ENUMS}
    return [
        {
            "app_id": "task-api",
            "port": 8000,
            "models": {"models": [m for m in _TODO_MODELS if m["name"] != "ReminderEvent"], "enums": _TODO_ENUMS},
            "crud": [
                {
                    "name": "tasks",
                    "model": "Task",
                    "topic": "task-events",
                    "actions": [{"name": "complete", "field": "completed"}],
                }
            ],
        },
        {
            "app_id": "recurring-task",
            "port": 8001,
            "models": models,
            "subscriptions": [
                {"topic": "task-events", "model": "Task", "handler": "on_task_event", "idempotent": True}
            ],
            "calls": ["task-api"],
            "publishes": ["reminders"],
            "starter": "todo-recurring-task",
        },
        {
            "app_id": "notification",
            "port": 8002,
            "models": models,
            "subscriptions": [
                {"topic": "reminders", "model": "ReminderEvent", "handler": "on_reminder", "idempotent": True}
            ],
            "jobs": [{"name": "reminder", "model": "ReminderEvent", "prefix": True, "handler": "on_reminder_due"}],
            "publishes": ["task-updates"],
            "client_blocks": ["jobs", "state"],
            "starter": "todo-notification",
        },
    ]


class ProjectSpec(Resources):
    """A multi-service Dapr project: each service's folder, shared resources, one dapr.yaml, manifests."""

    name: AppId = Field(
        default="todo-system",
        description="The project's name, written like an app id (lowercase letters, digits and '-'): the title "
        "of its README.",
    )
    secret_store: SecretStoreSpec | None = Field(
        default_factory=SecretStoreSpec,
        description="Secret store, loaded by the services whose `client_blocks` include 'secrets'; null: none.",
    )
    services: list[ServiceCore] = Field(
        default_factory=lambda: [ServiceCore.model_validate(s) for s in todo_services()],
        min_length=1,
        max_length=50,
        description="The services: a service spec each (app_id, port, models, subscriptions, jobs, crud, calls, "
        "publishes, starter, ...), without resources. Default: the todo system.",
    )
    line_length: OwnLineLengthOption = None

    _derived: ClassVar[tuple[str, ...]] = ("_services",)

    @model_validator(mode="wrap")
    @classmethod
    def _whole(cls, data: Any, handler: ModelWrapValidatorHandler[ProjectSpec]) -> ProjectSpec:
        spec = handler(data)
        problems = [rule_error(where, value, rule) for where, value, rule in spec._problems()]
        for i, _ in enumerate(spec.services):
            try:
                spec.service_spec(i)
            except ValidationError as exc:  # a service that does not fit the project's resources
                problems += [
                    rule_error(("services", i, *e["loc"]), e.get("input"), e["msg"].removeprefix("Value error, "))
                    for e in exc.errors()
                ]
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return spec

    def _problems(self) -> Iterator[tuple[str, object, str]]:
        seen_ids: dict[str, int] = {}
        seen_ports: dict[int, int] = {}
        for i, s in enumerate(self.services):
            if s.app_id in seen_ids:
                yield f"services.{i}.app_id", s.app_id, f"is already the app id of services.{seen_ids[s.app_id]}"
            if s.port in seen_ports:
                yield f"services.{i}.port", s.port, f"is already the port of services.{seen_ports[s.port]}"
            seen_ids.setdefault(s.app_id, i)
            seen_ports.setdefault(s.port, i)
        for i, s in enumerate(self.services):
            for c in s.calls:
                if c not in seen_ids:
                    known = ", ".join(seen_ids)
                    yield f"services.{i}.calls", c, f"is not a service of the project (its services: {known})"
            if s.line_length is not None and s.line_length != self.line_length:
                # One formatting pass writes every service; each service's pyproject.toml states the same value.
                yield f"services.{i}.line_length", s.line_length, "must be unset or equal the project's line_length"
            for j, b in enumerate(s.output_bindings):
                first = next(o for t in self.services for o in t.output_bindings if o.name == b.name)
                if b != first:
                    yield f"services.{i}.output_bindings.{j}", b.name, "is defined differently by another service"
            if s.health != self.services[0].health:
                yield f"services.{i}.health", "...", "must match services.0.health (one probe path for all)"

    # -- composition -------------------------------------------------------------------------------------------
    def service_spec(self, index: int) -> ServiceSpec:
        """Service `index` as a standalone spec, with the project's resources."""
        core = self.services[index]
        fields = {name: getattr(core, name) for name in core.model_fields_set | {"app_id", "port"}}
        resources = {name: getattr(self, name) for name in Resources.model_fields}
        if "secrets" not in core.client_blocks:
            resources["secret_store"] = None  # the project's secret store is loaded by who asks for it
        if "crud" not in core.model_fields_set:
            fields["crud"] = []  # a project's service has no CRUD unless it says so
        if self.line_length is not None and "line_length" not in fields:
            fields["line_length"] = self.line_length
        # Access control: an invocation target without callers is open to the services that call this one.
        callers = self.calling_apps(core.app_id)
        fields["invocations"] = [
            v if v.callers is not None else v.model_copy(update={"callers": callers}) for v in core.invocations
        ]
        return ServiceSpec.model_validate({**resources, **fields})

    def calling_apps(self, app_id: str) -> list[str]:
        """The services whose `calls` name `app_id`: the only apps allowed to invoke it."""
        return [s.app_id for s in self.services if app_id in s.calls]

    def service_specs(self) -> list[ServiceSpec]:
        """Every service as a standalone spec (built once per project spec)."""
        return self._services

    @functools.cached_property
    def _services(self) -> list[ServiceSpec]:
        return [self.service_spec(i) for i in range(len(self.services))]

    def components_spec(self) -> ComponentsSpec:
        """Every service as an app in its own folder, and the components they share."""
        services = self.service_specs()
        apps: list[AppSpec] = [
            s.components_spec().apps[0].model_copy(update={"callers": s.allowed_callers(self.calling_apps(s.app_id))})
            for s in services
        ]
        topics: dict[str, None] = {}
        for s in services:
            topics.update(dict.fromkeys(s.topics()))
        # One component per binding name; services naming the same binding must define it alike (a rule).
        bindings = {b.name: b for s in services for b in s.output_bindings}
        inputs = [c for s in services for c in s.input_binding_components()]
        return self.components_for(apps, list(topics), services[0].health, list(bindings.values()), inputs)


# No secret store: no service of the todo system reads a secret (a component, its service account and Role that
# nothing uses would only widen what the pods may read).
TODO_SYSTEM: dict[str, Any] = {
    "name": "todo-system",
    "secret_store": None,
    "services": todo_services(),
}
