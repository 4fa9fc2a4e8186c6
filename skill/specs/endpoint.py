"""Input of the endpoint generator: the FastAPI routes Dapr calls (and the state-backed CRUD API) of one app.

With no options it is the todo system's task API: CRUD on `/api/tasks` publishing `task-events`, a subscription
with routing rules, a Jobs callback, an input binding and an invocation target, so that every feature appears.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Literal, Self, get_args

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from skill.errors import SpecError
from skill.specs.client import Block
from skill.specs.common import (
    AppId,
    ClassName,
    ComponentName,
    Identifier,
    JobName,
    LineLengthOption,
    ModuleName,
    RoutePath,
    SpecModel,
    TopicName,
    rule_error,
)
from skill.specs.models import ModelsSpec

__all__ = [
    "PACKAGE_MODULES",
    "BindingSpec",
    "BulkSettings",
    "CrudAction",
    "CrudSpec",
    "EndpointSpec",
    "HealthRoutes",
    "IdempotencySettings",
    "InvocationSpec",
    "JobSpec",
    "RoutingRule",
    "SubscriptionSpec",
    "Verb",
    "package_rule",
    "snake",
    "use_package_rule",
    "use_schema_model_fields",
]

_RESERVED_ROUTES = ("/dapr/", "/job/", "/healthz")
"""A literal URL path the app serves, such as `/orders/created`."""

# The modules the endpoint package holds besides the models module.
PACKAGE_MODULES = frozenset(
    {
        "dapr_client",
        "contract",
        "subscriptions",
        "jobs",
        "bindings",
        "invocation",
        "resources",
        "handlers",
        "main",
        "health",
        "settings",
    }
)
_MATCH = re.compile(r"[ -~]+")
_METADATA_KEY = re.compile(r"[A-Za-z0-9._-]{1,100}")
Verb = Literal["GET", "POST", "PUT", "DELETE", "PATCH"]


def snake(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


class RoutingRule(SpecModel):
    """One routing rule of a subscription: events whose CloudEvent matches `match` go to `route`."""

    match: str = Field(
        min_length=1,
        max_length=500,
        description='CEL expression over `event` (the CloudEvent), for example `event.type == "tasks.deleted"`.',
    )
    route: RoutePath = Field(description="Path this rule delivers to.")
    handler: Identifier = Field(description="Function in handlers.py that handles matching events.")
    model: ClassName | None = Field(default=None, description="Model of `data` here. Unset: the subscription's.")

    @field_validator("match")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not _MATCH.fullmatch(value) or "event" not in value:
            raise ValueError("must be one line of printable ASCII: a CEL expression that reads `event`")
        return value


class BulkSettings(SpecModel):
    """Bulk subscribe: Dapr delivers up to `max_messages_count` events in one request."""

    max_messages_count: int = Field(default=100, ge=1, le=10_000, description="Most events in one delivery.")
    max_await_duration_ms: int = Field(default=1000, ge=1, le=60_000, description="Longest wait to fill a batch.")


class SubscriptionSpec(SpecModel):
    """A programmatic subscription, listed by `GET /dapr/subscribe`."""

    pubsub: ComponentName = Field(default="pubsub", description="Pub/sub component name.")
    topic: TopicName = Field(description="Topic to subscribe to.")
    model: ClassName = Field(description="Model (from `models`) of the CloudEvent's `data`.")
    route: RoutePath | None = Field(
        default=None,
        description="Path Dapr delivers to. With `rules`, this is the default route: events that match no rule "
        "are dropped there (to the dead-letter topic when one is set). Unset: `/events/<pubsub>/<topic>`.",
    )
    handler: Identifier | None = Field(
        default=None, description="Function in handlers.py for events on `route` (no rules). Unset: `on_<topic>`."
    )
    rules: list[RoutingRule] = Field(default_factory=list, description="Routing rules, tried in order.")
    dead_letter_topic: TopicName | None = Field(default=None, description="Where dropped events go.")
    metadata: dict[str, str] = Field(
        default_factory=dict,
        description='Subscription metadata (string values only), for example {"rawPayload": "true"}.',
    )
    bulk: BulkSettings | None = Field(default=None, description="Enable bulk subscribe with these limits.")
    idempotent: bool = Field(
        default=False, description="Run the handler once per CloudEvent id (remembered in the state store)."
    )

    @field_validator("metadata", mode="before")
    @classmethod
    def _string_metadata(cls, value: object) -> object:
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or not _METADATA_KEY.fullmatch(key):
                    raise ValueError(f"key {key!r} must be 1-100 ASCII letters, digits, '.', '_' or '-'")
                if not isinstance(item, str):
                    raise ValueError(
                        f'value of {key!r} must be a string such as "true" (Dapr fails to read every '
                        "subscription of the app when one metadata value is not a string)"
                    )
        return value

    @property
    def raw_payload(self) -> bool:
        return self.metadata.get("rawPayload", "").lower() == "true"

    @property
    def default_route(self) -> str:
        return self.route or f"/events/{self.pubsub}/{self.topic}"

    @property
    def default_handler(self) -> str:
        return self.handler or f"on_{snake(self.topic)}"


class JobSpec(SpecModel):
    """A Jobs API callback: Dapr calls `POST /job/<name>` with the data given when the job was scheduled."""

    name: JobName = Field(description="Job name, as scheduled.")
    model: ClassName | None = Field(default=None, description="Model of the job's data. Unset: any JSON.")
    handler: Identifier | None = Field(default=None, description="Function in handlers.py. Unset: `on_job_<name>`.")
    prefix: bool = Field(
        default=False,
        description="Handle the jobs named '<name>-<anything>' (one job per item, such as a reminder per task, "
        "scheduled as f'<name>-{key}') instead of the one named '<name>'; the route is `/job/<name>-{suffix}`.",
    )

    @property
    def function(self) -> str:
        return self.handler or f"on_job_{snake(self.name)}"

    @property
    def path(self) -> str:
        return f"/job/{self.name}-{{suffix}}" if self.prefix else f"/job/{self.name}"


class BindingSpec(SpecModel):
    """An input binding: Dapr probes `OPTIONS /<route>` at startup and posts each event to `POST /<route>`."""

    name: ComponentName = Field(description="Binding component name.")
    route: RoutePath | None = Field(default=None, description="Path (the component's `route`). Unset: `/<name>`.")
    model: ClassName | None = Field(default=None, description="Model of the event body. Unset: raw bytes.")
    handler: Identifier | None = Field(default=None, description="Function in handlers.py. Unset: `on_<name>`.")

    @property
    def path(self) -> str:
        return self.route or f"/{self.name}"

    @property
    def function(self) -> str:
        return self.handler or f"on_{snake(self.name)}"


class InvocationSpec(SpecModel):
    """A service-invocation target: other apps call it through `/v1.0/invoke/<app-id>/method/<method>`."""

    method: RoutePath = Field(description="Method path, for example `/normalize-task`.")
    verb: Verb = Field(default="POST", description="HTTP verb.")
    request_model: ClassName | None = Field(default=None, description="Model of the JSON request body.")
    response_model: ClassName = Field(description="Model of the JSON response body.")
    handler: Identifier | None = Field(default=None, description="Function in handlers.py. Unset: from `method`.")
    callers: list[AppId] | None = Field(
        default=None,
        description="App ids allowed to call it: the route answers 403 to another `dapr-caller-app-id`, and a "
        "service's Kubernetes Configuration denies the rest (accessControl). Unset: any app (in a project: the "
        "services whose `calls` name this one).",
    )

    @property
    def function(self) -> str:
        return self.handler or snake(self.method)


class CrudAction(SpecModel):
    """A state change with a route and an event of its own, such as completing a task."""

    name: Identifier = Field(description="The route's last segment: `POST <path>/{key}/<name>`, e.g. `complete`.")
    field: Identifier = Field(description="A bool field of the model that the action sets to true.")
    event: Identifier | None = Field(
        default=None,
        description="Change event type suffix (`<resource>.<event>`), also published when a PUT sets the "
        "field. Unset: the field name.",
    )

    @property
    def event_suffix(self) -> str:
        return self.event or self.field


CrudOperation = Literal["create", "read", "list", "update", "delete"]
CRUD_OPERATIONS: tuple[CrudOperation, ...] = get_args(CrudOperation)


class CrudSpec(SpecModel):
    """State-backed CRUD: create, read, list, update and delete with ETags, publishing a change event."""

    name: Identifier = Field(description="Resource name (plural, snake_case), for example `tasks`.")
    path: RoutePath | None = Field(default=None, description="Collection path. Unset: `/api/<name>`.")
    model: ClassName = Field(description="Model (from `models`) of one item.")
    key_field: Identifier = Field(default="id", description="Field of `model` that is the item's key.")
    store: ComponentName = Field(default="statestore", description="State store component.")
    pubsub: ComponentName = Field(default="pubsub", description="Pub/sub component for change events.")
    topic: TopicName | None = Field(
        default=None,
        description="Topic for change events (CloudEvent type `<name>.created|updated|deleted`, data = the item). "
        "Unset: no events.",
    )
    actions: list[CrudAction] = Field(
        default_factory=list,
        description="Flag-setting actions, e.g. {'name': 'complete', 'field': 'completed'}: `POST "
        "<path>/{key}/complete` sets the flag (once) and publishes `<name>.completed`.",
    )
    operations: list[CrudOperation] = Field(
        default_factory=lambda: list(CRUD_OPERATIONS),
        description="The routes, any subset: 'create' POST <path>, 'read' GET <path>/{key}, 'list' GET <path> "
        "(only then is an index key kept), 'update' PUT <path>/{key}, 'delete' DELETE <path>/{key}.",
    )
    put_creates: bool = Field(
        default=False,
        description="PUT <path>/{key} also creates (upsert): 201 on create, 200 on replace; `If-None-Match: *` "
        "makes it create-only (412 when the item exists), `If-Match` update-only (RFC 9110 13.1). Needs 'update'.",
    )

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if len(set(self.operations)) != len(self.operations):
            raise ValueError("operations: must not repeat an operation")
        if self.put_creates and "update" not in self.operations:
            raise ValueError("put_creates: needs 'update' in operations (PUT is the update route)")
        if not self.operations and not self.actions:
            raise ValueError("operations: give at least one operation or action, or leave the resource out")
        return self

    @property
    def collection(self) -> str:
        return self.path or f"/api/{self.name}"

    def has(self, operation: CrudOperation) -> bool:
        return operation in self.operations


class IdempotencySettings(SpecModel):
    """Where and how long processed CloudEvent ids are remembered (subscriptions with `idempotent`)."""

    store: ComponentName = Field(default="statestore", description="State store for processed-event records.")
    claim_seconds: int = Field(
        default=20,
        ge=1,
        le=86_400,
        description="How long a delivery in progress holds its event id; its handler is cut off (RETRY) then. "
        "A process stopped mid-delivery leaves its claim this long, so it must be shorter than the pub/sub's "
        "inbound retries (a service checks it against `resiliency.inbound_max_retries`), or the redeliveries run "
        "out while it holds and the event goes to its dead-letter topic.",
    )
    retain_seconds: int = Field(
        default=604_800, ge=60, le=31_536_000, description="How long a handled event id is remembered."
    )


class HealthRoutes(SpecModel):
    """Liveness and readiness routes: Dapr's app health check and Kubernetes probes call them."""

    liveness: RoutePath = Field(default="/healthz", description="Answers 204 while the process serves requests.")
    readiness: RoutePath = Field(
        default="/readyz", description="Answers 204 when the sidecar has loaded its components, else 503."
    )

    @model_validator(mode="after")
    def _differ(self) -> HealthRoutes:
        if self.liveness == self.readiness:
            raise ValueError("readiness: must differ from liveness (an app may be alive but not ready)")
        return self


