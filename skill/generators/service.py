"""A Dapr microservice as a folder a person can `cd` into, run, test and deploy.

Composed, never copied: the app package is the endpoint generator's plan (which holds the client and models
renders), the Dapr resources, Dockerfile and manifests are the components generator's, and this module adds what
makes them a project: settings, the service's own tests over an in-memory Dapr (the fake generator's module),
pyproject.toml, README.md and ignore files. `handlers` is the user's: written once, never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import JsonValue

from skill.generator import Generator
from skill.generators import components, endpoint, fake, samples, todo
from skill.generators.components import ENV_NAMES
from skill.imports import Import, Imports, sections
from skill.plan import EmptyContext, FilePlan, Plan
from skill.quality import RUFF_IGNORES, RUFF_RULES, RUFF_TEST_IGNORES
from skill.requirements import lower_bounds
from skill.specs.endpoint import snake, use_package_rule
from skill.specs.names import module_name_problem
from skill.specs.service import ServiceCore, ServiceSpec
from skill.style import DEFAULT_STYLE, Style

__all__ = [
    "GENERATOR",
    "SIBLING_FOLDERS",
    "files_for",
    "imported_requirements",
    "own_style",
    "package_problem",
    "plan",
    "requirements_for",
]

# The generated project's own tools, lower bounds only (uv resolves them when the service is first run).
RUNTIME_REQUIREMENTS = endpoint.SERVER_REQUIREMENTS
TEST_REQUIREMENTS = ("pytest>=8.3", "anyio>=4.6", "httpx>=0.28,<1")  # what tests/ imports
DEV_REQUIREMENTS = (*TEST_REQUIREMENTS, "mypy>=1.15", "ruff>=0.15")
# The folders a service writes beside its package (tests/ here, resources/ and deploy/ through the components
# generator): the package may take none of their names. tests/service checks this list against a real plan.
SIBLING_FOLDERS = ("tests", "resources", "deploy")
TEST_TOKEN = "app-token-for-tests"  # noqa: S105 - a value the generated tests send, not a secret


@dataclass(frozen=True)
class ComponentSetting:
    field: str  # Settings attribute
    env: str  # environment variable
    value: str  # the component name the routers were generated with


@dataclass(frozen=True)
class SettingsContext:
    app_id: str
    components: tuple[ComponentSetting, ...]


@dataclass(frozen=True)
class PyprojectContext:
    name: str
    description: str
    requirements: tuple[str, ...]
    dev_requirements: tuple[str, ...]
    line_length: int
    target_version: str
    package: str
    ruff_rules: tuple[str, ...]
    ruff_ignores: tuple[str, ...]
    test_ignores: tuple[str, ...]


@dataclass(frozen=True)
class RouteLine:
    method: str
    path: str
    what: str


@dataclass(frozen=True)
class ReadmeContext:
    app_id: str
    port: int
    package: str
    routes: tuple[RouteLine, ...]
    components: tuple[ComponentSetting, ...]
    topics_published: tuple[str, ...]
    calls: tuple[str, ...]
    local: bool
    kubernetes: bool
    secrets: bool
    notes: tuple[str, ...]
    standalone: bool  # the service carries its own resources (else a project does)
    liveness: str
    readiness: str


@dataclass(frozen=True)
class ConftestContext:
    imports: Imports
    package: str
    client_class: str
    token: str | None
    store_types: tuple[str, ...]  # the fake's state stores the tests run on: each environment's store


@dataclass(frozen=True)
class DeliveryCase:
    test: str  # test function name
    path: str
    handler: str  # the function of handlers.py the route calls
    model: str  # what the event's data is validated as
    idempotent: bool
    pubsub: str
    topic: str
    event_type: str
    sample: JsonValue
    bulk: bool


@dataclass(frozen=True)
class CallbackCase:
    test: str
    path: str
    handler: str
    model: str | None
    sample: JsonValue  # None: raw bytes (a binding without a model) or any JSON (a job without one)
    raw: bool


@dataclass(frozen=True)
class InvocationCase:
    test: str
    verb: str  # lower case: the httpx method
    path: str
    handler: str
    sample: JsonValue  # None: no body
    request_model: str | None
    response_model: str
    response_sample: JsonValue
    callers: tuple[str, ...] | None = None  # None: any app may call it
    caller: str | None = None  # the dapr-caller-app-id the tests send: an allowed caller
    callable: bool = True  # False: `callers` is empty, no app may call it


@dataclass(frozen=True)
class CrudCase:
    name: str
    collection: str
    key_field: str  # the key field's JSON key (the samples are JSON)
    first: JsonValue
    second: JsonValue
    first_key: str
    topic: str | None
    pubsub: str
    actions: tuple[tuple[str, str, str, str], ...]  # (route segment, flag field, its JSON key, event type)
    operations: tuple[str, ...] = ("create", "read", "list", "update", "delete")
    put_creates: bool = False
    store: str = "statestore"

    @property
    def full(self) -> bool:
        """All five operations, PUT replace-only: the shape test_app.py's round trip covers."""
        return len(self.operations) == 5 and not self.put_creates


