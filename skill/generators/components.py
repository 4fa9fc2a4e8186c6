"""Dapr resources and deployment files for a set of apps: components (local and Kubernetes), resiliency,
declarative subscriptions, the Multi-App Run file, Dockerfiles and Kubernetes manifests.

`files_for(spec, folder)` is the composable part: the `service` and `project` generators place the same files
under a folder of their own. Every decision is made here; the snippets only print the contexts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skill.generator import Generator
from skill.generators.binding_components import (
    LOCAL_BINDING_SECRETS,
    MetadataItem,
    binding_components,
    binding_secrets,
    input_binding_components,
    local_secret_entries,
    local_secrets_json,
)
from skill.plan import EmptyContext, FilePlan, Plan
from skill.specs.components import (
    INBOUND_RETRY_INTERVAL_SECONDS,
    AppSpec,
    ComponentsSpec,
    Environment,
    Role,
    SecretStoreSpec,
    StateSpec,
)

__all__ = [
    "APP_TOKEN_SECRET",
    "DAPR_TOKEN_SECRET",
    "GENERATOR",
    "ComponentContext",
    "DeploymentContext",
    "DockerfileContext",
    "MetadataItem",
    "ResiliencyContext",
    "RunFileContext",
    "SubscriptionsContext",
    "app_env",
    "dockerfile_for",
    "files_for",
    "notes_for",
    "plan",
]

# Kubernetes Secrets (key `token`) the Dapr injector reads for the annotations `dapr.io/api-token-secret` and
# `dapr.io/app-token-secret` (dapr/dapr pkg/injector/patcher/sidecar_container.go). Created by the user, never
# generated: a manifest with a placeholder token is one `kubectl apply` away from production.
DAPR_TOKEN_SECRET = "dapr-api-token"  # noqa: S105 - the name of a Secret, not a secret
APP_TOKEN_SECRET = "app-api-token"  # noqa: S105
# The local file secret store's file, beside dapr.yaml. daprd runs in the app's folder under Multi-App Run
# (dapr/cli cmd/run.go sets the working directory to appDirPath), and every app folder is one level down.
# The local file secret store's file sits in a folder of its own that ignores itself in git, so it stays out of git
# wherever the resources are written (a user's repository included), without touching the user's own .gitignore.
LOCAL_SECRETS_FILE = "secrets/secrets.json"
LOCAL_SECRETS_IGNORE = "secrets/.gitignore"
# Dapr's built-in Kubernetes secret store: secretKeyRefs naming it are resolved by the Dapr operator
# (dapr/dapr pkg/operator/api/api.go processComponentSecrets), so apps need no RBAC on Secrets for them.
K8S_BUILTIN_SECRET_STORE = "kubernetes"  # noqa: S105 - a component name
# Environment variables that tell an app its component names, so code and resources cannot drift apart.
ENV_NAMES: dict[Role, str] = {"pubsub": "PUBSUB_NAME", "state": "STATESTORE_NAME", "secrets": "SECRETSTORE_NAME"}
UV_IMAGE = "ghcr.io/astral-sh/uv:0.8"
PYTHON_IMAGE = "python:3.11-slim"
APP_UID = 10001


@dataclass(frozen=True)
class ComponentContext:
    comment: tuple[str, ...]  # our own sentences, no user text
    name: str
    type: str
    version: str
    metadata: tuple[MetadataItem, ...]
    secret_store: str  # auth.secretStore; "" for none
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """A retry or circuit breaker policy: (key, value) pairs in Dapr's spelling and types."""

    name: str
    fields: tuple[tuple[str, str | int], ...]
    matching: tuple[tuple[str, str], ...] = ()  # a retry's status codes (httpStatusCodes, gRPCStatusCodes)


@dataclass(frozen=True)
class Target:
    """A resiliency target; `direction` is '' for apps, 'inbound'/'outbound' for components."""

    name: str
    direction: str
    policies: tuple[tuple[str, str], ...]  # (timeout|retry|circuitBreaker, policy name)


