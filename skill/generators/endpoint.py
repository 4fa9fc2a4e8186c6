"""FastAPI routers for everything Dapr calls in an app, in one package whose modules import each other relatively.

The package holds the client render of the client generator and the models render of the models generator (the
same renders those tools return), a `contract` module (token, shared client, delivery answers, idempotency), one
router module per feature, `handlers` (the user's business logic) and `main` (`create_app`, `include_routers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from skill.generator import Generator
from skill.generators import client, models, samples
from skill.imports import Import, Imports, sections
from skill.plan import FilePlan, Plan
from skill.specs.client import BindingCall, Block, ClientSpec
from skill.specs.endpoint import BulkSettings, EndpointSpec, SubscriptionSpec, snake, use_package_rule
from skill.specs.names import module_name_problem

__all__ = [
    "CLIENT_CLASS",
    "CLIENT_MODULE",
    "GENERATOR",
    "client_blocks",
    "handlers_context",
    "handlers_note",
    "package_problem",
    "plan",
    "requirements_for",
]

REQUIREMENTS = ("fastapi>=0.115,<1",)
SERVER_REQUIREMENTS = ("uvicorn[standard]>=0.32",)  # runs the app (the notes say how); nothing imports it
# The client module and class the package holds; the service and todo starters import them by these names.
CLIENT_MODULE = "dapr_client"
CLIENT_CLASS = "DaprClient"


def _i(module: str, *names: str) -> list[Import]:
    return [Import(module, n) for n in names] if names else [Import(module)]


@dataclass(frozen=True)
class ContractContext:
    imports: Imports
    client_class: str
    token: bool
    subscriptions: bool
    idempotency: bool
    bulk: bool
    jobs: bool
    bindings: bool
    callbacks: bool
    limited_routes: bool  # CRUD or invocation routes: FastAPI parses their bodies, so a route class limits them


@dataclass(frozen=True)
class SubscribeEntry:
    """One entry of `GET /dapr/subscribe`, exactly the keys the runtime reads."""

    pubsub: str
    topic: str
    route: str | None  # v1 single route (no rules)
    rules: tuple[tuple[str, str], ...]  # (match, path)
    default: str | None
    dead_letter_topic: str | None
    metadata: tuple[tuple[str, str], ...]
    bulk: BulkSettings | None


@dataclass(frozen=True)
class DeliveryRoute:
    path: str
    function: str  # the route function's name
    handler: str | None  # handlers.<name>; None: the default route of a subscription with rules (DROP)
    adapter: str | None  # module-level TypeAdapter of CloudEvent[model]
    bulk: bool
    idempotent: bool
    scope: str  # "<pubsub>/<topic>": part of the processed-event key


@dataclass(frozen=True)
class SubscriptionsContext:
    imports: Imports
    entries: tuple[SubscribeEntry, ...]
    adapters: tuple[tuple[str, str], ...]  # (name, model)
    routes: tuple[DeliveryRoute, ...]
    drops: bool  # some route is a default route that drops what no rule matched
    token: bool


@dataclass(frozen=True)
class CallbackRoute:
    """A job or binding callback: the route, the handler and how the body is read."""

    name: str  # job or binding name (for log lines)
    path: str
    function: str
    handler: str
    model: str | None


@dataclass(frozen=True)
class CallbacksContext:
    imports: Imports
    routes: tuple[CallbackRoute, ...]
    token: bool


@dataclass(frozen=True)
class InvocationRoute:
    path: str
    verb: str  # lower case: the APIRouter method
    function: str
    request_model: str | None
    response_model: str
    callers: tuple[str, ...] | None = None  # None: any app

    @property
    def const(self) -> str:
        return self.function.upper()


@dataclass(frozen=True)
class InvocationContext:
    imports: Imports
    routes: tuple[InvocationRoute, ...]
    token: bool
    guarded: bool = False  # some route names its callers


@dataclass(frozen=True)
class Action:
    name: str  # route segment and function stem
    field: str
    event_type: str  # `<resource>.<event>`


@dataclass(frozen=True)
class Resource:
    name: str
    const: str  # upper-case stem of its module constants
    singular: str
    collection: str
    model: str
    key_field: str
    store: str
    pubsub: str
    topic: str | None
    actions: tuple[Action, ...] = ()
    operations: tuple[str, ...] = ("create", "read", "list", "update", "delete")
    put_creates: bool = False

    @property
    def listed(self) -> bool:
        """Whether an index key is kept (only a list route reads it)."""
        return "list" in self.operations


@dataclass(frozen=True)
class ResourcesContext:
    imports: Imports
    resources: tuple[Resource, ...]
    client_class: str
    publishes: bool
    token: bool
    indexed: bool = True  # some resource has a list route (the index helper)
    upserts: bool = False  # some resource's PUT creates (If-None-Match)


@dataclass(frozen=True)
class Handler:
    function: str
    kind: str  # "event", "job", "binding", "invocation"
    model: str | None
    response_model: str | None = None
    what: str = ""  # for the docstring: a literal-safe description built from checked names
    example: JsonValue = None  # an invocation's valid answer until the user writes theirs


@dataclass(frozen=True)
class HandlersContext:
    imports: Imports
    client_class: str
    handlers: tuple[Handler, ...]


@dataclass(frozen=True)
class MainContext:
    imports: Imports
    routers: tuple[str, ...]
    client_class: str
    token: bool
    idempotency: bool
    store: str
    claim_seconds: int
    retain_seconds: int
    settings: bool  # a `settings` module (the service generator's) with Settings and get_settings


@dataclass(frozen=True)
class HealthContext:
    imports: Imports
    liveness: str
    readiness: str
    client_class: str


@dataclass(frozen=True)
class PackageContext:
    package: str


def _client_spec(spec: EndpointSpec, binding_calls: Sequence[BindingCall] = ()) -> ClientSpec:
    return ClientSpec(
        blocks=client_blocks(spec), module=CLIENT_MODULE, class_name=CLIENT_CLASS, binding_calls=list(binding_calls)
    )


def client_blocks(spec: EndpointSpec) -> list[Block]:
    """The client blocks the package's routes and handlers use."""
    blocks: list[Block] = []
    if spec.crud or any(s.idempotent for s in spec.subscriptions):
        blocks.append("state")
    if any(c.topic for c in spec.crud) or not (blocks or spec.client_blocks):
        blocks.append("pubsub")  # handlers most often publish follow-up events
    blocks += [b for b in spec.client_blocks if b not in blocks]
    return blocks