def _preset_subscriptions() -> list[SubscriptionSpec]:
    return [
        SubscriptionSpec(
            topic="task-events",
            model="Task",
            route="/events/task-events",
            rules=[
                RoutingRule(
                    match='event.type == "tasks.deleted"', route="/events/task-deleted", handler="on_task_deleted"
                )
            ],
            dead_letter_topic="task-events-dead",
            handler="on_task_changed",
            idempotent=True,
        )
    ]


class EndpointSpec(SpecModel):
    """The app side of Dapr for one service, as FastAPI routers in one Python package."""

    package: ModuleName = Field(default="app", description="Package (folder) the modules are written to.")
    models: ModelsSpec = Field(
        default_factory=ModelsSpec, description="The event and data models (the models generator's spec)."
    )
    subscriptions: list[SubscriptionSpec] = Field(
        default_factory=_preset_subscriptions, description="Pub/sub subscriptions."
    )
    jobs: list[JobSpec] = Field(
        default_factory=lambda: [JobSpec(name="task-reminder", model="ReminderEvent")], description="Jobs callbacks."
    )
    bindings: list[BindingSpec] = Field(
        default_factory=lambda: [BindingSpec(name="task-import", model="Task")], description="Input bindings."
    )
    invocations: list[InvocationSpec] = Field(
        default_factory=lambda: [InvocationSpec(method="/normalize-task", request_model="Task", response_model="Task")],
        description="Service-invocation targets.",
    )
    crud: list[CrudSpec] = Field(
        default_factory=lambda: [CrudSpec(name="tasks", model="Task", topic="task-events")],
        description="State-backed CRUD resources.",
    )
    idempotency: IdempotencySettings = Field(
        default_factory=IdempotencySettings, description="Processed-event records for idempotent subscriptions."
    )
    app_token: bool = Field(
        default=True,
        description="Check `dapr-api-token` against APP_API_TOKEN (when it is set), with a constant-time "
        "compare, on every route the sidecar calls: `/dapr/subscribe`, deliveries, jobs, bindings and invocation "
        "targets. CRUD routes are public (callers that are not sidecars have no token) and never check it.",
    )
    health: HealthRoutes | None = Field(
        default=None,
        description="Liveness and readiness routes (no token check: probes send none). Unset: none.",
    )
    client_blocks: list[Block] = Field(
        default_factory=list,
        description="Client blocks the handlers use besides those the routes need (for example 'invoke', "
        "'jobs', 'secrets').",
    )
    line_length: LineLengthOption = None

    def _routes(self) -> Iterator[tuple[str, str, str]]:
        """(method, path, where) of every route the app serves."""
        yield "GET", "/dapr/subscribe", "the subscription list"
        for i, s in enumerate(self.subscriptions):
            yield "POST", s.default_route, f"subscriptions.{i}.route"
            for j, r in enumerate(s.rules):
                yield "POST", r.route, f"subscriptions.{i}.rules.{j}.route"
        for i, job in enumerate(self.jobs):
            yield "POST", job.path, f"jobs.{i}.name"
        for i, b in enumerate(self.bindings):
            yield "POST", b.path, f"bindings.{i}.route"
            yield "OPTIONS", b.path, f"bindings.{i}.route"
        for i, v in enumerate(self.invocations):
            yield v.verb, v.method, f"invocations.{i}.method"
        if self.health is not None:
            yield "GET", self.health.liveness, "health.liveness"
            yield "GET", self.health.readiness, "health.readiness"
        for i, c in enumerate(self.crud):
            routes = (("create", "POST", ""), ("list", "GET", ""), ("read", "GET", "/{key}"),
                      ("update", "PUT", "/{key}"), ("delete", "DELETE", "/{key}"))  # fmt: skip
            for operation, verb, tail in routes:
                if operation in c.operations:
                    yield verb, f"{c.collection}{tail}", f"crud.{i}.path"
            for j, a in enumerate(c.actions):
                yield "POST", f"{c.collection}/{{key}}/{a.name}", f"crud.{i}.actions.{j}.name"

    def _handlers(self) -> Iterator[tuple[str, str]]:
        for i, s in enumerate(self.subscriptions):
            if not s.rules:
                yield s.default_handler, f"subscriptions.{i}.handler"
            for j, r in enumerate(s.rules):
                yield r.handler, f"subscriptions.{i}.rules.{j}.handler"
        for i, job in enumerate(self.jobs):
            yield job.function, f"jobs.{i}.handler"
        for i, b in enumerate(self.bindings):
            yield b.function, f"bindings.{i}.handler"
        for i, v in enumerate(self.invocations):
            yield v.function, f"invocations.{i}.handler"

    def _models_used(self) -> Iterator[tuple[str | None, str]]:
        for i, s in enumerate(self.subscriptions):
            yield s.model, f"subscriptions.{i}.model"
            for j, r in enumerate(s.rules):
                yield r.model, f"subscriptions.{i}.rules.{j}.model"
        for i, job in enumerate(self.jobs):
            yield job.model, f"jobs.{i}.model"
        for i, b in enumerate(self.bindings):
            yield b.model, f"bindings.{i}.model"
        for i, v in enumerate(self.invocations):
            yield v.request_model, f"invocations.{i}.request_model"
            yield v.response_model, f"invocations.{i}.response_model"
        for i, c in enumerate(self.crud):
            yield c.model, f"crud.{i}.model"

    @model_validator(mode="wrap")
    @classmethod
    def _coherent(cls, data: Any, handler: ModelWrapValidatorHandler[EndpointSpec]) -> EndpointSpec:
        spec = handler(data)
        problems = list(spec._problems())
        if problems:
            raise ValidationError.from_exception_data(
                cls.__name__, [rule_error(where, value, rule) for where, value, rule in problems]
            )
        return spec

    def _package_problem(self) -> str | None:
        """Why the package may not take its name (it would shadow a module the output imports), or None."""
        return package_rule("endpoint")(self)

    def _problems(self) -> Iterator[tuple[str, object, str]]:
        """(where, value, rule) of each cross-field rule this spec breaks."""
        if self.models.module in PACKAGE_MODULES:
            yield "models.module", self.models.module, "is a module of the endpoint package; pick another name"
        try:
            known = model_fields(self.models)
        except SpecError as exc:  # a JSON Schema that does not compile: its problems, under models
            for p in exc.problems:
                yield f"models.{p.field}", p.value, p.rule
            return
        # After the models: what the package may not shadow includes what the models need (their JSON Schema's).
        problem = self._package_problem()
        if problem is not None:
            yield "package", self.package, problem
        for name, where in self._models_used():
            if name is not None and name not in known:
                yield where, name, f"is not a model of `models` (known: {', '.join(sorted(known))})"
        for i, c in enumerate(self.crud):
            if c.model in known and c.key_field not in known[c.model]:
                yield f"crud.{i}.key_field", c.key_field, f"is not a field of {c.model}"
            yield from _action_problems(self.models, c, i)
        seen: dict[tuple[str, str], str] = {}
        for verb, path, where in self._routes():
            # Dapr calls the job and health routes itself; the subscription list is its own route.
            reserved = _RESERVED_ROUTES[:2] if where.startswith("health") else _RESERVED_ROUTES
            if where != "the subscription list" and not where.startswith("jobs") and path.startswith(reserved):
                yield where, path, f"is under a path Dapr reserves ({', '.join(_RESERVED_ROUTES)})"
            elif (verb, path) in seen:
                yield where, path, f"{verb} {path} is already the route of {seen[(verb, path)]}"
            seen.setdefault((verb, path), where)
        names: dict[str, str] = {}
        for name, where in self._handlers():
            if name in names:
                yield where, name, f"handler {name!r} is already used by {names[name]}; name it with `handler`"
            names.setdefault(name, where)
        topics: set[tuple[str, str]] = set()
        for i, sub in enumerate(self.subscriptions):
            if (sub.pubsub, sub.topic) in topics:
                yield f"subscriptions.{i}.topic", sub.topic, "is subscribed twice on one pub/sub (use `rules`)"
            topics.add((sub.pubsub, sub.topic))
            if sub.bulk is not None and sub.raw_payload:
                yield f"subscriptions.{i}.bulk", "...", "bulk delivery with rawPayload is not supported; drop one"
        for i, v in enumerate(self.invocations):
            if v.verb == "GET" and v.request_model is not None:
                yield f"invocations.{i}.request_model", v.request_model, "a GET target takes no body; use POST"