@dataclass(frozen=True)
class ResiliencyContext:
    timeouts: tuple[tuple[str, str], ...]
    retries: tuple[Policy, ...]
    circuit_breakers: tuple[Policy, ...]
    apps: tuple[Target, ...]
    components: tuple[tuple[str, tuple[Target, ...]], ...]


@dataclass(frozen=True)
class SubscriptionDoc:
    name: str
    pubsub: str
    topic: str
    route: str
    dead_letter_topic: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class SubscriptionsContext:
    subscriptions: tuple[SubscriptionDoc, ...]


@dataclass(frozen=True)
class RunApp:
    app_id: str
    directory: str
    port: int
    command: tuple[str, ...]
    health_path: str
    env: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RunFileContext:
    resources_path: str
    apps: tuple[RunApp, ...]


@dataclass(frozen=True)
class DockerfileContext:
    uv_image: str
    python_image: str
    uid: int
    port: int
    healthcheck: tuple[str, ...]  # exec form
    command: tuple[str, ...]  # exec form


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str = ""
    ref_name: str = ""  # valueFrom.secretKeyRef (key `token`) when set


@dataclass(frozen=True)
class DeploymentContext:
    app_id: str
    port: int
    replicas: int
    image: str
    uid: int
    annotations: tuple[tuple[str, str], ...]
    env: tuple[EnvVar, ...]
    liveness_path: str
    readiness_path: str
    reads_secrets: str | None = None  # the secretstores.kubernetes component the app reads through, if any


def _join(folder: str, path: str) -> str:
    return f"{folder.rstrip('/')}/{path}" if folder else path


def _seconds(n: int) -> str:
    return f"{n}s"


def _users(spec: ComponentsSpec, role: Role) -> tuple[str, ...]:
    return tuple(a.app_id for a in spec.apps if role in a.uses)


def app_env(spec: ComponentsSpec, app: AppSpec) -> tuple[tuple[str, str], ...]:
    """The component-name variables an app gets (locally in dapr.yaml, on Kubernetes in its Deployment)."""
    names: dict[Role, str | None] = {
        "pubsub": spec.pubsub.name if spec.pubsub else None,
        "state": spec.state.name if spec.state else None,
        "secrets": spec.secret_store.name if spec.secret_store else None,
    }
    return tuple((ENV_NAMES[r], n) for r in ("pubsub", "state", "secrets") if r in app.uses and (n := names[r]))