def _events(spec: EndpointSpec) -> str:
    return spec.models.module


def _local(spec: EndpointSpec, models: Iterable[str | None], *, client_: bool, contract: Iterable[str]) -> list[Import]:
    found = [Import(f".{_events(spec)}", m) for m in sorted({m for m in models if m})]
    if client_:
        found.append(Import(f".{CLIENT_MODULE}", CLIENT_CLASS))
    found += [Import(".contract", n) for n in contract]
    return found


def _contract(spec: EndpointSpec) -> ContractContext:
    subs, jobs, bindings = bool(spec.subscriptions), bool(spec.jobs), bool(spec.bindings)
    idem = any(s.idempotent for s in spec.subscriptions)
    bulk = any(s.bulk is not None for s in spec.subscriptions)
    limited = bool(spec.crud or spec.invocations)
    std = [*_i("dataclasses"), *_i("logging"), *_i("typing", "Annotated")]
    lib = [*_i("fastapi", "Depends", "Request", "Response")]
    lib += [*_i("fastapi.exceptions", "RequestValidationError"), *_i("fastapi.responses", "JSONResponse")]
    local = [Import(f".{CLIENT_MODULE}", CLIENT_CLASS)]
    if subs or jobs or bindings:
        std += [*_i("collections.abc", "Awaitable", "Callable"), *_i("typing", "TypeVar")]
    if limited:
        std += [*_i("collections.abc", "Callable", "Coroutine"), *_i("typing", "Any")]
        lib += [*_i("fastapi.routing", "APIRoute"), *_i("starlette.types", "Message", "Receive")]
    if subs:
        std += [*_i("asyncio"), *_i("hashlib"), *_i("typing", "Any", "Literal", "Protocol")]
        lib += [Import("pydantic", "TypeAdapter", True)]
        local += [Import(f".{_events(spec)}", "CloudEvent")]
    if bulk:
        std += [*_i("asyncio"), *_i("json")]
        lib += [Import("pydantic", n, True) for n in ("BaseModel", "Field", "JsonValue", "ValidationError")]
    if jobs:
        std += _i("json")
        lib += [Import("pydantic", "JsonValue", True)]
    if bindings:
        std += _i("collections.abc", "Mapping")
    if spec.app_token:
        std += [*_i("hmac"), *_i("os")]
        lib += _i("fastapi", "HTTPException", "status")
    if idem:
        std += [*_i("itertools"), *_i("time")]
    return ContractContext(
        sections(std, lib, local),
        CLIENT_CLASS,
        spec.app_token,
        subs,
        idem,
        bulk,
        jobs,
        bindings,
        jobs or bindings,
        limited,
    )