@dataclass(frozen=True)
class AccessTestsContext:
    imports: Imports
    routes: tuple[InvocationCase, ...]  # the invocation targets that name their callers


@dataclass(frozen=True)
class CrudShapesContext:
    imports: Imports
    resources: tuple[CrudCase, ...]


@dataclass(frozen=True)
class TestsContext:
    imports: Imports
    token: bool  # the app checks dapr-api-token
    stand_ins: bool  # some route calls a function of handlers.py
    plain_deliveries: bool  # some subscription route takes one CloudEvent per request
    liveness: str
    readiness: str
    subscribed: tuple[tuple[str, str], ...]  # (pubsub, topic)
    deliveries: tuple[DeliveryCase, ...]
    jobs: tuple[CallbackCase, ...]
    bindings: tuple[CallbackCase, ...]
    invocations: tuple[InvocationCase, ...]
    crud: tuple[CrudCase, ...]


@dataclass(frozen=True)
class OutputBindingCase:
    name: str
    kind: str
    function: str  # test name part


@dataclass(frozen=True)
class OutputBindingTestsContext:
    imports: Imports
    client_class: str
    bindings: tuple[OutputBindingCase, ...]


def _output_binding_tests(spec: ServiceSpec) -> OutputBindingTestsContext:
    local = [
        Import(f"{spec.package}.{endpoint.CLIENT_MODULE}", endpoint.CLIENT_CLASS),
        Import("tests.fake_dapr", "FakeDapr"),
    ]
    if any(b.kind in ("http", "postgresql") for b in spec.output_bindings):
        local.append(Import("tests.fake_dapr", "BindingReply"))
    return OutputBindingTestsContext(
        sections([], [Import("pytest")], local),
        endpoint.CLIENT_CLASS,
        tuple(OutputBindingCase(b.name, b.kind, snake(b.name)) for b in spec.output_bindings),
    )


def _settings(spec: ServiceSpec) -> SettingsContext:
    c = spec.components_spec()
    names = components.app_env(c, c.apps[0])
    fields = {env: role for role, env in ENV_NAMES.items()}
    field_names = {"pubsub": "pubsub_name", "state": "statestore_name", "secrets": "secretstore_name"}
    return SettingsContext(
        spec.app_id, tuple(ComponentSetting(field_names[fields[env]], env, value) for env, value in names)
    )