def _components(spec: ComponentsSpec, env: Environment, standalone: bool = False) -> list[ComponentContext]:
    found: list[ComponentContext] = []
    local = env == "local"
    if spec.pubsub is not None and (scopes := _users(spec, "pubsub")):
        if local:
            # The `dapr init` Redis (dapr/cli pkg/standalone/standalone.go createRedisPubSub).
            meta = (MetadataItem("redisHost", "localhost:6379"), MetadataItem("redisPassword", ""))
            found.append(
                ComponentContext(
                    ("Local pub/sub: Redis Streams from `dapr init`. Same name as on Kubernetes, so code",
                     "does not change between environments (components-contrib pubsub/redis/metadata.yaml)."),
                    spec.pubsub.name, "pubsub.redis", "v1", meta, "", scopes,
                )
            )  # fmt: skip
        else:
            kafka = spec.pubsub.kafka
            items = [
                MetadataItem("brokers", ",".join(kafka.brokers)),
                MetadataItem("authType", kafka.auth),
                # Stated, never left to the default: authType password means TLS unless disableTls.
                MetadataItem("disableTls", "false" if kafka.uses_tls else "true"),
                MetadataItem("initialOffset", kafka.initial_offset),
            ]
            if kafka.auth == "password":
                items += [
                    MetadataItem("saslUsername", ref_name=kafka.credentials_secret, ref_key="username"),
                    MetadataItem("saslPassword", ref_name=kafka.credentials_secret, ref_key="password"),
                    MetadataItem("saslMechanism", kafka.sasl_mechanism),
                ]
            found.append(
                ComponentContext(
                    ("Kafka pub/sub (components-contrib pubsub/kafka/metadata.yaml). consumerGroup is",
                     "left to Dapr: it defaults to the app id, so each app consumes every topic once.",
                     "TLS is stated: with authType password Dapr uses TLS unless disableTls is true",
                     "(common/component/kafka/auth.go); with authType none it never does."),
                    spec.pubsub.name, "pubsub.kafka", "v1", tuple(items),
                    K8S_BUILTIN_SECRET_STORE if kafka.auth == "password" else "", scopes,
                )
            )  # fmt: skip
    if spec.state is not None and (scopes := _users(spec, "state")):
        actor = (MetadataItem("actorStateStore", "true"),) if spec.state.actor_state_store else ()
        if local:
            meta = (MetadataItem("redisHost", "localhost:6379"), MetadataItem("redisPassword", ""), *actor)
            found.append(
                ComponentContext(
                    ("Local state store: Redis from `dapr init` (components-contrib",
                     "state/redis/metadata.yaml). The query API needs RedisJSON and queryIndexes."),
                    spec.state.name, "state.redis", "v1", meta, "", scopes,
                )
            )  # fmt: skip
        else:
            secret = spec.state.credentials_secret
            meta = (MetadataItem("connectionString", ref_name=secret, ref_key="connectionString"), *actor)
            version = spec.state.postgresql_version
            why = (
                ("PostgreSQL state store v1 (components-contrib state/postgresql/v1/metadata.yaml):",
                 "it also serves the state query API, which v2 does not (the generated routes use none).")
                if version == "v1"
                else ("PostgreSQL state store v2 (components-contrib state/postgresql/v2/metadata.yaml):",
                      "no state query API; its tables are incompatible with v1.")
            )  # fmt: skip
            found.append(
                ComponentContext(why, spec.state.name, "state.postgresql", version, meta, K8S_BUILTIN_SECRET_STORE,
                                 scopes)
            )  # fmt: skip
    if spec.secret_store is not None and (scopes := _users(spec, "secrets")):
        if local:
            found.append(
                ComponentContext(
                    (f"Local secrets from {LOCAL_SECRETS_FILE} beside dapr.yaml: daprd runs in the app's folder",
                     "(components-contrib secretstores/local/file/metadata.yaml). Keep it out of git."),
                    spec.secret_store.name, "secretstores.local.file", "v1",
                    (MetadataItem("secretsFile", _secrets_file(standalone)), MetadataItem("nestedSeparator", ":")),
                    "", scopes,
                )
            )  # fmt: skip
        else:
            found.append(
                ComponentContext(
                    ("Kubernetes Secrets of the app's namespace (components-contrib",
                     "secretstores/kubernetes/metadata.yaml). The pod's service account needs get on secrets."),
                    spec.secret_store.name, "secretstores.kubernetes", "v1", (), "", scopes,
                )
            )  # fmt: skip
    return found + _binding_components(spec, env, standalone)


def _binding_users(spec: ComponentsSpec, name: str) -> tuple[str, ...]:
    return tuple(a.app_id for a in spec.apps if name in a.output_bindings)


def _binding_components(spec: ComponentsSpec, env: Environment, standalone: bool) -> list[ComponentContext]:
    found = [
        ComponentContext(b.comment, b.name, b.type, "v1", b.metadata, b.secret_store, _binding_users(spec, b.name))
        for b in binding_components(spec, env)
    ]
    found += [
        ComponentContext(b.comment, b.name, b.type, "v1", b.metadata, b.secret_store, (app_id,))
        for b, app_id in input_binding_components(spec, env)
    ]
    if env == "local" and (entries := local_secret_entries(spec)):
        readers = tuple(
            a.app_id for a in spec.apps if any(c.secret_store == LOCAL_BINDING_SECRETS and a.app_id in c.scopes
                                               for c in found)
        )  # fmt: skip
        found.append(
            ComponentContext(
                ("Credentials of the binding components, from secrets.json beside dapr.yaml (keys:",
                 f"{', '.join(sorted(entries))}). multiValued: a ref names a secret and a key, as on",
                 "Kubernetes (components-contrib secretstores/local/file/metadata.yaml). Keep it out of git."),
                LOCAL_BINDING_SECRETS, "secretstores.local.file", "v1",
                (MetadataItem("secretsFile", _secrets_file(standalone)), MetadataItem("multiValued", "true")),
                "", readers,
            )
        )  # fmt: skip
    return found