def _route_function(prefix: str, path: str) -> str:
    return f"{prefix}_{snake(path)}"


def _subscriptions(spec: EndpointSpec) -> SubscriptionsContext:
    entries = tuple(_entry(s) for s in spec.subscriptions)
    routes: list[DeliveryRoute] = []
    adapters: dict[str, str] = {}
    for s in spec.subscriptions:
        bulk, idem, scope = s.bulk is not None, s.idempotent, f"{s.pubsub}/{s.topic}"
        targets = [(r.route, r.handler, r.model or s.model) for r in s.rules]
        if not s.rules:
            targets.append((s.default_route, s.default_handler, s.model))
        for path, handler, model in targets:
            adapter = f"_{snake(model).upper()}_EVENT"
            adapters[adapter] = model
            routes.append(DeliveryRoute(path, _route_function("deliver", path), handler, adapter, bulk, idem, scope))
        if s.rules:  # the default route: events that match no rule are dropped there
            routes.append(
                DeliveryRoute(
                    s.default_route, _route_function("unmatched", s.default_route), None, None, False, False, scope
                )
            )
    handled = [r for r in routes if r.handler]
    contract = {"answer"} if len(handled) < len(routes) else set()
    if any(not r.bulk for r in handled):
        contract.add("deliver")
    if any(r.bulk for r in handled):
        contract.add("deliver_bulk")
    if spec.app_token:
        contract.add("require_dapr_token")
    std = [*_i("json")] + (_i("logging") if len(handled) < len(routes) else [])
    lib = [*_i("fastapi", "APIRouter", "Response")]
    lib += _i("fastapi", "Request") if routes else []
    lib += _i("fastapi", "Depends") if spec.app_token else []
    lib += _i("pydantic", "TypeAdapter") if adapters else []
    local = _local(spec, adapters.values(), client_=False, contract=sorted(contract))
    if adapters:
        local += [Import(f".{_events(spec)}", "CloudEvent"), Import(".", "handlers")]
    return SubscriptionsContext(
        sections(std, lib, local),
        entries,
        tuple(sorted(adapters.items())),
        tuple(routes),
        len(handled) < len(routes),
        spec.app_token,
    )


def _entry(s: SubscriptionSpec) -> SubscribeEntry:
    return SubscribeEntry(
        pubsub=s.pubsub,
        topic=s.topic,
        route=None if s.rules else s.default_route,
        rules=tuple((r.match, r.route) for r in s.rules),
        default=s.default_route if s.rules else None,
        dead_letter_topic=s.dead_letter_topic,
        metadata=tuple(sorted(s.metadata.items())),
        bulk=s.bulk,
    )


def _callbacks(spec: EndpointSpec, kind: str) -> CallbacksContext:
    if kind == "jobs":
        routes = [CallbackRoute(j.name, j.path, f"job_{snake(j.name)}", j.function, j.model) for j in spec.jobs]
        helper = "run_job"
    else:
        routes = [CallbackRoute(b.name, b.path, f"binding_{snake(b.path)}", b.function, b.model) for b in spec.bindings]
        helper = "run_binding"
    std: list[Import] = []
    lib = [*_i("fastapi", "APIRouter", "Request"), *_i("fastapi.responses", "Response")]
    if spec.app_token:
        lib += _i("fastapi", "Depends")
    contract = ["Dapr", helper] + (["require_dapr_token"] if spec.app_token else [])
    if any(r.model is None for r in routes):
        contract.append("read_json" if kind == "jobs" else "read_bytes")
    local = [*_local(spec, [r.model for r in routes], client_=False, contract=contract), Import(".", "handlers")]
    return CallbacksContext(sections(std, lib, local), tuple(routes), spec.app_token)