def _tests(spec: ServiceSpec) -> TestsContext:
    e = spec.endpoint_spec()
    models = e.models
    deliveries: list[DeliveryCase] = []
    for s in e.subscriptions:
        targets = [(r.route, r.handler, r.model or s.model) for r in s.rules]
        if not s.rules:
            targets.append((s.default_route, s.default_handler, s.model))
        for path, handler, model in targets:
            # The routes take any CloudEvent type: a rule's CEL is the sidecar's business, not the route's.
            deliveries.append(
                DeliveryCase(
                    f"test_{snake(path)}_hands_a_valid_event_to_its_handler",
                    path,
                    handler,
                    model,
                    s.idempotent,
                    s.pubsub,
                    s.topic,
                    f"{snake(s.topic)}.sample",
                    samples.sample(models, model),
                    s.bulk is not None,
                )
            )
    jobs = tuple(
        CallbackCase(
            f"test_job_{snake(j.name)}_is_done",
            f"/job/{j.name}-sample" if j.prefix else f"/job/{j.name}",  # a prefix job: any name that starts so
            j.function,
            j.model,
            samples.sample(models, j.model) if j.model else {"sample": True},
            False,
        )
        for j in e.jobs
    )
    bindings = tuple(
        CallbackCase(
            f"test_binding_{snake(b.name)}_is_handled",
            b.path,
            b.function,
            b.model,
            samples.sample(models, b.model) if b.model else None,
            b.model is None,
        )
        for b in e.bindings
    )
    invocations = tuple(
        InvocationCase(
            f"test_invoke_{v.function}_answers",  # handlers are unique; a method may have two verbs
            v.verb.lower(),
            v.method,
            v.function,
            samples.sample(models, v.request_model) if v.request_model else None,
            v.request_model,
            v.response_model,
            samples.sample(models, v.response_model, variant=1),
            tuple(v.callers) if v.callers is not None else None,
            v.callers[0] if v.callers else None,
            v.callers != [],
        )
        for v in e.invocations
    )
    crud = tuple(
        CrudCase(
            c.name,
            c.collection,
            samples.json_key(models, c.model, c.key_field),
            samples.sample(models, c.model, variant=0),
            samples.sample(models, c.model, variant=1),
            samples.sample_key(models, c.model, c.key_field, variant=0),
            c.topic,
            c.pubsub,
            tuple(
                (a.name, a.field, samples.json_key(models, c.model, a.field), f"{c.name}.{a.event_suffix}")
                for a in c.actions
            ),
            tuple(c.operations),
            c.put_creates,
            c.store,
        )
        for c in e.crud
    )
    plain = any(not d.bulk for d in deliveries)
    stand_ins = bool(deliveries or jobs or bindings or invocations)
    std = [Import("json")] if plain else []
    if stand_ins or any(c.full for c in crud):
        std.append(Import("typing", "Any"))
    lib = [Import("httpx"), Import("pytest")]
    local = [Import("tests.fake_dapr", "FakeDapr")]
    if stand_ins:
        local.append(Import(spec.package, "handlers"))
    if plain:
        local.append(Import(f"{spec.package}.contract", "DropEvent"))
    checked = {d.model for d in deliveries} | {c.model for c in (*jobs, *bindings) if c.model}
    checked |= {m for v in invocations for m in (v.request_model, v.response_model) if m}
    local += [Import(f"{spec.package}.{models.module}", m) for m in sorted(checked)]
    if deliveries:
        local.append(Import("tests.conftest", "cloud_event"))
    return TestsContext(
        sections(std, lib, local),
        spec.app_token,
        stand_ins,
        plain,
        spec.health.liveness,
        spec.health.readiness,
        tuple((s.pubsub, s.topic) for s in e.subscriptions),
        tuple(deliveries),
        jobs,
        bindings,
        invocations,
        crud,
    )


def _crud_shapes(spec: ServiceSpec) -> CrudShapesContext:
    """The CRUD resources with a shape of their own (test_app.py's round trip covers the full one)."""
    shaped = tuple(c for c in _tests(spec).crud if not c.full)
    std = [Import("typing", "Any")]
    lib = [Import("httpx"), Import("pytest")]
    return CrudShapesContext(sections(std, lib, [Import("tests.fake_dapr", "FakeDapr")]), shaped)


def _conftest(spec: ServiceSpec) -> ConftestContext:
    std = [Import("collections.abc", "AsyncIterator")]
    lib = [Import("httpx"), Import("pytest")]
    pkg = spec.package
    local = [
        Import(f"{pkg}.{endpoint.CLIENT_MODULE}", endpoint.CLIENT_CLASS),
        Import(f"{pkg}.{endpoint.CLIENT_MODULE}", "DaprSettings"),
        Import(f"{pkg}.main", "create_app"),
        Import(f"{pkg}.settings", "Settings"),
        Import("tests.fake_dapr", "FakeDapr"),
    ]
    return ConftestContext(
        sections(std, lib, local),
        pkg,
        endpoint.CLIENT_CLASS,
        TEST_TOKEN if spec.app_token else None,
        _store_types(spec),
    )


def _store_types(spec: ServiceSpec) -> tuple[str, ...]:
    """The state store types the service runs on, if its client keeps state (the fake has no stores otherwise)."""
    state = spec.state if "state" in endpoint.client_blocks(spec.endpoint_spec()) else None
    return fake.store_types(state, spec.environments)