def _action_problems(models: ModelsSpec, crud: CrudSpec, i: int) -> Iterator[tuple[str, object, str]]:
    types = {f.name: f.type for m in models.models if m.name == crud.model for f in m.fields}
    names: set[str] = set()
    events: set[str] = {"created", "updated", "deleted"}
    for j, a in enumerate(crud.actions):
        where = f"crud.{i}.actions.{j}"
        if types and types.get(a.field) != "bool":
            yield f"{where}.field", a.field, f"must be a bool field of {crud.model} (true once the action ran)"
        if a.name in names:
            yield f"{where}.name", a.name, "is the name of another action"
        if a.event_suffix in events:
            yield f"{where}.event", a.event_suffix, f"is already an event type of {crud.name}; name it with `event`"
        names.add(a.name)
        events.add(a.event_suffix)


# What a JSON Schema compiles to is the models generator's to say (datamodel-code-generator runs there); that
# layer hands its reader down when `skill` is imported (skill.generators.schema_models), as skill.reserved does for
# the client spec, so the specs import nothing above them (tests/engine/test_public_api.py).
_schema_model_fields: list[Callable[[ModelsSpec], dict[str, set[str]]]] = []


# Which names a package may not take is the generators' to say (they know what their output imports and installs);
# each hands its rule down when `skill` is imported, as for the JSON Schema reader above.
_package_rules: dict[str, Callable[[Any], str | None]] = {}