def _invocation(spec: EndpointSpec) -> InvocationContext:
    routes = tuple(
        InvocationRoute(
            v.method,
            v.verb.lower(),
            v.function,
            v.request_model,
            v.response_model,
            tuple(v.callers) if v.callers is not None else None,
        )
        for v in spec.invocations
    )
    lib = [*_i("fastapi", "APIRouter")] + (_i("fastapi", "Depends") if spec.app_token else [])
    std: list[Import] = []
    if any(r.callers is not None for r in routes):
        std = [*_i("typing", "Annotated")]
        lib += [*(() if spec.app_token else _i("fastapi", "Depends")), *_i("fastapi", "HTTPException", "Request")]
        lib += [*_i("fastapi", "status")]
    contract = ["Dapr", "DaprRoute"] + (["require_dapr_token"] if spec.app_token else [])
    models = [m for r in routes for m in (r.request_model, r.response_model)]
    local = [*_local(spec, models, client_=False, contract=contract), Import(".", "handlers")]
    guarded = any(r.callers is not None for r in routes)
    return InvocationContext(sections(std, lib, local), routes, spec.app_token, guarded)


def _resources(spec: EndpointSpec) -> ResourcesContext:
    resources = tuple(
        Resource(
            c.name,
            c.name.upper(),
            c.name.removesuffix("s") or c.name,
            c.collection,
            c.model,
            c.key_field,
            c.store,
            c.pubsub,
            c.topic,
            tuple(Action(a.name, a.field, f"{c.name}.{a.event_suffix}") for a in c.actions),
            tuple(c.operations),
            c.put_creates,
        )
        for c in spec.crud
    )
    publishes = any(r.topic for r in resources)
    std = [*_i("logging"), *_i("typing", "Annotated")]
    lib = [*_i("fastapi", "APIRouter", "Header", "HTTPException", "Path", "Response", "status")]
    lib += [*_i("fastapi.exceptions", "RequestValidationError")]
    lib += [Import("pydantic", "AfterValidator", True), Import("pydantic", "ValidationError", True)]
    contract = ["Dapr", "PublicRoute"]  # public routes: no app token (see the module's docstring)
    indexed = any(r.listed for r in resources)
    # The client class types the index and publish helpers' parameters.
    local = _local(spec, [r.model for r in resources], client_=indexed or publishes, contract=contract)
    changes = any({"update", "delete"} & set(r.operations) or r.actions for r in resources)
    used = {
        "UNCHANGED": indexed or any(r.actions for r in resources),
        "DaprConflictError": indexed or changes,
        "StateItem": indexed or changes,
    }
    local += [Import(f".{CLIENT_MODULE}", n) for n, wanted in used.items() if wanted]
    upserts = any(r.put_creates for r in resources)
    return ResourcesContext(
        sections(std, lib, local), resources, CLIENT_CLASS, publishes, spec.app_token, indexed, upserts
    )


def handlers_context(spec: EndpointSpec) -> HandlersContext:
    """Every function the routers call in handlers.py, with its kind and models (the stubs' context)."""
    found: list[Handler] = []
    for s in spec.subscriptions:
        for r in s.rules:
            found.append(Handler(r.handler, "event", r.model or s.model, what=f"{s.topic} events on {r.route}"))
        if not s.rules:
            found.append(Handler(s.default_handler, "event", s.model, what=f"{s.topic} events"))
    found += [Handler(j.function, "job", j.model, what=f"job {j.name}") for j in spec.jobs]
    found += [Handler(b.function, "binding", b.model, what=f"binding {b.name}") for b in spec.bindings]
    found += [
        Handler(
            v.function,
            "invocation",
            v.request_model,
            v.response_model,
            what=f"{v.verb} {v.method}",
            example=None if v.request_model == v.response_model else samples.sample(spec.models, v.response_model),
        )
        for v in spec.invocations
    ]
    std = [*_i("logging")]
    if any(h.kind == "binding" for h in found):
        std += _i("collections.abc", "Mapping")
    lib = [Import("pydantic", "JsonValue")] if any(h.kind == "job" and not h.model for h in found) else []
    models = [m for h in found for m in (h.model, h.response_model)]
    local = _local(spec, models, client_=bool(found), contract=[])
    if any(h.kind == "event" for h in found):
        local.append(Import(f".{_events(spec)}", "CloudEvent"))
    return HandlersContext(sections(std, lib, local), CLIENT_CLASS, tuple(found))