def _routes(spec: ServiceSpec) -> tuple[RouteLine, ...]:
    e = spec.endpoint_spec()
    found = [
        RouteLine("GET", spec.health.liveness, "liveness (Dapr's app health check, Kubernetes)"),
        RouteLine("GET", spec.health.readiness, "readiness: 503 and what it waits for, until the sidecar is up"),
        RouteLine("GET", "/dapr/subscribe", "the subscriptions Dapr reads at start"),
    ]
    for s in e.subscriptions:
        for r in s.rules:
            found.append(RouteLine("POST", r.route, f"`{s.topic}` events matching `{r.match}`"))
        what = f"`{s.topic}` events matching no rule: dropped" if s.rules else f"`{s.topic}` events"
        found.append(RouteLine("POST", s.default_route, what))
    found += [RouteLine("POST", j.path, f"job `{j.name}{'-*' if j.prefix else ''}` firing") for j in e.jobs]
    found += [RouteLine("POST", b.path, f"input binding `{b.name}`") for b in e.bindings]
    found += [RouteLine(v.verb, v.method, f"invocation target (`{v.function}`)") for v in e.invocations]
    for c in e.crud:
        one = "/".join(v for op, v in (("read", "GET"), ("update", "PUT"), ("delete", "DELETE")) if op in c.operations)
        what = f"one {c.model}, with ETags" + ("; PUT creates (201) or replaces (200)" if c.put_creates else "")
        found += [
            *([RouteLine("POST", c.collection, f"create a {c.model}")] if c.has("create") else []),
            *([RouteLine("GET", c.collection, f"list {c.name}")] if c.has("list") else []),
            *([RouteLine(one, f"{c.collection}/{{key}}", what)] if one else []),
            *(
                RouteLine(
                    "POST", f"{c.collection}/{{key}}/{a.name}", f"set `{a.field}`, publish {c.name}.{a.event_suffix}"
                )
                for a in c.actions
            ),
        ]
    return tuple(found)


def files_for(
    spec: ServiceSpec, folder: str = "", *, standalone: bool = True, task_api: todo.TaskApi | None = None
) -> tuple[list[FilePlan], Plan]:
    """The service's files under `folder`, and the endpoint plan they include (for its requirements and notes).

    `standalone`: the service carries its own Dapr resources, dapr.yaml, manifests and Dockerfile. A project
    passes False and writes those once for all its services. `task_api`: what the recurring-task starter calls
    (a project reads it from the service it calls; alone, the default task API)."""

    def at(path: str) -> str:
        return f"{folder.rstrip('/')}/{path}" if folder else path

    espec = spec.endpoint_spec()
    kinds = list(dict.fromkeys(b.kind for b in spec.output_bindings))
    app_plan = endpoint.plan(espec, settings=True, binding_calls=kinds)
    pkg = spec.package
    handlers = f"{pkg}/handlers.py"
    files = [
        FilePlan(at(f.path), f.snippet, f.context, f.language, user_owned=f.path == handlers)
        for f in app_plan.files
        if f.path != handlers or spec.starter == "stubs"
    ]
    if spec.starter != "stubs":
        task_api = task_api or todo.TaskApi()
        files.append(todo.handlers_file(spec, espec, at(handlers), task_api=task_api))
        files += todo.extra_files(spec, espec, at, task_api=task_api)
    settings = _settings(spec)
    files.append(FilePlan(at(f"{pkg}/settings.py"), "service/settings", settings))
    blocks = endpoint.client_blocks(espec)
    files += [
        FilePlan(at("tests/__init__.py"), "service/tests_package", EmptyContext()),
        FilePlan(
            at("tests/fake_dapr.py"),
            fake.SNIPPET,
            fake.context_for(
                blocks,
                package=pkg,
                subscriptions=bool(espec.subscriptions),
                state_store_type=next(iter(_store_types(spec)), "redis"),
            ),
        ),
        FilePlan(at("tests/conftest.py"), "service/conftest", _conftest(spec)),
        FilePlan(at("tests/test_app.py"), "service/test_app", _tests(spec)),
    ]
    guarded = tuple(v for v in _tests(spec).invocations if v.callers is not None)
    if guarded:
        imports = sections([], [Import("httpx"), Import("pytest")], [])
        files.append(FilePlan(at("tests/test_access.py"), "service/test_access", AccessTestsContext(imports, guarded)))
    shaped = _crud_shapes(spec)
    if shaped.resources:
        files.append(FilePlan(at("tests/test_crud_shapes.py"), "service/test_crud_shapes", shaped))
    if spec.output_bindings:
        files.append(
            FilePlan(at("tests/test_output_bindings.py"), "service/test_output_bindings", _output_binding_tests(spec))
        )
    requirements = lower_bounds([*app_plan.requirements, *RUNTIME_REQUIREMENTS, *todo.requirements(spec)])
    dev_requirements = lower_bounds([*DEV_REQUIREMENTS, *todo.dev_requirements(spec)])
    style = own_style(spec)
    files.append(
        FilePlan(
            at("pyproject.toml"),
            "service/pyproject",
            PyprojectContext(
                spec.app_id,
                f"The {spec.app_id} Dapr service.",
                requirements,
                dev_requirements,
                style.line_length,
                style.target_version,
                pkg,
                RUFF_RULES,
                RUFF_IGNORES,
                RUFF_TEST_IGNORES,
            ),
            "toml",
        )
    )
    cspec = spec.components_spec()
    files.append(
        FilePlan(
            at("README.md"),
            "service/README",
            ReadmeContext(
                spec.app_id,
                spec.port,
                pkg,
                _routes(spec),
                settings.components,
                tuple(t for t in (*(c.topic for c in espec.crud if c.topic), *spec.publishes) if t),
                tuple(spec.calls),
                standalone and "local" in spec.environments,
                standalone and "kubernetes" in spec.environments,
                spec.secret_store is not None,
                (
                    *app_plan.notes,
                    *_binding_notes(spec),
                    *(components.notes_for(cspec, with_apps=True) if standalone else []),
                ),
                standalone,
                spec.health.liveness,
                spec.health.readiness,
            ),
            "markdown",
        )
    )
    files += [
        FilePlan(at(".gitignore"), "service/gitignore", EmptyContext(), "text"),
        FilePlan(at(".dockerignore"), "service/dockerignore", EmptyContext(), "text"),
    ]
    if standalone:
        files += components.files_for(cspec, folder, standalone=True)
        if "kubernetes" not in spec.environments:  # files_for writes it with the Kubernetes files only
            files.append(components.dockerfile_for(cspec, cspec.apps[0], at("Dockerfile")))
    return files, app_plan


