"""Input of the components generator: the apps of a Dapr system and the resources they run with.

The defaults are the todo system (task-api, recurring-task, notification over Kafka pub/sub and PostgreSQL
state), so an empty spec is valid. Components are chosen by role (pubsub, state, secrets): an app says which
roles it uses, so renaming a component never breaks an app's list.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from skill.specs.bindings import InputBindingComponent, OutputBinding
from skill.specs.common import AppId, ComponentName, HostPort, RoutePath, SecretName, SpecModel, TopicName, pattern_rule

__all__ = [
    "DEFAULT_APPS",
    "ENVIRONMENTS",
    "ROLES",
    "AccessVerb",
    "AllowedCaller",
    "AllowedOperation",
    "AppSpec",
    "ComponentsSpec",
    "Environment",
    "KafkaSpec",
    "PubSubSpec",
    "ResiliencySpec",
    "Role",
    "SecretStoreSpec",
    "StateSpec",
    "TopicSubscription",
]

Role = Literal["pubsub", "state", "secrets"]
ROLES: tuple[Role, ...] = ("pubsub", "state", "secrets")
Environment = Literal["local", "kubernetes"]
ENVIRONMENTS: tuple[Environment, ...] = ("local", "kubernetes")

AsgiTarget = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*",
            "must be an ASGI import string 'module:attribute' (a dotted lowercase module path, ':', then a "
            "Python identifier), as uvicorn takes it",
            max_len=200,
        )
    ),
    Field(examples=["main:app", "task_api.main:app"]),
]
ImageRepository = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*",
            "must be an image repository without a tag: lowercase registry host (optionally ':port') and "
            "path segments of lowercase letters, digits, '.', '_' and '-' (for example 'ghcr.io/acme')",
            max_len=200,
        )
    ),
]
ImageTag = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[A-Za-z0-9_][A-Za-z0-9_.-]*",
            "must be an image tag: ASCII letters, digits, '_', '.' and '-', not starting with '.' or '-', "
            "at most 128 characters",
            max_len=128,
        )
    ),
]


class TopicSubscription(SpecModel):
    """One topic an app subscribes to. A bare topic name is accepted in place of the object."""

    topic: TopicName = Field(description="The topic, one of `pubsub.topics`.")
    route: RoutePath | None = Field(
        default=None, description="The app route Dapr delivers to. Unset: '/events/<topic>'."
    )
    dead_letter_topic: TopicName | None = Field(
        default=None,
        description="Where Dapr sends a message that is DROPped or still fails after the inbound retries. "
        "Unset: '<topic>-dlq'.",
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_topic(cls, value: object) -> object:
        return {"topic": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _dead_letter_differs(self) -> Self:
        if self.dead_letter_topic == self.topic:
            raise ValueError("dead_letter_topic: must differ from the topic, or a poison message loops for ever")
        if self.dead_letter_topic is None and len(self.topic) > 245:
            raise ValueError("topic: is too long to derive '<topic>-dlq'; set dead_letter_topic")
        return self

    @property
    def route_path(self) -> str:
        return self.route or f"/events/{self.topic}"

    @property
    def dead_letter(self) -> str:
        return self.dead_letter_topic or f"{self.topic}-dlq"


# A subscription may be given as its bare topic name (TopicSubscription's before-validator): the schema says so,
# so that a client validating its arguments against it accepts what the server accepts.
_TOPIC_OR_OBJECT = {
    "anyOf": [
        {"type": "string", "description": "A topic name."},
        {
            "type": "object",
            "properties": {
                "topic": {"type": "string"},
                "route": {"type": ["string", "null"]},
                "dead_letter_topic": {"type": ["string", "null"]},
            },
            "required": ["topic"],
            "additionalProperties": False,
        },
    ]
}


OperationPath = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"(/([A-Za-z0-9._~-]+|\*|\*\*))+",
            "must be a method path as Dapr's access control matches it: '/' then segments of ASCII letters, "
            "digits, '.', '_', '~' and '-', where a segment '*' matches one segment and '**' any below",
            max_len=200,
        )
    ),
    Field(examples=["/reserve", "/api/tasks/**"]),
]
AccessVerb = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "*"]
_ANY_VERB: list[AccessVerb] = ["*"]


class AllowedOperation(SpecModel):
    """An operation of the app another app may invoke: a method path (`**` for any path below) and its verbs."""

    path: OperationPath = Field(description="The method path, e.g. '/reserve' or '/api/tasks/**'.")
    verbs: list[AccessVerb] = Field(
        default_factory=lambda: list(_ANY_VERB), min_length=1, description="HTTP verbs allowed ('*': any)."
    )


class AllowedCaller(SpecModel):
    """An app allowed to invoke this one, and what it may invoke."""

    app_id: AppId = Field(description="The calling app's id.")
    operations: list[AllowedOperation] = Field(
        min_length=1, description="The operations it may invoke; anything else is denied."
    )


class AppSpec(SpecModel):
    """One app (one Dapr app id, one process, one container)."""

    app_id: AppId = Field(description="The Dapr app id; also the Kubernetes Deployment and Service name.")
    port: int = Field(ge=1024, le=65535, description="The port the app listens on (Dapr's app port).")
    asgi_app: AsgiTarget = Field(
        default="app.main:app",
        description="What uvicorn serves, as 'module:attribute'. Default: the service generator's layout.",
    )
    folder: AppId | None = Field(
        default=None,
        description="The app's folder, beside dapr.yaml (Multi-App Run's appDirPath, the Docker build "
        "context). Unset: the app id.",
    )
    uses: list[Role] = Field(
        default_factory=lambda: list(ROLES),
        description="Which components the app loads (component `scopes`): any of 'pubsub', 'state', "
        "'secrets'. Default: all three.",
    )
    subscribes: list[Annotated[TopicSubscription, WithJsonSchema(_TOPIC_OR_OBJECT)]] = Field(
        default_factory=list, description="Topics the app subscribes to (a topic name or an object)."
    )
    calls: list[AppId] = Field(
        default_factory=list,
        description="App ids this app invokes: each gets the outbound resiliency policies, apps of this spec or not.",
    )
    output_bindings: list[ComponentName] = Field(
        default_factory=list, description="Names of the `output_bindings` this app calls (their component scopes)."
    )
    input_bindings: list[ComponentName] = Field(
        default_factory=list, description="Names of the `input_bindings` that post to this app (component scopes)."
    )
    callers: list[AllowedCaller] | None = Field(
        default=None,
        description="Access control (Kubernetes): the apps allowed to invoke this one, each with its operations; "
        "every other invocation is denied (a Configuration with accessControl defaultAction deny, named by the "
        "dapr.io/config annotation). Unset: no access control. []: no app may invoke it.",
    )

    @property
    def directory(self) -> str:
        return self.folder or self.app_id


# The todo system's apps, as the project generator's todo preset wires them.
DEFAULT_APPS: tuple[AppSpec, ...] = (
    AppSpec(app_id="task-api", port=8000, uses=["pubsub", "state"]),
    AppSpec(
        app_id="recurring-task",
        port=8001,
        uses=["pubsub", "state"],
        subscribes=[TopicSubscription(topic="task-events")],
        calls=["task-api"],
    ),
    AppSpec(app_id="notification", port=8002, subscribes=[TopicSubscription(topic="reminders")]),
)


class KafkaSpec(SpecModel):
    """The production pub/sub: `pubsub.kafka`."""

    brokers: list[HostPort] = Field(
        default_factory=lambda: ["kafka:9093"],
        min_length=1,
        description="Kafka bootstrap brokers: their TLS listener when `tls` is true.",
    )
    auth: Literal["password", "none"] = Field(
        default="password",
        description="'password': SASL, username and password from a Kubernetes Secret. 'none': no "
        "authentication and no TLS (Dapr turns TLS off with authType none), for a private in-cluster Kafka.",
    )
    tls: bool | None = Field(
        default=None,
        description="TLS to the brokers, always written out as `disableTls`: Dapr turns TLS on with authType "
        "password unless disableTls (components-contrib common/component/kafka/auth.go) and off with 'none'. "
        "Unset: on with auth 'password', off with 'none'. false with 'password': SASL over a plaintext listener.",
    )
    sasl_mechanism: Literal["SHA-512", "SHA-256", "PLAINTEXT"] = Field(
        default="SHA-512", description="SASL mechanism when auth is 'password'."
    )
    credentials_secret: SecretName = Field(
        default="kafka-credentials",
        description="Kubernetes Secret holding keys 'username' and 'password' (auth 'password' only).",
    )
    initial_offset: Literal["oldest", "newest"] = Field(
        default="oldest",
        description="Where a new consumer group starts. 'oldest' so that events published before a "
        "subscriber's first start are not lost.",
    )

    @model_validator(mode="after")
    def _tls_needs_auth(self) -> KafkaSpec:
        if self.auth == "none" and self.tls is True:
            raise ValueError("tls: Dapr turns TLS off with auth 'none'; set tls to false, or auth to 'password'")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.auth == "password" if self.tls is None else self.tls


class PubSubSpec(SpecModel):
    """The pub/sub component: Redis Streams locally, Kafka on Kubernetes, under one name."""

    name: ComponentName = Field(
        default="pubsub",
        description="Component name the apps publish to, by its role: the same name locally (Redis) and on "
        "Kubernetes (Kafka).",
    )
    topics: list[TopicName] = Field(
        default_factory=lambda: ["task-events", "reminders", "task-updates"],
        min_length=1,
        description="Every topic of the system.",
    )
    kafka: KafkaSpec = Field(default_factory=KafkaSpec, description="Kafka settings (Kubernetes).")


class StateSpec(SpecModel):
    """The state store: Redis locally, PostgreSQL on Kubernetes, under one name."""

    name: ComponentName = Field(
        default="statestore",
        description="Component name of the state store, by its role: the same name locally (Redis) and on "
        "Kubernetes (PostgreSQL).",
    )
    postgresql_version: Literal["v1", "v2"] = Field(
        default="v1",
        description="state.postgresql component version. The generated routes use no query API (a CRUD list "
        "reads one index key), so both serve them. 'v1' (default) also serves the state query API to handlers of "
        "your own; 'v2' has none (random-UUID ETags, BYTEA values; tables incompatible with v1).",
    )
    credentials_secret: SecretName = Field(
        default="postgres-credentials",
        description="Kubernetes Secret holding the key 'connectionString'.",
    )
    actor_state_store: bool = Field(
        default=False, description="Mark it `actorStateStore` (needed for actors and workflows)."
    )


class SecretStoreSpec(SpecModel):
    """The secret store apps read through Dapr's secrets API."""

    name: ComponentName = Field(default="secretstore", description="Component name of the secret store.")

    @model_validator(mode="after")
    def _not_builtin(self) -> Self:
        if self.name == "kubernetes":
            raise ValueError("name: must not be 'kubernetes', the name of Dapr's built-in Kubernetes secret store")
        return self


