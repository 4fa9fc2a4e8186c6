"""Output bindings a service calls: one component per binding and profile, secrets by reference.

Each binding has one name in every profile (the handlers call it by that name) and a Dapr component type per
profile: an email binding is SMTP locally (a catcher such as Mailpit on localhost) and SendGrid or SMTP on
Kubernetes. Operations and metadata are the components' own (components-contrib bindings/smtp,
bindings/twilio/sendgrid, bindings/http, bindings/kafka, bindings/postgres); the client's typed helpers send them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag

from skill.specs.common import ComponentName, HostPort, RoutePath, SecretName, SpecModel, TopicName, pattern_rule
from skill.specs.endpoint import BindingSpec

__all__ = [
    "INPUT_KINDS",
    "OUTPUT_KINDS",
    "CronSource",
    "EmailBinding",
    "HttpBinding",
    "InputBindingComponent",
    "InputSource",
    "KafkaBinding",
    "KafkaSource",
    "OutputBinding",
    "PostgresBinding",
    "ServiceBinding",
]

EmailAddress = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[^@\s,;]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?",
            "must be one email address 'name@domain' (no spaces, commas or semicolons)",
            max_len=254,
        )
    ),
    Field(examples=["noreply@example.com"]),
]
HttpUrl = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?",
            "must be an http:// or https:// URL: a host, an optional ':port' and path, no query or fragment",
            max_len=2000,
        )
    ),
    Field(examples=["https://api.example.com/v1"]),
]


class EmailBinding(SpecModel):
    """An email sender: bindings.smtp locally, bindings.twilio.sendgrid (or bindings.smtp) on Kubernetes."""

    kind: Literal["email"] = Field(description="An email output binding (operation 'create').")
    name: ComponentName = Field(description="Component name the handlers send through, the same in every profile.")
    sender: EmailAddress = Field(description="The From address (the components' `emailFrom`).")
    kubernetes: Literal["sendgrid", "smtp"] = Field(
        default="sendgrid", description="Component on Kubernetes: 'sendgrid' (API key) or 'smtp' (user, password)."
    )
    local_smtp: HostPort = Field(
        default="localhost:1025",
        description="The local SMTP server, without authentication (a mail catcher such as Mailpit).",
    )
    smtp: HostPort = Field(default="smtp:587", description="The SMTP server on Kubernetes (kubernetes 'smtp').")
    credentials_secret: SecretName | None = Field(
        default=None,
        description="Kubernetes Secret with key 'apiKey' (sendgrid) or keys 'user' and 'password' (smtp). "
        "Unset: '<name>-credentials'.",
    )

    @property
    def secret(self) -> str:
        return self.credentials_secret or f"{self.name}-credentials"


class HttpBinding(SpecModel):
    """Calls to one HTTP API (bindings.http): the operation is the verb, `path` is appended to the URL."""

    kind: Literal["http"] = Field(description="An HTTP output binding (operations get, post, put, patch, delete...).")
    name: ComponentName = Field(description="Component name the handlers call, the same in every profile.")
    url: HttpUrl = Field(description="Base URL on Kubernetes.")
    local_url: HttpUrl | None = Field(default=None, description="Base URL locally. Unset: `url`.")


class KafkaBinding(SpecModel):
    """Messages to one Kafka topic (bindings.kafka, operation 'create'): a local broker without authentication;
    on Kubernetes the cluster's Kafka as the pub/sub's `kafka` settings describe it (one place for that fact)."""

    kind: Literal["kafka"] = Field(description="A Kafka output binding (operation 'create').")
    name: ComponentName = Field(description="Component name the handlers publish through, the same in every profile.")
    topic: TopicName = Field(description="The topic it writes to (the component's `publishTopic`).")
    local_brokers: list[HostPort] = Field(
        default_factory=lambda: ["localhost:9092"], min_length=1, description="Local brokers (no authentication)."
    )


class PostgresBinding(SpecModel):
    """SQL on one PostgreSQL database (bindings.postgresql, operations 'exec' and 'query'). The connection string
    is a secret in both profiles: the local file secret store's secrets.json, a Kubernetes Secret."""

    kind: Literal["postgresql"] = Field(description="A PostgreSQL output binding (operations exec, query).")
    name: ComponentName = Field(description="Component name the handlers query, the same in every profile.")
    credentials_secret: SecretName | None = Field(
        default=None,
        description="Secret with key 'connectionString' (Kubernetes Secret; locally an entry of secrets.json). "
        "Unset: '<name>-credentials'.",
    )

    @property
    def secret(self) -> str:
        return self.credentials_secret or f"{self.name}-credentials"