def use_package_rule(kind: str, rule: Callable[[Any], str | None]) -> None:
    """Install why a `kind` ('endpoint', 'service') spec's package may not take its name (None: it may)."""
    _package_rules[kind] = rule


def package_rule(kind: str) -> Callable[[Any], str | None]:
    if kind not in _package_rules:  # `import skill` installs them: only a broken import order gets here
        raise RuntimeError(f"the {kind} generator is not imported: import skill (it installs its package rule)")
    return _package_rules[kind]


def use_schema_model_fields(reader: Callable[[ModelsSpec], dict[str, set[str]]]) -> None:
    """Install what tells the model classes (and their fields) a models spec's JSON Schema compiles to."""
    _schema_model_fields[:] = [reader]


def model_fields(models: ModelsSpec) -> dict[str, set[str]]:
    """Every model (not enum) class the models spec defines, with its field names: from `models`, or the classes
    datamodel-code-generator makes of the `json_schema` (named from its title, `$defs` keys and properties;
    SpecError when it does not compile)."""
    if models.json_schema is not None:
        if not _schema_model_fields:  # `import skill` installs it: only a broken import order gets here
            raise RuntimeError("skill.generators.schema_models is not imported: import skill (it installs the reader)")
        return _schema_model_fields[0](models)
    return {m.name: {f.name for f in m.fields} for m in models.models}