def _app_targets(spec: ComponentsSpec) -> list[str]:
    """Every app id some app invokes, and the apps themselves (their callers may be outside this spec)."""
    found = [a.app_id for a in spec.apps]
    found += sorted({c for a in spec.apps for c in a.calls} - set(found))
    return found


# What an outbound retry retries (dapr/dapr pkg/resiliency/retry.go mustRetryStatusCode: a policy without
# `matching` retries every status, 4xx included): server errors, and their gRPC kin (UNKNOWN, DEADLINE_EXCEEDED,
# RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE). A 409 or 422 comes back at once. Errors without a status
# (a refused connection) are always retried.
RETRY_MATCHING = (("httpStatusCodes", "500-599"), ("gRPCStatusCodes", "2,4,8,10,13,14"))


def _resiliency(spec: ComponentsSpec) -> ResiliencyContext:
    r = spec.resiliency
    retries = [
        Policy("outbound", (("policy", "exponential"), ("maxInterval", "15s"), ("maxRetries", r.max_retries)),
               RETRY_MATCHING)
    ]  # fmt: skip
    breakers = [
        Policy(
            "consecutive-failures",
            (("maxRequests", 1), ("timeout", _seconds(r.breaker_timeout_seconds)),
             ("trip", f"consecutiveFailures >= {r.breaker_failures}")),
        )
    ]  # fmt: skip
    # A circuit breaker counts every error of the call it wraps, whatever its status (pkg/resiliency/policy.go runs
    # the call inside the breaker before `matching` is read): an invoked app's 4xx (pkg/api/http/directmessaging.go
    # makes any answer outside 200-399 an error) and a state store's ETag or first-write conflict would trip it and
    # block every call for the breaker's timeout. So apps and state stores get a timeout and retries only; the
    # breaker guards pub/sub and secret stores, whose errors mean the backend is failing.
    outbound = (("timeout", "general"), ("retry", "outbound"))
    guarded = (*outbound, ("circuitBreaker", "consecutive-failures"))
    components: list[tuple[str, tuple[Target, ...]]] = []
    if spec.pubsub is not None and _users(spec, "pubsub"):
        targets = [Target(spec.pubsub.name, "outbound", guarded)]
        if any(a.subscribes for a in spec.apps):
            # Bounded, so a message that keeps failing stops being redelivered and goes to its dead-letter topic.
            inbound = (("policy", "constant"), ("duration", _seconds(INBOUND_RETRY_INTERVAL_SECONDS)),
                       ("maxRetries", r.inbound_max_retries))  # fmt: skip
            retries.append(Policy("pubsub-inbound", inbound))
            targets.append(Target(spec.pubsub.name, "inbound", (("retry", "pubsub-inbound"),)))
        components.append((spec.pubsub.name, tuple(targets)))
    served = [b.name for b in spec.input_bindings if any(b.name in a.input_bindings for a in spec.apps)]
    if served:
        # daprd posts an input binding's event once and retries an answer other than 200 only under the
        # binding's inbound policy (dapr/dapr pkg/runtime/processor/binding/send.go); bindings.kafka itself does
        # not redeliver (consumeRetryEnabled is off for bindings). Server errors only: the generated route answers
        # 200 to an event it cannot read, and a handler's failure with 500.
        retries.append(Policy("binding-inbound", (("policy", "constant"), ("duration", "2s"), ("maxRetries", 3)),
                              RETRY_MATCHING))  # fmt: skip
        components += [(name, (Target(name, "inbound", (("retry", "binding-inbound"),)),)) for name in served]
    others: tuple[tuple[StateSpec | SecretStoreSpec | None, Role], ...] = (
        (spec.state, "state"),
        (spec.secret_store, "secrets"),
    )
    for chosen, role in others:
        if chosen is not None and _users(spec, role):
            policies = guarded if role == "secrets" else outbound
            components.append((chosen.name, (Target(chosen.name, "outbound", policies),)))
    return ResiliencyContext(
        timeouts=(("general", _seconds(r.timeout_seconds)),),
        retries=tuple(retries),
        circuit_breakers=tuple(breakers),
        apps=tuple(Target(app_id, "", outbound) for app_id in _app_targets(spec)),
        components=tuple(components),
    )