def _health(spec: EndpointSpec) -> HealthContext:
    assert spec.health is not None
    lib = [*_i("fastapi", "APIRouter", "Request", "Response"), *_i("fastapi.responses", "JSONResponse")]
    local = [Import(f".{CLIENT_MODULE}", CLIENT_CLASS)]
    return HealthContext(sections([], lib, local), spec.health.liveness, spec.health.readiness, CLIENT_CLASS)


def _routers(spec: EndpointSpec) -> tuple[str, ...]:
    present = {
        "health": spec.health is not None,
        "subscriptions": True,  # `/dapr/subscribe` answers even with no subscriptions: an empty list
        "jobs": bool(spec.jobs),
        "bindings": bool(spec.bindings),
        "invocation": bool(spec.invocations),
        "resources": bool(spec.crud),
    }
    return tuple(name for name, used in present.items() if used)


def _main(spec: EndpointSpec, settings: bool) -> MainContext:
    idem = any(s.idempotent for s in spec.subscriptions)
    std = [*_i("asyncio"), *_i("contextlib"), *_i("logging"), *_i("collections.abc", "AsyncIterator")]
    lib = [*_i("fastapi", "FastAPI", "Request"), *_i("fastapi.responses", "JSONResponse")]
    lib += _i("fastapi.exceptions", "RequestValidationError")
    local = [Import(".", r) for r in _routers(spec)]
    local += [Import(f".{CLIENT_MODULE}", CLIENT_CLASS), Import(f".{CLIENT_MODULE}", "DaprUnavailableError")]
    local += [Import(".contract", "BodyLimits"), Import(".contract", "validation_failed")]
    if idem:
        local += [Import(".contract", "ProcessedEvents"), Import(".contract", "StateProcessedEvents")]
    if spec.app_token:
        local.append(Import(".contract", "app_api_token_from_env"))
    if settings:
        local += _i(".settings", "Settings", "get_settings")
    i = spec.idempotency
    return MainContext(
        sections(std, lib, local),
        _routers(spec),
        CLIENT_CLASS,
        spec.app_token,
        idem,
        i.store,
        i.claim_seconds,
        i.retain_seconds,
        settings,
    )


def handlers_note(package: str) -> str:
    """What the package's handlers.py is to its user (a service that embeds the package says it in its own)."""
    return (
        f"`{package}/handlers.py` is yours: the routers call its functions with typed inputs and the shared client. "
        "Raise DropEvent (from .contract) to drop an event; any other exception answers RETRY."
    )


def requirements_for(spec: EndpointSpec) -> list[str]:
    """What the package's modules import: the client's, the models' and FastAPI."""
    return sorted({*client.requirements_for(_client_spec(spec)), *models.requirements_for(spec.models), *REQUIREMENTS})


def package_problem(spec: EndpointSpec) -> str | None:
    """Why the package may not take its name: it would shadow a module that its code imports or its server is."""
    return module_name_problem(spec.package, (*requirements_for(spec), *SERVER_REQUIREMENTS))


use_package_rule("endpoint", package_problem)


