"""The components of bindings, per profile, with every credential a secretKeyRef: output bindings the handlers
call, and input bindings that post to the app's binding routes.

Kubernetes: refs resolved by the Dapr operator through the built-in `kubernetes` secret store. Locally: refs to a
local file secret store of their own (`multiValued`, so a ref names a secret and a key just as on Kubernetes),
reading the same secrets.json the app's own secret store reads; no credential is ever written in YAML.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from skill.specs.bindings import (
    CronSource,
    EmailBinding,
    HttpBinding,
    InputBindingComponent,
    KafkaBinding,
    KafkaSource,
    OutputBinding,
    PostgresBinding,
)
from skill.specs.components import ComponentsSpec, Environment, KafkaSpec

__all__ = [
    "LOCAL_BINDING_SECRETS",
    "BindingComponent",
    "MetadataItem",
    "binding_components",
    "binding_secrets",
    "input_binding_components",
    "local_secret_entries",
]

# The local file secret store binding components read their refs through (components-contrib
# secretstores/local/file: with multiValued true each top-level key is a secret and its members are its keys).
LOCAL_BINDING_SECRETS = "binding-secrets"
K8S_BUILTIN = "kubernetes"


@dataclass(frozen=True)
class MetadataItem:
    """One `spec.metadata` entry: a plain value, or a secretKeyRef (ref_name and ref_key)."""

    name: str
    value: str = ""
    ref_name: str = ""
    ref_key: str = ""


@dataclass(frozen=True)
class BindingComponent:
    comment: tuple[str, ...]
    name: str
    type: str
    metadata: tuple[MetadataItem, ...]
    secret_store: str  # auth.secretStore; "" for none


@dataclass(frozen=True)
class SecretKeys:
    """A Secret a binding's refs name: (key, environment variable the creation script reads it from)."""

    name: str
    keys: tuple[tuple[str, str], ...]
    why: str