_DNS_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


def _subscriptions(spec: ComponentsSpec) -> SubscriptionsContext:
    assert spec.pubsub is not None  # the spec refuses subscriptions without a pub/sub
    docs: list[SubscriptionDoc] = []
    used: set[str] = set()
    for app in spec.apps:
        for i, s in enumerate(app.subscribes):
            # Resource names are DNS names; topics may hold '_' and capitals, so fall back to a numbered name.
            name = f"{app.app_id}-{s.topic.lower()}"
            if not _DNS_NAME.fullmatch(name) or len(name) > 253 or name in used:
                name = f"{app.app_id}-subscription-{i + 1}"
            used.add(name)
            docs.append(SubscriptionDoc(name, spec.pubsub.name, s.topic, s.route_path, s.dead_letter, (app.app_id,)))
    return SubscriptionsContext(tuple(docs))


def _uvicorn(app: AppSpec, host: str) -> tuple[str, ...]:
    return ("uvicorn", app.asgi_app, "--host", host, "--port", str(app.port))


def _run_file(spec: ComponentsSpec, standalone: bool) -> RunFileContext:
    apps = tuple(
        RunApp(
            app_id=a.app_id,
            directory="./" if standalone else f"./{a.directory}",
            port=a.port,
            command=("uv", "run", *_uvicorn(a, "127.0.0.1")),
            health_path=spec.liveness_path,
            env=app_env(spec, a),
        )
        for a in spec.apps
    )
    return RunFileContext(resources_path="./resources/local", apps=apps)


def _dockerfile(spec: ComponentsSpec, app: AppSpec) -> DockerfileContext:
    probe = (
        f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{app.port}{spec.liveness_path}', timeout=2)"
    )
    return DockerfileContext(
        uv_image=UV_IMAGE,
        python_image=PYTHON_IMAGE,
        uid=APP_UID,
        port=app.port,
        healthcheck=("python", "-c", probe),
        # 0.0.0.0: the kubelet's probes and the Service reach the pod's IP, not its loopback.
        command=_uvicorn(app, "0.0.0.0"),  # noqa: S104
    )


def dockerfile_for(spec: ComponentsSpec, app: AppSpec, path: str) -> FilePlan:
    """The app's Dockerfile at `path` (a project writes each service's, with the resources at its top)."""
    return FilePlan(path, "components/Dockerfile", _dockerfile(spec, app), "dockerfile")


def _deployment(spec: ComponentsSpec, app: AppSpec) -> DeploymentContext:
    annotations = (
        ("dapr.io/enabled", "true"),
        ("dapr.io/app-id", app.app_id),
        ("dapr.io/app-port", str(app.port)),
        ("dapr.io/api-token-secret", DAPR_TOKEN_SECRET),
        ("dapr.io/app-token-secret", APP_TOKEN_SECRET),
        ("dapr.io/enable-app-health-check", "true"),
        ("dapr.io/app-health-check-path", spec.liveness_path),
        *((("dapr.io/config", config_name(app)),) if app.callers is not None else ()),
    )
    env = (
        *(EnvVar(k, v) for k, v in app_env(spec, app)),
        # The injector gives these to the sidecar only; the app needs the same values to call and to verify it.
        EnvVar("DAPR_API_TOKEN", ref_name=DAPR_TOKEN_SECRET),
        EnvVar("APP_API_TOKEN", ref_name=APP_TOKEN_SECRET),
    )
    return DeploymentContext(
        app_id=app.app_id,
        port=app.port,
        replicas=spec.replicas,
        image=f"{spec.image_repository}/{app.app_id}:{spec.image_tag}",
        uid=APP_UID,
        annotations=annotations,
        env=env,
        liveness_path=spec.liveness_path,
        readiness_path=spec.readiness_path,
        reads_secrets=spec.secret_store.name if spec.secret_store is not None and "secrets" in app.uses else None,
    )