def plan(spec: EndpointSpec, *, settings: bool = False, binding_calls: Sequence[BindingCall] = ()) -> Plan:
    """The package's files. `settings`: the service generator adds a `settings` module that `main` loads.
    `binding_calls`: the typed output-binding calls the client carries (a service's output bindings)."""
    pkg = spec.package
    client_spec = _client_spec(spec, binding_calls)
    models_files = models.models_files(spec.models, pkg)
    files = [
        FilePlan(f"{pkg}/__init__.py", "endpoint/package", PackageContext(pkg)),
        FilePlan(f"{pkg}/{CLIENT_MODULE}.py", client.SNIPPET, client.context_for(client_spec)),
        *models_files,
        FilePlan(f"{pkg}/contract.py", "endpoint/contract", _contract(spec)),
        FilePlan(f"{pkg}/subscriptions.py", "endpoint/subscriptions", _subscriptions(spec)),
    ]
    if spec.jobs:
        files.append(FilePlan(f"{pkg}/jobs.py", "endpoint/jobs", _callbacks(spec, "jobs")))
    if spec.bindings:
        files.append(FilePlan(f"{pkg}/bindings.py", "endpoint/bindings", _callbacks(spec, "bindings")))
    if spec.invocations:
        files.append(FilePlan(f"{pkg}/invocation.py", "endpoint/invocation", _invocation(spec)))
    if spec.crud:
        files.append(FilePlan(f"{pkg}/resources.py", "endpoint/resources", _resources(spec)))
    if spec.health is not None:
        files.append(FilePlan(f"{pkg}/health.py", "endpoint/health", _health(spec)))
    files += [
        FilePlan(f"{pkg}/handlers.py", "endpoint/handlers", handlers_context(spec)),
        FilePlan(f"{pkg}/main.py", "endpoint/main", _main(spec, settings)),
    ]
    requirements = requirements_for(spec)
    notes = [
        handlers_note(pkg),
        f"Run it with `uvicorn {pkg}.main:app`; `create_app(dapr=..., app_api_token=...)` builds one for tests.",
    ]
    if spec.app_token:
        notes.append(
            "When APP_API_TOKEN is set, the routes the sidecar calls (subscriptions, jobs, bindings, invocation "
            "targets) answer 401 unless `dapr-api-token` carries it; the CRUD routes are public and check no token "
            "(put your own authentication in front of them if they need one)."
        )
    notes.append(
        "Request bodies are limited before parsing (BodyLimits: 1 MiB on public routes, answered 413; 4 MiB on "
        "the routes Dapr calls); /docs and /openapi.json are off unless create_app(api_docs=True)."
    )
    if any(s.idempotent for s in spec.subscriptions):
        notes.append(
            "Idempotent subscriptions claim each CloudEvent id in the state store before the handler runs and mark "
            "it handled after: a crash in between re-runs the handler once the claim expires (at least once). A "
            f"handler is cut off (RETRY) when its claim runs out ({spec.idempotency.claim_seconds} s); keep the claim "
            "shorter than the pub/sub's inbound retries, or a restart mid-delivery sends the event to its "
            "dead-letter topic."
        )
    return Plan(files=files, requirements=requirements, notes=notes, known_first_party=(pkg,))


GENERATOR = Generator(
    name="endpoint",
    title="FastAPI routers for the Dapr app side",
    description="FastAPI routers for what Dapr calls (subscriptions, jobs, input bindings, invocation targets, "
    "state CRUD), with the client and models.",
    spec=EndpointSpec,
    plan=plan,
    examples={
        "orders-bulk": {
            "package": "orders",
            "models": {
                "models": [
                    {"name": "Order", "fields": [{"name": "id", "type": "str"}, {"name": "total", "type": "float"}]}
                ]
            },
            "subscriptions": [
                {
                    "topic": "orders",
                    "model": "Order",
                    "bulk": {"max_messages_count": 50},
                    "idempotent": True,
                    "dead_letter_topic": "orders-dead",
                },
            ],
            "jobs": [{"name": "nightly-report"}],
            "bindings": [],
            "invocations": [{"method": "/order-total", "request_model": "Order", "response_model": "Order"}],
            "crud": [],
            "app_token": False,
            "health": {"readiness": "/ready"},
            "client_blocks": ["jobs"],
        },
        "raw-binding": {
            "subscriptions": [
                {"topic": "imports", "model": "Task", "metadata": {"rawPayload": "true"}, "route": "/imports"},
            ],
            "jobs": [],
            "bindings": [{"name": "uploads", "route": "/uploads/incoming"}],
            "invocations": [],
            "crud": [{"name": "reminders", "model": "ReminderEvent", "key_field": "task_id"}],
        },
    },
)