# The pause between two inbound redeliveries of a pub/sub message (the generated `pubsub-inbound` constant policy):
# a message that keeps failing is given up on after `inbound_max_retries` times this (references/dapr-contract.md
# §18.5), the span an idempotent delivery's claim must stay under.
INBOUND_RETRY_INTERVAL_SECONDS = 5


class ResiliencySpec(SpecModel):
    """Dapr resiliency policies for the components and apps in use (resiliency.yaml)."""

    timeout_seconds: int = Field(default=10, ge=1, le=300, description="Timeout of one outbound call.")
    max_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Retries of an outbound call that failed with a server error (5xx) or no answer, with "
        "exponential backoff; a 4xx comes back at once.",
    )
    inbound_max_retries: int = Field(
        default=5,
        ge=0,
        le=20,
        description="Redeliveries of a pub/sub message that fails (RETRY or an error), "
        f"{INBOUND_RETRY_INTERVAL_SECONDS} s apart, before Dapr gives up and sends it to its dead-letter topic.",
    )

    @property
    def inbound_retry_span_seconds(self) -> int:
        """How long Dapr keeps redelivering a failing message, first attempt to last."""
        return self.inbound_max_retries * INBOUND_RETRY_INTERVAL_SECONDS

    breaker_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Consecutive failures that open the circuit breaker of the pub/sub and secret store (not of "
        "apps or state stores: Dapr counts their 4xx answers and ETag conflicts as failures).",
    )
    breaker_timeout_seconds: int = Field(
        default=30, ge=1, le=600, description="How long an open circuit breaker stays open."
    )