OUTPUT_KINDS = ("email", "http", "kafka", "postgresql")


def _kind(value: object) -> str | None:
    # A callable discriminator: SpecModel's before-validators rule out `Field(discriminator="kind")`.
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in OUTPUT_KINDS else None


OutputBinding = Annotated[
    Annotated[EmailBinding, Tag("email")]
    | Annotated[HttpBinding, Tag("http")]
    | Annotated[KafkaBinding, Tag("kafka")]
    | Annotated[PostgresBinding, Tag("postgresql")],
    Discriminator(
        _kind,
        custom_error_type="binding_kind",
        custom_error_message=f"kind: must be one of {', '.join(OUTPUT_KINDS)}",
    ),
]


# -- input bindings: what posts events to a binding route ------------------------------------------------------

CronSchedule = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every [0-9]+(\.[0-9]+)?(ms|s|m|h)"
            r"([0-9]+(\.[0-9]+)?(ms|s|m|h))*|[^ ]+( [^ ]+){4,5}",
            "must be a cron schedule as bindings.cron parses it: 5 fields (6 with seconds first), a descriptor "
            "such as '@daily', or '@every <duration>' such as '@every 15m'",
            max_len=200,
        )
    ),
    Field(examples=["@every 15m", "0 30 * * * *"]),
]


class CronSource(SpecModel):
    """A schedule (bindings.cron): Dapr posts to the route at each tick, in every profile."""

    kind: Literal["cron"] = Field(description="A cron input binding.")
    schedule: CronSchedule = Field(description="When it fires.")


class KafkaSource(SpecModel):
    """Messages of Kafka topics (bindings.kafka): a local broker without authentication; on Kubernetes the
    cluster's Kafka as the pub/sub's `kafka` settings describe it."""

    kind: Literal["kafka"] = Field(description="A Kafka input binding.")
    topics: list[TopicName] = Field(min_length=1, description="Topics it reads.")
    consumer_group: ComponentName | None = Field(
        default=None, description="Kafka consumer group. Unset: the app id (each app reads each message once)."
    )
    local_brokers: list[HostPort] = Field(
        default_factory=lambda: ["localhost:9092"], min_length=1, description="Local brokers (no authentication)."
    )


INPUT_KINDS = ("cron", "kafka")


def _input_kind(value: object) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in INPUT_KINDS else None


InputSource = Annotated[
    Annotated[CronSource, Tag("cron")] | Annotated[KafkaSource, Tag("kafka")],
    Discriminator(
        _input_kind,
        custom_error_type="binding_kind",
        custom_error_message=f"kind: must be one of {', '.join(INPUT_KINDS)}",
    ),
]


class InputBindingComponent(SpecModel):
    """An input binding's component: its name, the app route it posts to and its source."""

    name: ComponentName = Field(description="Component name; the app serves OPTIONS and POST on `route`.")
    route: RoutePath = Field(description="The app route Dapr posts each event to (the component's `route`).")
    source: InputSource = Field(description="What produces the events.")


class ServiceBinding(BindingSpec):
    """An input binding of a service: its route and, when `source` is given, the component that feeds it."""

    source: InputSource | None = Field(
        default=None,
        description="What posts to the route, written as a component per profile: {'kind': 'cron', 'schedule': "
        "'@every 15m'} or {'kind': 'kafka', 'topics': [...]}. Unset: no component (bring your own).",
    )

    def component(self) -> InputBindingComponent | None:
        if self.source is None:
            return None
        return InputBindingComponent(name=self.name, route=self.path, source=self.source)
