"""Input of the service generator: one Dapr microservice, its app side (the endpoint spec) and its resources.

A service spec is an endpoint spec (models, subscriptions, jobs, bindings, invocation targets, CRUD) plus what
makes it a deployable app: its app id and port, the components it runs with, the app ids it calls and the topics
its handlers publish to. Component names are given once, on the component (`pubsub.name`, `state.name`); the
routes take them from there, so code and resources cannot disagree. With no options it is the todo system's task
API: task CRUD with ETags in the state store, publishing `task-events`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal, Self, get_args

from pydantic import Field, model_validator

from skill.specs.bindings import InputBindingComponent, OutputBinding, ServiceBinding
from skill.specs.common import AppId, ComponentName, OwnLineLengthOption, SpecModel, TopicName
from skill.specs.components import (
    ENVIRONMENTS,
    INBOUND_RETRY_INTERVAL_SECONDS,
    ROLES,
    AccessVerb,
    AllowedCaller,
    AllowedOperation,
    AppSpec,
    ComponentsSpec,
    Environment,
    ImageRepository,
    ImageTag,
    KafkaSpec,
    PubSubSpec,
    ResiliencySpec,
    Role,
    SecretStoreSpec,
    StateSpec,
    TopicSubscription,
)
from skill.specs.endpoint import (
    BindingSpec,
    CrudAction,
    CrudSpec,
    EndpointSpec,
    HealthRoutes,
    InvocationSpec,
    JobSpec,
    SubscriptionSpec,
    package_rule,
)
from skill.specs.starters import STARTER_CONTRACTS, brought_models, starter_model_problems

__all__ = ["STARTERS", "Resources", "ServiceCore", "ServicePubSub", "ServiceSpec", "Starter"]

Starter = Literal["stubs", "todo-recurring-task", "todo-notification"]
STARTERS: tuple[Starter, ...] = get_args(Starter)


class ServicePubSub(SpecModel):
    """The service's pub/sub component: Redis Streams locally, Kafka on Kubernetes, under one name."""

    name: ComponentName = Field(
        default="pubsub",
        description="Component name the routes and handlers use, by its role: the same name locally (Redis) "
        "and on Kubernetes (Kafka).",
    )
    kafka: KafkaSpec = Field(default_factory=KafkaSpec, description="Kafka settings (Kubernetes).")


class Resources(SpecModel):
    """The components and deployment settings a service (or every service of a project) runs with."""

    pubsub: ServicePubSub | None = Field(default_factory=ServicePubSub, description="Pub/sub component; null: none.")
    state: StateSpec | None = Field(default_factory=StateSpec, description="State store component; null: none.")
    secret_store: SecretStoreSpec | None = Field(
        default=None, description="Secret store the handlers read (adds the client's secrets block); null: none."
    )
    environments: list[Environment] = Field(
        default_factory=lambda: list(ENVIRONMENTS),
        min_length=1,
        description="'local': resources/local/ and dapr.yaml; 'kubernetes': resources/kubernetes/ and "
        "deploy/kubernetes/ (the Dockerfile is always written).",
    )
    resiliency: ResiliencySpec = Field(default_factory=ResiliencySpec, description="Resiliency policies.")
    image_repository: ImageRepository = Field(
        default="registry.example.com/todo", description="Image is '<image_repository>/<app_id>:<image_tag>'."
    )
    image_tag: ImageTag = Field(default="0.1.0", description="Image tag used in the Deployment.")
    replicas: int = Field(default=1, ge=1, le=100, description="Replicas of the Deployment.")

    # Specs derived from this one, cached on the instance (`functools.cached_property`: each validates a whole
    # spec again). Pydantic copies the instance dict, cached values included, so a copy drops them.
    _derived: ClassVar[tuple[str, ...]] = ()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copy = super().model_copy(update=update, deep=deep)
        for cached in self._derived:
            copy.__dict__.pop(cached, None)
        return copy

    def components_for(
        self,
        apps: list[AppSpec],
        topics: list[str],
        health: HealthRoutes,
        output_bindings: Sequence[OutputBinding] = (),
        input_bindings: Sequence[InputBindingComponent] = (),
    ) -> ComponentsSpec:
        """The components generator's spec for `apps` running with these resources: a component only when some
        app uses its role, the pub/sub with every topic of the apps."""
        uses = {r for a in apps for r in a.uses}
        pubsub = None
        if self.pubsub is not None and "pubsub" in uses:
            pubsub = PubSubSpec(name=self.pubsub.name, topics=topics, kafka=self.pubsub.kafka)
        return ComponentsSpec(
            apps=apps,
            pubsub=pubsub,
            state=self.state if "state" in uses else None,
            secret_store=self.secret_store if "secrets" in uses else None,
            environments=self.environments,
            subscriptions="programmatic",
            resiliency=self.resiliency,
            image_repository=self.image_repository,
            image_tag=self.image_tag,
            replicas=self.replicas,
            output_bindings=list(output_bindings),
            input_bindings=list(input_bindings),
            liveness_path=health.liveness,
            readiness_path=health.readiness,
        )