class ComponentsSpec(SpecModel):
    """The Dapr resources, Multi-App Run file, Dockerfiles and Kubernetes manifests of a set of apps."""

    apps: list[AppSpec] = Field(
        default_factory=lambda: list(DEFAULT_APPS),
        min_length=1,
        description="The apps. Default: the todo system (task-api 8000, recurring-task 8001, notification 8002).",
    )
    pubsub: PubSubSpec | None = Field(default_factory=PubSubSpec, description="Pub/sub component; null: none.")
    state: StateSpec | None = Field(default_factory=StateSpec, description="State store; null: none.")
    secret_store: SecretStoreSpec | None = Field(
        default_factory=SecretStoreSpec, description="Secret store component; null: none."
    )
    environments: list[Environment] = Field(
        default_factory=lambda: list(ENVIRONMENTS),
        min_length=1,
        description="'local': resources/local/ (Redis, a local file secret store) and dapr.yaml for "
        "`dapr run -f .`. 'kubernetes': resources/kubernetes/ (Kafka, PostgreSQL, Kubernetes secrets), "
        "Dockerfiles and deploy/kubernetes/ manifests.",
    )
    subscriptions: Literal["programmatic", "declarative"] = Field(
        default="programmatic",
        description="'programmatic': the apps answer GET /dapr/subscribe (the endpoint generator's job); "
        "'declarative': Subscription resources are generated here.",
    )
    output_bindings: list[OutputBinding] = Field(
        default_factory=list,
        description="Output bindings (email, http, kafka, postgresql): a component per profile, secrets by "
        "reference; each app names those it calls in its `output_bindings`.",
    )
    input_bindings: list[InputBindingComponent] = Field(
        default_factory=list,
        description="Input bindings (cron, kafka) with the app route they post to; each app names those it "
        "serves in its `input_bindings`.",
    )
    resiliency: ResiliencySpec = Field(default_factory=ResiliencySpec, description="Resiliency policies.")
    image_repository: ImageRepository = Field(
        default="registry.example.com/todo",
        description="Where images are pushed; each app's image is '<image_repository>/<app_id>:<image_tag>'.",
    )
    image_tag: ImageTag = Field(default="0.1.0", description="Image tag used in the Deployments.")
    replicas: int = Field(default=1, ge=1, le=100, description="Replicas of each Deployment.")
    namespace: ComponentName = Field(
        default="default",
        description="The Kubernetes namespace the apps run in: access control policies name their callers by "
        "app id and namespace (dapr/dapr pkg/acl requires it).",
    )
    trust_domain: ComponentName = Field(
        default="public",
        description="The Sentry trust domain of the callers' SPIFFE ids (Dapr's default 'public').",
    )
    liveness_path: RoutePath = Field(default="/healthz", description="The apps' liveness route.")
    readiness_path: RoutePath = Field(default="/readyz", description="The apps' readiness route.")

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        _unique([a.app_id for a in self.apps], "apps", "app ids")
        _unique([a.port for a in self.apps], "apps", "ports")
        _unique([a.directory for a in self.apps], "apps", "folders")
        if self.pubsub is not None:
            _unique(self.pubsub.topics, "pubsub", "topics")
        chosen = {"pubsub": self.pubsub, "state": self.state, "secrets": self.secret_store}
        names = [c.name for c in chosen.values() if c is not None]
        _unique(names, "spec", "component names (pubsub, state, secret_store)")
        topics = set(self.pubsub.topics) if self.pubsub is not None else set()
        for i, app in enumerate(self.apps):
            for role in app.uses:
                if chosen[role] is None:
                    raise ValueError(f"apps: app {app.app_id!r} uses {role!r} but that component is null")
            _unique([s.topic for s in app.subscribes], "apps", f"topics app {app.app_id!r} subscribes to")
            if app.subscribes and "pubsub" not in app.uses:
                raise ValueError(f"apps: app {app.app_id!r} subscribes to topics but does not use 'pubsub'")
            for s in app.subscribes:
                if s.topic not in topics:
                    raise ValueError(
                        f"apps: apps.{i} ({app.app_id!r}) subscribes to {s.topic!r}, which is not in "
                        "pubsub.topics; add it there"
                    )
        _unique(self.environments, "environments", "environments")
        bindings = [b.name for b in self.output_bindings]
        inputs = [b.name for b in self.input_bindings]
        _unique([*bindings, *inputs], "output_bindings", "binding names (output and input)")
        for b in [*bindings, *inputs]:
            if b in names:
                raise ValueError(f"output_bindings: {b!r} is already the name of the pub/sub, state or secret store")
        for i, app in enumerate(self.apps):
            for b in app.output_bindings:
                if b not in bindings:
                    raise ValueError(f"apps: apps.{i} ({app.app_id!r}) calls binding {b!r}, not in output_bindings")
            for b in app.input_bindings:
                if b not in inputs:
                    raise ValueError(f"apps: apps.{i} ({app.app_id!r}) serves binding {b!r}, not in input_bindings")
        if self.liveness_path == self.readiness_path:
            raise ValueError("readiness_path: must differ from liveness_path (readiness may fail while alive)")
        return self


def _unique(values: list[str] | list[int] | list[Environment], field: str, what: str) -> None:
    seen: set[object] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{field}: {what} must be unique; {v!r} appears twice")
        seen.add(v)