_BINDING_CALLS = {
    "email": "await dapr.send_email({name!r}, to=..., subject=..., body=...)",
    "http": "await dapr.http_request({name!r}, 'post', '/path', data)",
    "kafka": "await dapr.send_kafka_message({name!r}, data, key=...)",
    "postgresql": "await dapr.sql_query({name!r}, 'SELECT ... WHERE id = $1', key) (or sql_exec)",
}


def _binding_notes(spec: ServiceSpec) -> list[str]:
    """How handlers call each output binding, and how their tests see the calls."""
    if not spec.output_bindings:
        return []
    calls = "; ".join(_BINDING_CALLS[b.kind].format(name=b.name) for b in spec.output_bindings)
    return [
        f"Output bindings: {calls}. In tests, `fake.binding_calls_to(name, operation)` lists the calls and "
        "`fake.binding_replies[name]` sets what the binding answers."
    ]


def own_style(spec: ServiceSpec) -> Style:
    """What the service's pyproject.toml states for ruff (its layout settings are ruff's defaults otherwise): ruff
    reads that file for every file in the folder, never a configuration above it, so the code is formatted with
    these settings wherever the folder is written."""
    line_length = spec.line_length or DEFAULT_STYLE.line_length
    return DEFAULT_STYLE.model_copy(update={"line_length": line_length, "source": "its own pyproject.toml"})


def plan(spec: ServiceSpec) -> Plan:
    files, app_plan = files_for(spec)
    notes = [
        f"`cd` into the folder: `uv run pytest` runs the service's tests (no sidecar needed); `uv run uvicorn "
        f"{spec.package}.main:app --port {spec.port}` starts it; `dapr run -f .` starts it with its sidecar.",
        # Said once: the endpoint's own note on handlers.py is folded into this one.
        f"`{spec.package}/handlers.py` is yours: regeneration never rewrites it. The routers call its functions with "
        "typed inputs and the shared client; raise DropEvent (from .contract) to drop an event, any other "
        "exception answers RETRY. Other files are regenerated; your edits in them are merged, and a conflict is "
        "written with markers and reported.",
        *(n for n in app_plan.notes if n != endpoint.handlers_note(spec.package)),
        *_binding_notes(spec),
        *components.notes_for(spec.components_spec(), with_apps=True),
    ]
    return Plan(
        files=files,
        requirements=imported_requirements(spec, app_plan),
        notes=notes,
        known_first_party=(spec.package, "tests"),
        style=own_style(spec),
    )