class ServiceCore(EndpointSpec):
    """What a service is, apart from the resources it runs with: one entry of a project's `services`."""

    app_id: AppId = Field(description="The Dapr app id; also the folder, project and image name.")
    port: int = Field(ge=1024, le=65535, description="The port the app listens on (Dapr's app port).")
    subscriptions: list[SubscriptionSpec] = Field(
        default_factory=list,
        description="Pub/sub subscriptions. `pubsub` may be left out: it is the service's pub/sub component. "
        "`dead_letter_topic` unset: '<topic>-dlq'.",
    )
    jobs: list[JobSpec] = Field(default_factory=list, description="Jobs callbacks.")
    bindings: list[ServiceBinding] = Field(  # type: ignore[assignment]  # narrowed: a binding may bring its component
        default_factory=list,
        description="Input bindings: the route Dapr posts to and, with `source` (cron or kafka), the component.",
    )
    output_bindings: list[OutputBinding] = Field(
        default_factory=list,
        description="Output bindings the handlers call, by `kind`: 'email' (SMTP locally, SendGrid or SMTP on "
        "Kubernetes), 'http', 'kafka', 'postgresql'. Each is a component per profile, secrets by reference, and "
        "the client's typed call (send_email, http_request, send_kafka_message, sql_exec / sql_query).",
    )
    invocations: list[InvocationSpec] = Field(default_factory=list, description="Service-invocation targets.")
    crud: list[CrudSpec] = Field(
        default_factory=list,
        description="State-backed CRUD resources; `store` and `pubsub` may be left out (the service's components).",
    )
    health: HealthRoutes = Field(  # narrowed: a service always has health routes
        default_factory=HealthRoutes, description="Liveness and readiness routes (Dapr and Kubernetes use them)."
    )
    publishes: list[TopicName] = Field(
        default_factory=list, description="Topics the handlers publish to besides the CRUD change events."
    )
    calls: list[AppId] = Field(
        default_factory=list,
        description="App ids the handlers invoke: the client gets the invoke block and resiliency covers them.",
    )
    starter: Starter = Field(
        default="stubs",
        description="What handlers.py (yours after the first write) starts as: 'stubs' log and acknowledge; "
        "'todo-recurring-task' and 'todo-notification' are the todo system's services.",
    )
    line_length: OwnLineLengthOption = None  # narrowed: a service formats to what its own pyproject.toml states

    def _package_problem(self) -> str | None:
        """The endpoint's rule over everything the service's folder installs (its server, tests and checks too),
        and the folders written beside the package."""
        return package_rule("service")(self)

    def _problems(self) -> Iterator[tuple[str, object, str]]:
        yield from super()._problems()
        if self.app_id in self.calls:
            yield "calls", self.app_id, "must not hold the service's own app id (call your handlers directly)"
        if len(set(self.calls)) != len(self.calls):
            yield "calls", self.calls, "must not repeat an app id"
        for i, s in enumerate(self.subscriptions):
            if s.dead_letter_topic == s.topic or f"{s.topic}-dlq" == s.topic:
                yield f"subscriptions.{i}.dead_letter_topic", s.topic, "must differ from the topic"
        yield from _starter_problems(self)

    @model_validator(mode="before")
    @classmethod
    def _starter_models(cls, data: Any) -> Any:
        """The models the starter brings (skill/specs/starters.py), added before the models are checked."""
        if not isinstance(data, Mapping) or data.get("starter") not in STARTER_CONTRACTS:
            return data
        models = brought_models(data["starter"], data.get("models"))
        return data if models is data.get("models") else {**data, "models": models}