@dataclass(frozen=True)
class CallerPolicy:
    app_id: str
    operations: tuple[tuple[str, tuple[str, ...]], ...]  # (method path, HTTP verbs)


@dataclass(frozen=True)
class ConfigurationContext:
    name: str
    app_id: str
    trust_domain: str
    namespace: str
    policies: tuple[CallerPolicy, ...]


def config_name(app: AppSpec) -> str:
    """The app's Configuration (dapr.io/config), when it has access control."""
    return f"{app.app_id}-config"


def _configuration(spec: ComponentsSpec, app: AppSpec) -> ConfigurationContext:
    assert app.callers is not None
    policies = tuple(CallerPolicy(c.app_id, tuple((o.path, tuple(o.verbs)) for o in c.operations)) for c in app.callers)
    return ConfigurationContext(config_name(app), app.app_id, spec.trust_domain, spec.namespace, policies)


def _secrets_file(standalone: bool) -> str:
    # daprd runs in the app's folder: beside dapr.yaml for a standalone service, one level down otherwise.
    return LOCAL_SECRETS_FILE if standalone else f"../{LOCAL_SECRETS_FILE}"


def files_for(spec: ComponentsSpec, folder: str = "", *, standalone: bool = False) -> list[FilePlan]:
    """Every file for `spec`, with paths under `folder` ('' for the top): what `service` and `project` compose.

    `standalone`: the spec's one app lives in `folder` itself (a service generated on its own), not in a
    folder of its own beside dapr.yaml."""
    if standalone and len(spec.apps) != 1:
        raise ValueError("a standalone layout holds exactly one app")
    files: list[FilePlan] = []
    resiliency = _resiliency(spec)
    declarative = spec.subscriptions == "declarative" and any(a.subscribes for a in spec.apps)
    for env in spec.environments:
        where = _join(folder, f"resources/{env}")
        found = _components(spec, env, standalone)
        files += [FilePlan(f"{where}/{c.name}.yaml", "components/component", c, "yaml") for c in found]
        files.append(FilePlan(f"{where}/resiliency.yaml", "components/resiliency", resiliency, "yaml"))
        if declarative:
            files.append(
                FilePlan(f"{where}/subscriptions.yaml", "components/subscriptions", _subscriptions(spec), "yaml")
            )
    if "local" in spec.environments:
        files.append(FilePlan(_join(folder, "dapr.yaml"), "components/dapr", _run_file(spec, standalone), "yaml"))
        if (spec.secret_store is not None and _users(spec, "secrets")) or local_secret_entries(spec):
            files.append(
                FilePlan(_join(folder, LOCAL_SECRETS_FILE), "components/secrets",
                         SecretsFileContext(local_secrets_json(spec)), "json")
            )  # fmt: skip
            files.append(
                FilePlan(_join(folder, LOCAL_SECRETS_IGNORE), "components/secrets_gitignore", EmptyContext(), "text")
            )
    if "kubernetes" in spec.environments:
        for app in spec.apps:
            where = folder if standalone else _join(folder, app.directory)
            files.append(dockerfile_for(spec, app, _join(where, "Dockerfile")))
            files.append(FilePlan(_join(folder, f"deploy/kubernetes/{app.app_id}.yaml"), "components/deployment",
                                  _deployment(spec, app), "yaml"))  # fmt: skip
            if app.callers is not None:
                where = _join(folder, f"resources/kubernetes/{config_name(app)}.yaml")
                files.append(FilePlan(where, "components/configuration", _configuration(spec, app), "yaml"))
        files.append(
            FilePlan(_join(folder, SECRETS_SCRIPT), "components/create-secrets",
                     SecretsScriptContext(_secrets_to_create(spec)), "text")
        )  # fmt: skip
    return files