def requirements_for(spec: ServiceCore) -> tuple[str, ...]:
    """Everything the service's folder installs: what its app and tests import, what runs it and what checks it
    (its pyproject.toml lists the same, merged)."""
    return (
        *endpoint.requirements_for(spec),
        *RUNTIME_REQUIREMENTS,
        *DEV_REQUIREMENTS,
        *todo.requirements(spec),
        *todo.dev_requirements(spec),
    )


def package_problem(spec: ServiceCore) -> str | None:
    """Why a service's package may not take its name: the endpoint's rule over everything the service's folder
    installs (its server, tests and checks too), and the folders written beside the package."""
    if spec.package in SIBLING_FOLDERS:
        return f"must not be {spec.package!r}: the service writes a {spec.package}/ folder beside its package"
    return module_name_problem(spec.package, requirements_for(spec))


use_package_rule("service", package_problem)


def imported_requirements(spec: ServiceSpec, app_plan: Plan) -> list[str]:
    """What the folder's code imports (its pyproject.toml states the same, merged, plus what runs and checks it)."""
    return sorted({*app_plan.requirements, *TEST_REQUIREMENTS, *todo.requirements(spec)})


GENERATOR = Generator(
    name="service",
    title="A Dapr microservice, ready to deploy",
    description="A whole service folder: the FastAPI app (your handlers.py), tests over an in-memory Dapr, "
    "pyproject, Dapr resources, dapr.yaml, Dockerfile, manifests. Default: the todo task API.",
    spec=ServiceSpec,
    plan=plan,
    tracked=True,
    examples={
        "orders-worker": {
            "app_id": "orders-worker",
            "port": 8100,
            "models": {
                "models": [
                    {"name": "Order", "fields": [{"name": "id", "type": "str", "min_length": 1},
                                                 {"name": "total", "type": "float", "ge": 0}]},
                    {"name": "Shipment", "fields": [{"name": "order_id", "type": "str"},
                                                    {"name": "carrier", "type": "str | None"}]},
                ]
            },
            "subscriptions": [{"topic": "orders", "model": "Order", "idempotent": True}],
            "jobs": [{"name": "nightly-report"}],
            "invocations": [{"method": "/ship", "request_model": "Order", "response_model": "Shipment"}],
            "crud": [],
            "publishes": ["shipments"],
            "calls": ["billing"],
            "environments": ["local"],
        },
        "mailer": {
            "app_id": "mailer",
            "port": 8400,
            "models": {"models": [{"name": "Signup", "fields": [{"name": "email", "type": "str"},
                                                                {"name": "name", "type": "str"}]}]},
            "subscriptions": [{"topic": "signups", "model": "Signup"}],
            "crud": [],
            "state": None,
            "output_bindings": [{"kind": "email", "name": "welcome-mail", "sender": "hello@example.com"}],
        },
        "reservations": {
            "app_id": "reservations",
            "port": 8500,
            "models": {"models": [{"name": "Reservation", "fields": [
                {"name": "id", "type": "str"}, {"name": "seat", "type": "str"},
                {"name": "confirmed", "type": "bool", "default": False}]}]},
            "crud": [{"name": "reservations", "model": "Reservation", "operations": ["read", "update", "delete"],
                      "put_creates": True, "actions": [{"name": "confirm", "field": "confirmed"}],
                      "topic": "reservation-events"}],
            "invocations": [{"method": "/reserve", "request_model": "Reservation", "response_model": "Reservation",
                             "callers": ["checkout"]}],
        },
        "kubernetes-only": {
            "app_id": "inventory",
            "port": 8200,
            "app_token": False,
            "bindings": [{"name": "stock-feed", "model": "Task"}],
            "pubsub": {"name": "events", "kafka": {"auth": "none"}},
            "state": {"name": "inventory-store", "postgresql_version": "v2"},
            "secret_store": {"name": "vault"},
            "environments": ["kubernetes"],
            "replicas": 3,
        },
    },
)  # fmt: skip