class ServiceSpec(ServiceCore, Resources):
    """A Dapr microservice: a FastAPI app with its tests, settings, Dapr resources and deployment files."""

    _derived: ClassVar[tuple[str, ...]] = ("_endpoint", "_components")

    app_id: AppId = Field(default="task-api", description="The Dapr app id; also the project and image name.")
    port: int = Field(default=8000, ge=1024, le=65535, description="The port the app listens on (Dapr's app port).")
    crud: list[CrudSpec] = Field(
        default_factory=lambda: [
            CrudSpec(
                name="tasks",
                model="Task",
                topic="task-events",
                actions=[CrudAction(name="complete", field="completed")],
            )
        ],
        description="State-backed CRUD resources; `store` and `pubsub` may be left out (the service's components). "
        "Default: the todo `tasks` CRUD when `models` and `starter` are left out, else none; `[]`: none.",
    )

    @model_validator(mode="before")
    @classmethod
    def _crud_default(cls, data: Any) -> Any:
        """The default `tasks` CRUD belongs to the todo task API: a service with models or a starter of its own
        has no CRUD unless it asks for one."""
        own = data.get("models") or data.get("starter", "stubs") != "stubs" if isinstance(data, Mapping) else False
        if isinstance(data, Mapping) and "crud" not in data and own:
            return {**data, "crud": []}
        return data

    # -- what the service uses ---------------------------------------------------------------------------------
    def topics(self) -> list[str]:
        """Every topic the service touches, dead-letter topics included, in first-seen order."""
        found: dict[str, None] = {}
        for s in self.subscriptions:
            found[s.topic] = None
            found[self.dead_letter(s)] = None
        for c in self.crud:
            if c.topic:
                found[c.topic] = None
        for t in self.publishes:
            found[t] = None
        return list(found)

    @staticmethod
    def dead_letter(s: SubscriptionSpec) -> str:
        return s.dead_letter_topic or f"{s.topic}-dlq"

    def roles(self) -> list[Role]:
        """The components the app loads (its component `scopes`)."""
        used = {
            "pubsub": bool(self.subscriptions or self.publishes or any(c.topic for c in self.crud)),
            "state": bool(self.crud or any(s.idempotent for s in self.subscriptions) or "state" in self.client_blocks),
            "secrets": self.secret_store is not None,
        }
        return [r for r in ROLES if used[r]]

    def endpoint_spec(self) -> EndpointSpec:
        """The app side, with every component name the spec left out filled in from the service's components
        (built once per spec: it validates the whole endpoint spec again)."""
        return self._endpoint

    @functools.cached_property
    def _endpoint(self) -> EndpointSpec:
        pubsub = self.pubsub.name if self.pubsub is not None else "pubsub"
        store = self.state.name if self.state is not None else "statestore"
        blocks = list(self.client_blocks)
        extra: list[Literal["invoke", "secrets", "pubsub", "bindings"]] = []
        if self.calls:
            extra.append("invoke")
        if self.secret_store is not None:
            extra.append("secrets")
        if self.publishes:
            extra.append("pubsub")
        if self.output_bindings:
            extra.append("bindings")
        blocks += [b for b in extra if b not in blocks]
        fields = {name: getattr(self, name) for name in EndpointSpec.model_fields}
        fields["subscriptions"] = [
            s.model_copy(update={"pubsub": pubsub, "dead_letter_topic": self.dead_letter(s)})
            for s in self.subscriptions
        ]
        fields["crud"] = [c.model_copy(update={"store": store, "pubsub": pubsub}) for c in self.crud]
        fields["bindings"] = [BindingSpec.model_validate(b.model_dump(exclude={"source"})) for b in self.bindings]
        fields["idempotency"] = self.idempotency.model_copy(update={"store": store})
        fields["client_blocks"] = blocks
        return EndpointSpec.model_validate(fields)

    def components_spec(self) -> ComponentsSpec:
        """The one app and its components, for the components generator (built once per spec)."""
        return self._components

    @functools.cached_property
    def _components(self) -> ComponentsSpec:
        app = AppSpec(
            app_id=self.app_id,
            port=self.port,
            asgi_app=f"{self.package}.main:app",
            uses=self.roles(),
            subscribes=[  # the routes as the app serves them: with the component names filled in
                TopicSubscription(topic=s.topic, route=s.default_route, dead_letter_topic=self.dead_letter(s))
                for s in self.endpoint_spec().subscriptions
            ],
            calls=self.calls,
            output_bindings=[b.name for b in self.output_bindings],
            input_bindings=[c.name for c in self.input_binding_components()],
            callers=self.allowed_callers(),
        )
        return self.components_for(
            [app], self.topics(), self.health, self.output_bindings, self.input_binding_components()
        )

    def allowed_callers(self, calling_apps: Sequence[str] | None = None) -> list[AllowedCaller] | None:
        """Access control: each allowed app with the operations it may invoke. The invocation targets that name
        their callers; with `calling_apps` (a project's services that call this one), those apps may also reach the
        CRUD routes (or any route, when there is neither). None: no access control.

        One operation per path, its verbs merged: daprd keeps the first policy of a path and drops the others, and
        a path's policy also covers every path below it (dapr/dapr pkg/config/acl_trie.go PutOperationAction,
        Search)."""
        guarded = [v for v in self.invocations if v.callers is not None]
        if not guarded and calling_apps is None:
            return None
        allowed: dict[str, dict[str, list[AccessVerb]]] = {}
        for v in guarded:
            for app in v.callers or []:
                _add_verbs(allowed.setdefault(app, {}), v.method, [v.verb])
        for app in calling_apps or []:
            paths = allowed.setdefault(app, {})
            for path, verbs in self._crud_paths().items():
                _add_verbs(paths, path, verbs)
            if not paths:
                paths["/**"] = ["*"]  # nothing named: any route
        return [
            AllowedCaller(app_id=app, operations=[AllowedOperation(path=p, verbs=v) for p, v in paths.items()])
            for app, paths in allowed.items()
            if paths
        ]

    def _crud_paths(self) -> dict[str, list[AccessVerb]]:
        """Each CRUD collection path with the verbs of its routes (items and actions are paths below it)."""
        routes: tuple[tuple[str, AccessVerb], ...] = (
            ("create", "POST"), ("list", "GET"), ("read", "GET"), ("update", "PUT"), ("delete", "DELETE"),
        )  # fmt: skip
        found: dict[str, list[AccessVerb]] = {}
        for c in self.crud:
            verbs: list[AccessVerb] = [v for op, v in routes if op in c.operations]
            if c.actions:
                verbs.append("POST")
            _add_verbs(found, c.collection, verbs)
        return found

    def input_binding_components(self) -> list[InputBindingComponent]:
        """The components of the input bindings that bring one (a `source`)."""
        return [c for b in self.bindings if (c := b.component()) is not None]

    # -- rules -------------------------------------------------------------------------------------------------
    def _problems(self) -> Iterator[tuple[str, object, str]]:
        yield from super()._problems()
        pubsub = self.pubsub.name if self.pubsub is not None else None
        store = self.state.name if self.state is not None else None
        for where, given, wanted, what in self._component_references(pubsub, store):
            if wanted is None:
                yield where, given, f"needs a {what} component, but `{what}` is null"
            elif given is not None and given != wanted:
                yield where, given, f"must be the service's {what} component {wanted!r} (or be left out)"
        roles = self.roles()
        if "pubsub" in roles and self.pubsub is None:
            yield "pubsub", None, "is null, but the service publishes (crud topics or `publishes`); give one"
        if "state" in roles and self.state is None:
            yield "state", None, "is null, but the service keeps state (crud, idempotent subscriptions); give one"
        names = [c.name for c in (self.pubsub, self.state, self.secret_store) if c is not None]
        if len(set(names)) != len(names):
            yield "pubsub", names, "the pub/sub, state and secret store components need distinct names"
        for i, b in enumerate(self.output_bindings):
            if b.name in names or b.name in [o.name for o in self.output_bindings[:i]]:
                yield f"output_bindings.{i}.name", b.name, "must differ from every other component's name"
        span = self.resiliency.inbound_retry_span_seconds
        if any(s.idempotent for s in self.subscriptions) and self.idempotency.claim_seconds >= span:
            # A redelivery that finds a stopped process's claim answers RETRY; daprd gives up after the inbound
            # retries and dead-letters the event (references/dapr-contract.md §18.5).
            yield (
                "idempotency.claim_seconds",
                self.idempotency.claim_seconds,
                f"must be shorter than the pub/sub's inbound retries (resiliency.inbound_max_retries "
                f"{self.resiliency.inbound_max_retries} x {INBOUND_RETRY_INTERVAL_SECONDS} s = {span} s): a claim left "
                "by a process stopped mid-delivery would outlast every redelivery and send the event to its "
                "dead-letter topic",
            )
        if any(v.callers is not None for v in self.invocations):
            for i, v in enumerate(self.invocations):
                if v.callers is None:
                    yield (
                        f"invocations.{i}.callers",
                        None,
                        (
                            "must be given when another invocation target names its callers (Dapr's access control "
                            "then denies every app it does not name)"
                        ),
                    )
        outputs = {b.name for b in self.output_bindings}
        for i, c in enumerate(self.bindings):
            if c.source is not None and (c.name in names or c.name in outputs):
                yield f"bindings.{i}.name", c.name, "must differ from every other component's name"
        if len(set(self.environments)) != len(self.environments):
            yield "environments", self.environments, "must not repeat an environment"

    def _component_references(
        self, pubsub: str | None, store: str | None
    ) -> Iterator[tuple[str, str | None, str | None, str]]:
        """(where, the name the spec gave or None if left out, the service's component, its kind)."""
        for i, s in enumerate(self.subscriptions):
            yield f"subscriptions.{i}.pubsub", _given(s, "pubsub"), pubsub, "pubsub"
        for i, c in enumerate(self.crud):
            yield f"crud.{i}.store", _given(c, "store"), store, "state"
            if c.topic:
                yield f"crud.{i}.pubsub", _given(c, "pubsub"), pubsub, "pubsub"
        if any(s.idempotent for s in self.subscriptions):
            yield "idempotency.store", _given(self.idempotency, "store"), store, "state"