@dataclass(frozen=True)
class SecretsFileContext:
    content: str  # the JSON document: entries the binding components read, values empty


@dataclass(frozen=True)
class SecretToCreate:
    """A Kubernetes Secret the manifests and components reference: random tokens, or values from the
    environment of whoever runs the script (never from a file)."""

    name: str
    keys: tuple[tuple[str, str], ...]  # (key, environment variable); an empty variable: a fresh random token
    why: str


@dataclass(frozen=True)
class SecretsScriptContext:
    secrets: tuple[SecretToCreate, ...]


SECRETS_SCRIPT = "deploy/create-secrets.sh"


def _secrets_to_create(spec: ComponentsSpec) -> tuple[SecretToCreate, ...]:
    found = [
        SecretToCreate(
            DAPR_TOKEN_SECRET, (("token", ""),), "the apps' token for their sidecar (dapr.io/api-token-secret)"
        ),
        SecretToCreate(
            APP_TOKEN_SECRET, (("token", ""),), "the sidecars' token for their app (dapr.io/app-token-secret)"
        ),
    ]
    if spec.pubsub is not None and spec.pubsub.kafka.auth == "password" and _users(spec, "pubsub"):
        found.append(
            SecretToCreate(
                spec.pubsub.kafka.credentials_secret,
                (("username", "KAFKA_USERNAME"), ("password", "KAFKA_PASSWORD")),
                "Kafka SASL credentials (the pub/sub component's secretKeyRefs)",
            )
        )
    if spec.state is not None and _users(spec, "state"):
        found.append(
            SecretToCreate(
                spec.state.credentials_secret,
                (("connectionString", "POSTGRES_CONNECTION_STRING"),),
                "the PostgreSQL connection string (the state store's secretKeyRef)",
            )
        )
    known = {s.name for s in found}
    found += [SecretToCreate(k.name, k.keys, k.why) for k in binding_secrets(spec) if k.name not in known]
    return tuple(found)


def notes_for(spec: ComponentsSpec, *, with_apps: bool = False) -> list[str]:
    """What a reader of the files should know. `with_apps`: the apps are generated alongside (a service or a
    project), so what the apps themselves must do goes unsaid."""
    notes: list[str] = []
    if "local" in spec.environments:
        apps = "" if with_apps else "; each app folder needs its pyproject.toml"
        notes.append(
            f"Local: `dapr init` (Redis on localhost:6379), then `dapr run -f .` beside dapr.yaml{apps}. Component "
            "names are the same locally and on Kubernetes, so the apps read them from PUBSUB_NAME / "
            "STATESTORE_NAME / SECRETSTORE_NAME and never change."
        )
        if spec.secret_store is not None and _users(spec, "secrets"):
            notes.append(
                f"{LOCAL_SECRETS_FILE} holds local-only secrets for the local secret store; the folder's own "
                ".gitignore keeps it out of git."
            )
    if "kubernetes" in spec.environments:
        needed = [v for secret in _secrets_to_create(spec) for _, v in secret.keys if v]
        from_env = f" (it reads {', '.join(needed)} from the environment)" if needed else ""
        notes.append(
            "Kubernetes: no Secret manifests are generated (a placeholder token is one `kubectl apply` from "
            f"production): run `sh {SECRETS_SCRIPT}` once per namespace{from_env}; it creates each missing Secret, "
            "tokens random. Then `kubectl apply -f resources/kubernetes -f deploy/kubernetes` after building and "
            f"pushing each app's image ({spec.image_repository}/<app-id>:{spec.image_tag})."
        )
        if spec.state is not None and _users(spec, "state"):
            notes.append(
                f"state.postgresql {spec.state.postgresql_version}: the generated routes need no query API (a "
                "CRUD list reads one index key), so either version serves them; v1, the default, also serves the "
                "state query API to handlers of your own; v2 stores BYTEA with random-UUID ETags, has no query "
                "API, and its tables are incompatible with v1."
            )
        if spec.secret_store is not None and _users(spec, "secrets"):
            notes.append(
                f"Apps reading secrets through '{spec.secret_store.name}' (secretstores.kubernetes) run as a "
                "service account of their own with a Role granting get on the namespace's Secrets (in their "
                "manifest); component credentials are resolved by the Dapr operator through the built-in "
                "'kubernetes' store and need none."
            )
    guarded = [a.app_id for a in spec.apps if a.callers is not None]
    if guarded and "kubernetes" in spec.environments:
        local = (
            "Locally (no Sentry, no mTLS) such a Configuration would deny every call, so dapr.yaml names none. "
            if "local" in spec.environments
            else ""
        )
        notes.append(
            f"Access control ({', '.join(guarded)}): on Kubernetes each has a Configuration (resources/kubernetes/"
            "<app-id>-config.yaml, the dapr.io/config annotation) denying every invocation but its callers' "
            f"operations; the sidecar knows callers by their mTLS identity, so keep Dapr's mTLS on. {local}"
            "Invocation targets that name their callers check the dapr-caller-app-id header the sidecar stamps, "
            "and refuse a request carrying two (daprd adds its value beside a caller's own)."
        )
    if any(a.subscribes for a in spec.apps):
        notes.append(
            "Pub/sub deliveries are retried at most "
            f"{spec.resiliency.inbound_max_retries} times (resiliency inbound policy), then go to the "
            "subscription's dead-letter topic ('<topic>-dlq' unless set); create those topics on Kafka "
            "unless it auto-creates topics."
        )
        if spec.subscriptions == "programmatic" and not with_apps:
            notes.append(
                "Subscriptions are programmatic: the apps must answer GET /dapr/subscribe with the routes and "
                "dead-letter topics of their `subscribes` (the endpoint generator writes that)."
            )
    return notes