def _env_var(name: str, key: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", f"{name}_{key}".upper()).strip("_")


def _host_port(value: str) -> tuple[str, str]:
    host, port = value.rsplit(":", 1)
    return host, port


def _email(b: EmailBinding, env: Environment) -> BindingComponent:
    sender = MetadataItem("emailFrom", b.sender)
    if env == "kubernetes" and b.kubernetes == "sendgrid":
        return BindingComponent(
            ("Email through SendGrid (components-contrib bindings/twilio/sendgrid/metadata.yaml), operation",
             "create: the data is the body; emailTo, subject, emailCc, emailBcc come with each request."),
            b.name, "bindings.twilio.sendgrid",
            (MetadataItem("apiKey", ref_name=b.secret, ref_key="apiKey"), sender), K8S_BUILTIN,
        )  # fmt: skip
    server = b.local_smtp if env == "local" else b.smtp
    host, port = _host_port(server)
    items = [MetadataItem("host", host), MetadataItem("port", port), sender]
    if env == "kubernetes":
        items += [
            MetadataItem("user", ref_name=b.secret, ref_key="user"),
            MetadataItem("password", ref_name=b.secret, ref_key="password"),
        ]
    comment: tuple[str, ...] = (
        ("Email through SMTP (components-contrib bindings/smtp/metadata.yaml), operation create: the data",
         "is the HTML body; emailTo, subject, emailCC, emailBCC come with each request.")
    )  # fmt: skip
    if env == "local":
        comment += ("Locally a mail catcher without authentication (for example Mailpit on port 1025).",)
    return BindingComponent(comment, b.name, "bindings.smtp", tuple(items), K8S_BUILTIN if env != "local" else "")


def _http(b: HttpBinding, env: Environment) -> BindingComponent:
    url = b.local_url or b.url if env == "local" else b.url
    return BindingComponent(
        ("HTTP calls (components-contrib bindings/http/metadata.yaml): the operation is the verb",
         "(get, post, put, patch, delete...); the request metadata `path` is appended to the url."),
        b.name, "bindings.http", (MetadataItem("url", url),), "",
    )  # fmt: skip


def _kafka_connection(
    env: Environment, local_brokers: list[str], kafka: KafkaSpec
) -> tuple[tuple[MetadataItem, ...], str]:
    """Brokers and authentication: none locally, the cluster's settings on Kubernetes (TLS stated, never left to
    the default: components-contrib common/component/kafka/auth.go)."""
    if env == "local":
        return (MetadataItem("brokers", ",".join(local_brokers)), MetadataItem("authType", "none")), ""
    found = [
        MetadataItem("brokers", ",".join(kafka.brokers)),
        MetadataItem("authType", kafka.auth),
        MetadataItem("disableTls", "false" if kafka.uses_tls else "true"),
    ]
    if kafka.auth == "password":
        found += [
            MetadataItem("saslUsername", ref_name=kafka.credentials_secret, ref_key="username"),
            MetadataItem("saslPassword", ref_name=kafka.credentials_secret, ref_key="password"),
            MetadataItem("saslMechanism", kafka.sasl_mechanism),
        ]
    return tuple(found), K8S_BUILTIN if kafka.auth == "password" else ""


def _kafka(b: KafkaBinding, env: Environment, kafka: KafkaSpec) -> BindingComponent:
    comment = (
        "Messages to one Kafka topic (components-contrib bindings/kafka/metadata.yaml), operation",
        "create; the request metadata `partitionKey` sets the message key.",
    )
    connection, secret_store = _kafka_connection(env, b.local_brokers, kafka)
    items = (*connection, MetadataItem("publishTopic", b.topic))
    return BindingComponent(comment, b.name, "bindings.kafka", items, secret_store)


def _postgres(b: PostgresBinding, env: Environment) -> BindingComponent:
    return BindingComponent(
        ("SQL on PostgreSQL (components-contrib bindings/postgres/metadata.yaml): operations exec and",
         "query, with the request metadata `sql` and `params` (a JSON array for $1, $2...)."),
        b.name, "bindings.postgresql",
        (MetadataItem("connectionString", ref_name=b.secret, ref_key="connectionString"),),
        LOCAL_BINDING_SECRETS if env == "local" else K8S_BUILTIN,
    )  # fmt: skip


def _kafka_settings(spec: ComponentsSpec) -> KafkaSpec:
    # The cluster's Kafka is described once, on the pub/sub.
    return spec.pubsub.kafka if spec.pubsub is not None else KafkaSpec()


def binding_components(spec: ComponentsSpec, env: Environment) -> list[BindingComponent]:
    """One component per output binding some app calls, in `env`."""
    used = {name for a in spec.apps for name in a.output_bindings}
    found: list[BindingComponent] = []
    for b in spec.output_bindings:
        if b.name not in used:
            continue
        match b:
            case EmailBinding():
                found.append(_email(b, env))
            case HttpBinding():
                found.append(_http(b, env))
            case KafkaBinding():
                found.append(_kafka(b, env, _kafka_settings(spec)))
            case PostgresBinding():
                found.append(_postgres(b, env))
    return found


def _input(b: InputBindingComponent, env: Environment, kafka: KafkaSpec, app_id: str) -> BindingComponent:
    # daprd posts each event to `route` (default /<name>) after an OPTIONS probe; `direction: input` tells it
    # not to offer the component as an output binding (dapr/dapr pkg/runtime/processor/binding).
    common = (MetadataItem("route", b.route), MetadataItem("direction", "input"))
    match b.source:
        case CronSource(schedule=schedule):
            return BindingComponent(
                ("A schedule (components-contrib bindings/cron/metadata.yaml): Dapr posts to the route",
                 "at each tick; the app answers 200 or the event is logged as failed."),
                b.name, "bindings.cron", (MetadataItem("schedule", schedule), *common), "",
            )  # fmt: skip
        case KafkaSource() as source:
            connection, secret_store = _kafka_connection(env, source.local_brokers, kafka)
            items = (
                *connection,
                MetadataItem("topics", ",".join(source.topics)),
                MetadataItem("consumerGroup", source.consumer_group or app_id),
                # A new consumer group starts where the pub/sub's does ('oldest' by default); Kafka's own
                # default, 'newest', loses what was written before the binding first joined.
                MetadataItem("initialOffset", kafka.initial_offset),
                *common,
            )
            return BindingComponent(
                ("Messages of Kafka topics (components-contrib bindings/kafka/metadata.yaml), posted to",
                 "the route one by one; answered anything but 2xx, a message is logged and not committed,",
                 "not retried (consumeRetryEnabled is off for bindings; add a resiliency policy for this",
                 "component to retry it) and the next one follows (common/component/kafka/consumer.go)."),
                b.name, "bindings.kafka", items, secret_store,
            )  # fmt: skip


def input_binding_components(spec: ComponentsSpec, env: Environment) -> list[tuple[BindingComponent, str]]:
    """One component per input binding some app serves, with that app's id (its scope)."""
    found = []
    for b in spec.input_bindings:
        apps = [a.app_id for a in spec.apps if b.name in a.input_bindings]
        if apps:
            found.append((_input(b, env, _kafka_settings(spec), apps[0]), apps[0]))
    return found


def _secret_keys(b: OutputBinding, spec: ComponentsSpec) -> SecretKeys | None:
    match b:
        case EmailBinding(kubernetes="sendgrid"):
            return SecretKeys(b.secret, (("apiKey", _env_var(b.name, "api_key")),), f"the SendGrid API key ({b.name})")
        case EmailBinding():
            smtp = (("user", _env_var(b.name, "user")), ("password", _env_var(b.name, "password")))
            return SecretKeys(b.secret, smtp, f"the SMTP user and password ({b.name})")
        case PostgresBinding():
            postgres = (("connectionString", _env_var(b.name, "connection_string")),)
            return SecretKeys(b.secret, postgres, f"the PostgreSQL connection string ({b.name})")
        case KafkaBinding() if _kafka_settings(spec).auth == "password":
            kafka = _kafka_settings(spec)
            sasl = (("username", "KAFKA_USERNAME"), ("password", "KAFKA_PASSWORD"))
            return SecretKeys(kafka.credentials_secret, sasl, "Kafka SASL credentials (the bindings' secretKeyRefs)")
    return None


def binding_secrets(spec: ComponentsSpec) -> list[SecretKeys]:
    """The Kubernetes Secrets the binding components of `spec` reference, each once."""
    used = {name for a in spec.apps for name in a.output_bindings}
    found: dict[str, SecretKeys] = {}
    for b in spec.output_bindings:
        if b.name in used and (keys := _secret_keys(b, spec)) is not None:
            found.setdefault(keys.name, keys)
    kafka = _kafka_settings(spec)
    served = {name for a in spec.apps for name in a.input_bindings}
    if kafka.auth == "password" and any(
        isinstance(b.source, KafkaSource) and b.name in served for b in spec.input_bindings
    ):
        sasl = (("username", "KAFKA_USERNAME"), ("password", "KAFKA_PASSWORD"))
        found.setdefault(kafka.credentials_secret, SecretKeys(kafka.credentials_secret, sasl, "Kafka SASL credentials"))
    return list(found.values())


def local_secret_entries(spec: ComponentsSpec) -> dict[str, dict[str, str]]:
    """The secrets.json entries the local binding components read (values left empty for the user to fill)."""
    used = {name for a in spec.apps for name in a.output_bindings}
    return {
        b.secret: {"connectionString": ""}
        for b in spec.output_bindings
        if isinstance(b, PostgresBinding) and b.name in used
    }


def local_secrets_json(spec: ComponentsSpec) -> str:
    return json.dumps(local_secret_entries(spec), indent=2)