def _add_verbs(paths: dict[str, list[AccessVerb]], path: str, verbs: Sequence[AccessVerb]) -> None:
    known = paths.setdefault(path, [])
    for verb in verbs:
        if verb not in known:
            known.append(verb)


# What each starter's handlers need from the spec besides its models (skill/specs/starters.py has those).
_STARTER_NEEDS: dict[str, tuple[str, str | None, bool, bool]] = {
    # starter: (subscription model, job model (prefix job), needs calls, needs publishes)
    "todo-recurring-task": ("Task", None, True, True),
    "todo-notification": ("ReminderEvent", "ReminderEvent", False, True),
}


def _starter_problems(spec: ServiceCore) -> Iterator[tuple[str, object, str]]:
    needs = _STARTER_NEEDS.get(spec.starter)
    if needs is None:
        return
    sub_model, job_model, calls, publishes = needs
    what = f"starter {spec.starter!r}"
    yield from starter_model_problems(spec.starter, spec.models)
    if not any(s.model == sub_model and s.bulk is None and not s.rules for s in spec.subscriptions):
        yield "subscriptions", "...", f"{what} needs a subscription of {sub_model} events without rules or bulk"
    if job_model is not None and not any(j.model == job_model and j.prefix for j in spec.jobs):
        yield "jobs", "...", f"{what} needs a job with model {job_model} and `prefix` (one job per task)"
    if calls and not spec.calls:
        yield "calls", [], f"{what} needs the task API's app id in `calls` (the first one is used)"
    if publishes and not spec.publishes:
        yield "publishes", [], f"{what} needs a topic in `publishes` (the first one is used)"
    if spec.starter == "todo-notification":
        for block in ("jobs", "state"):
            if block not in spec.client_blocks:
                yield "client_blocks", spec.client_blocks, f"{what} needs the {block!r} client block"


def _given(model: SpecModel, field: str) -> str | None:
    value = getattr(model, field)
    return value if field in model.model_fields_set and isinstance(value, str) else None