def plan(spec: ComponentsSpec, folder: str = "") -> Plan:
    return Plan(files=files_for(spec, folder), notes=notes_for(spec))


GENERATOR = Generator(
    name="components",
    title="Dapr resources and deployment",
    description="Dapr resources for apps, local (Redis) and Kubernetes (Kafka, PostgreSQL): scoped components, "
    "resiliency, dapr.yaml, manifests. Default: the todo system.",
    spec=ComponentsSpec,
    plan=plan,
    examples={
        "local-only": {
            "environments": ["local"],
            "subscriptions": "declarative",
            "secret_store": None,
            "apps": [
                {"app_id": "orders", "port": 8100, "uses": ["pubsub", "state"]},
                {"app_id": "shipping", "port": 8101, "uses": ["pubsub"], "subscribes": ["orders"]},
            ],
            "pubsub": {"name": "pubsub", "topics": ["orders", "orders-dlq"]},
            "state": {"name": "statestore"},
        },
        "bindings": {
            "apps": [{"app_id": "shop", "port": 8100, "uses": ["pubsub"], "output_bindings": ["mail", "ledger"],
                      "input_bindings": ["nightly"],
                      "callers": [{"app_id": "checkout", "operations": [{"path": "/orders", "verbs": ["POST"]}]}]}],
            "pubsub": {"topics": ["orders"]},
            "state": None,
            "secret_store": None,
            "output_bindings": [{"kind": "email", "name": "mail", "sender": "shop@example.com"},
                                {"kind": "postgresql", "name": "ledger"}],
            "input_bindings": [{"name": "nightly", "route": "/nightly",
                                "source": {"kind": "cron", "schedule": "@daily"}}],
        },
        "custom-names": {
            "pubsub": {"name": "events", "topics": ["task-events", "reminders", "task-updates"],
                       "kafka": {"brokers": ["kafka-0.kafka:9093", "kafka-1.kafka:9093"], "auth": "none"}},
            "state": {"name": "tasks", "postgresql_version": "v2", "actor_state_store": True},
            "secret_store": {"name": "vault"},
            "image_repository": "ghcr.io/acme/todo",
            "image_tag": "2.3.1",
            "replicas": 2,
            "resiliency": {"max_retries": 5, "inbound_max_retries": 8},
        },
    },
)  # fmt: skip
