"""Dapr documents are held to the fields the runtime (or the dapr CLI) reads. A key it does not read is a typo
that Dapr would silently ignore, so it is a problem here.

Kinds checked, by `apiVersion`/`kind` (upstream: dapr/dapr `pkg/apis/components/v1alpha1/types.go`,
`pkg/apis/subscriptions/v2alpha1/types.go`, `pkg/apis/resiliency/v1alpha1/types.go`,
`pkg/apis/configuration/v1alpha1/types.go`; dapr/cli `pkg/runfileconfig/run_file_config.go` for `dapr.yaml`).
Other documents (Kubernetes manifests) are left to their own checks. See references/dapr-contract.md.

Component metadata names are held to `COMPONENT_METADATA`: the fields each component's `metadata.yaml` in
dapr/components-contrib defines (with its authentication profiles), plus the few Dapr itself reads. A misspelt
name is silently ignored by Dapr, so it fails here. Resiliency targets must name policies that exist (Dapr
refuses to load the document otherwise).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = ["COMPONENT_METADATA", "REQUIRED_METADATA", "dapr_problems"]


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Fields read by Dapr itself, not by the component (dapr/dapr `pkg/runtime/processor/state/state.go`,
# `pkg/components/state/state_config.go`, `pkg/runtime/processor/pubsub/pubsub.go`, `pkg/scopes/scopes.go`).
_DAPR_STATE = _names("actorStateStore keyPrefix")
_DAPR_PUBSUB = _names("consumerID allowedTopics protectedTopics publishingScopes subscriptionScopes")
# Authentication profile fields shared by several components (components-contrib
# `.build-tools/builtin-authentication-profiles.yaml`, profiles "aws" and "azuread").
_AWS = _names(
    "region awsRegion accessKey secretKey sessionToken assumeRoleArn sessionName trustAnchorArn trustProfileArn"
)
_AZURE_AD = _names(
    "azureTenantId azureClientId azureClientSecret azureCertificate azureCertificateFile azureCertificatePassword "
    "azureEnvironment"
)
# Shared by state/redis/metadata.yaml and pubsub/redis/metadata.yaml (their authenticationProfiles included).
_REDIS = _AZURE_AD | _names(
    "redisHost redisPort redisUsername redisPassword sentinelUsername sentinelPassword enableTLS "
    "insecureSkipTLSVerify clientCert clientKey failover sentinelMasterName redeliverInterval processingTimeout "
    "redisType redisDB redisMaxRetries redisMinRetryInterval redisMaxRetryInterval dialTimeout readTimeout "
    "writeTimeout poolSize poolTimeout maxConnAge minIdleConns idleCheckFrequency idleTimeout useEntraID useOIDC "
    "oidcTokenEndpoint oidcClientID oidcClientAssertionCert oidcClientAssertionKey oidcResource oidcAudience "
    "oidcScopes oidcKid oidcCACert"
)
# state/postgresql/v1/metadata.yaml; v2 has `tablePrefix` in place of `tableName`.
_POSTGRESQL = (
    _AWS
    | _AZURE_AD
    | _names(
        "connectionString timeout metadataTableName cleanupInterval maxConns connectionMaxIdleTime queryExecMode "
        "host hostaddr port database user password sslRootCert useAzureAD useAWSIAM awsAccessKey awsSecretKey"
    )
)
_KAFKA = _AWS | _names(
    "brokers authType consumerGroup clientID initialOffset maxMessageBytes consumeRetryInterval consumeRetryEnabled "
    "heartbeatInterval sessionTimeout version skipVerify disableTls channelBufferSize consumerFetchMin "
    "consumerFetchDefault clientConnectionTopicMetadataRefreshInterval clientConnectionKeepAliveInterval "
    "dialTimeout readTimeout writeTimeout metadataTimeout producerRequiredAcks producerRetryMax schemaRegistryURL "
    "schemaRegistryAPIKey schemaRegistryAPISecret schemaCachingEnabled schemaLatestVersionCacheTTL escapeHeaders "
    "useAvroJSON compression consumerGroupRebalanceStrategy excludeHeaderMetaRegex saslUsername saslPassword "
    "saslMechanism caCert clientCert clientKey oidcTokenEndpoint oidcClientID oidcClientSecret oidcScopes "
    "oidcExtensions oidcClientAssertionCert oidcClientAssertionKey oidcResource oidcAudience oidcKid awsAccessKey "
    "awsSecretKey awsSessionToken awsIamRoleArn awsStsSessionName"
)

# (spec.type, spec.version) -> every metadata name the component reads: the fields (and authentication profile
# fields) of its metadata.yaml in dapr/components-contrib, checked at release 1.16 and the 1.18 release
# candidate, plus the fields Dapr reads for its building block. Path of each metadata.yaml in the comments.
COMPONENT_METADATA: Mapping[tuple[str, str], frozenset[str]] = {
    ("pubsub.kafka", "v1"): _KAFKA | _DAPR_PUBSUB,  # pubsub/kafka/metadata.yaml
    # pubsub/redis/metadata.yaml (Redis Streams)
    ("pubsub.redis", "v1"): _REDIS | _names("queueDepth concurrency maxLenApprox streamTTL") | _DAPR_PUBSUB,
    ("state.redis", "v1"): _REDIS | _names("ttlInSeconds queryIndexes") | _DAPR_STATE,  # state/redis/metadata.yaml
    ("state.postgresql", "v1"): _POSTGRESQL | {"tableName"} | _DAPR_STATE,  # state/postgresql/v1/metadata.yaml
    ("state.postgresql", "v2"): _POSTGRESQL | {"tablePrefix"} | _DAPR_STATE,  # state/postgresql/v2/metadata.yaml
    # secretstores/local/file/metadata.yaml
    ("secretstores.local.file", "v1"): _names("secretsFile nestedSeparator multiValued"),
    # secretstores/kubernetes/metadata.yaml (`metadata: []`: the pod's in-cluster credentials are used)
    ("secretstores.kubernetes", "v1"): frozenset(),
    # Bindings: bindings/smtp, bindings/twilio/sendgrid, bindings/http, bindings/postgres, bindings/kafka
    # (each metadata.yaml; `direction` and `route` are read by daprd for every binding).
    ("bindings.smtp", "v1"): _names(
        "host port emailFrom emailTo emailCC emailBCC priority subject skipTLSVerify user password direction"
    ),
    ("bindings.twilio.sendgrid", "v1"): _names(
        "emailFrom emailFromName emailTo emailToName subject emailCc emailBcc dynamicTemplateData dynamicTemplateId "
        "apiKey direction"
    ),
    ("bindings.http", "v1"): _names(
        "url responseTimeout maxResponseBodySize MTLSRootCA MTLSClientCert MTLSClientKey MTLSRenegotiation "
        "securityToken securityTokenHeader errorIfNot2XX direction"
    ),
    ("bindings.postgresql", "v1"): _POSTGRESQL | _names("direction"),
    ("bindings.kafka", "v1"): _KAFKA | _names("topics publishTopic consumerGroup direction route"),
    ("bindings.cron", "v1"): _names("schedule direction route"),  # bindings/cron/metadata.yaml
}
# Fields marked `sensitive: true` in the component's metadata.yaml: a plain `value` there is a secret in YAML.
SENSITIVE_METADATA: Mapping[str, frozenset[str]] = {
    "bindings.smtp": frozenset({"password"}),
    "bindings.twilio.sendgrid": frozenset({"apiKey"}),
    "bindings.http": frozenset({"securityToken", "MTLSClientKey"}),
    "bindings.postgresql": frozenset({"connectionString", "password"}),
    "bindings.kafka": frozenset({"saslPassword", "oidcClientSecret", "clientKey"}),
    "pubsub.kafka": frozenset({"saslPassword", "oidcClientSecret", "clientKey"}),
    "state.postgresql": frozenset({"connectionString", "password"}),
}
# Fields without which the component fails to initialise (`required: true` in metadata.yaml, or a check in its
# code: Kafka's "'authType' attribute was missing or empty" in common/component/kafka/auth.go).
REQUIRED_METADATA: Mapping[str, frozenset[str]] = {
    "pubsub.kafka": frozenset({"brokers", "authType"}),
    "pubsub.redis": frozenset({"redisHost"}),
    "state.redis": frozenset({"redisHost"}),
    "state.postgresql": frozenset({"connectionString"}),
    "secretstores.local.file": frozenset({"secretsFile"}),
    "bindings.smtp": frozenset({"host", "port"}),  # bindings/smtp/smtp.go parseMetadata
    "bindings.http": frozenset({"url"}),
    "bindings.kafka": frozenset({"brokers", "authType"}),
    "bindings.postgresql": frozenset({"connectionString"}),
    "bindings.cron": frozenset({"schedule"}),  # bindings/cron/cron.go Init: "schedule not set"
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class _ObjectMeta(BaseModel):
    model_config = ConfigDict(extra="allow")  # Kubernetes metadata: labels, annotations, namespace...

    name: str = Field(min_length=1)


class _SecretKeyRef(_Strict):
    name: str
    key: str = ""


class _NameValue(_Strict):
    name: str = Field(min_length=1)
    value: Any = None
    secretKeyRef: _SecretKeyRef | None = None  # noqa: N815 - Dapr's field name
    envRef: str | None = None  # noqa: N815

    @model_validator(mode="after")
    def _one_source(self) -> _NameValue:
        given = [x for x in (self.value, self.secretKeyRef, self.envRef) if x is not None]
        if len(given) != 1:
            raise ValueError(f"metadata item {self.name!r} needs exactly one of value, secretKeyRef, envRef")
        return self


class _ComponentSpec(_Strict):
    type: str = Field(pattern=r"^[a-z0-9]+\.[A-Za-z0-9.-]+$")
    version: str = Field(pattern=r"^v\d+$")
    ignoreErrors: bool = False  # noqa: N815
    initTimeout: str | None = None  # noqa: N815
    metadata: list[_NameValue] = []


def _metadata_problems(spec: _ComponentSpec) -> list[str]:
    names = [m.name for m in spec.metadata]
    problems = [f"metadata item {n!r} appears more than once" for n in sorted({n for n in names if names.count(n) > 1})]
    known = COMPONENT_METADATA.get((spec.type, spec.version))
    if known is not None:
        for n in names:
            if n not in known:
                close = difflib.get_close_matches(n, sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(f"{spec.type} {spec.version} has no metadata field {n!r}{hint}")
    missing = sorted(REQUIRED_METADATA.get(spec.type, frozenset()) - set(names))
    problems += [f"{spec.type} requires the metadata field {n!r}" for n in missing]
    sensitive = SENSITIVE_METADATA.get(spec.type, frozenset())
    problems += [
        f"{spec.type} metadata field {m.name!r} is a secret: give it as a secretKeyRef, never a value"
        for m in spec.metadata
        if m.name in sensitive and m.value not in (None, "")
    ]
    values = {m.name: m.value for m in spec.metadata}
    if spec.type == "pubsub.kafka" and values.get("authType") == "password":
        problems += [
            f"pubsub.kafka with authType 'password' requires the metadata field {n!r}"
            for n in ("saslUsername", "saslPassword")
            if n not in names
        ]
    return problems


class _Auth(_Strict):
    secretStore: str  # noqa: N815


class _Component(_Strict):
    apiVersion: Literal["dapr.io/v1alpha1"]  # noqa: N815
    kind: Literal["Component"]
    metadata: _ObjectMeta
    spec: _ComponentSpec
    auth: _Auth | None = None
    scopes: list[str] = []

    @model_validator(mode="after")
    def _known_metadata(self) -> Self:
        problems = _metadata_problems(self.spec)
        if any(m.secretKeyRef is not None for m in self.spec.metadata) and self.auth is None:
            # Without it the reference is resolved by the Kubernetes operator only; self-hosted Dapr fails.
            problems.append("metadata uses secretKeyRef but the component has no auth.secretStore")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class _Rule(_Strict):
    match: str
    path: str


class _Routes(_Strict):
    rules: list[_Rule] = []
    default: str = ""


class _Bulk(_Strict):
    enabled: bool
    maxMessagesCount: int | None = None  # noqa: N815
    maxAwaitDurationMs: int | None = None  # noqa: N815


class _SubscriptionSpec(_Strict):
    pubsubname: str
    topic: str
    routes: _Routes
    deadLetterTopic: str | None = None  # noqa: N815
    metadata: dict[str, str] = {}
    bulkSubscribe: _Bulk | None = None  # noqa: N815


class _Subscription(_Strict):
    apiVersion: Literal["dapr.io/v2alpha1"]  # noqa: N815
    kind: Literal["Subscription"]
    metadata: _ObjectMeta
    spec: _SubscriptionSpec
    scopes: list[str] = []


_DURATION = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"  # Go's time.ParseDuration


def _code_ranges(value: str | None, low: int, high: int) -> str | None:
    """`matching` codes as dapr/dapr pkg/resiliency/retry.go parsePatterns reads them: comma-separated codes or
    `start-end` ranges within [low, high]; daprd refuses the whole resiliency resource otherwise."""
    for part in (value or "").split(","):
        if not part:
            continue
        bounds = part.split("-")
        if len(bounds) > 2 or not all(b.isascii() and b.isdigit() for b in bounds):
            raise ValueError(f"{part!r} must be a status code or a range such as '500-599'")
        start, end = int(bounds[0]), int(bounds[-1])
        if not low <= start <= end <= high:
            raise ValueError(f"{part!r} must lie within {low}-{high}, its start not above its end")
    return value


class _Matching(_Strict):
    httpStatusCodes: str | None = None  # noqa: N815
    gRPCStatusCodes: str | None = None  # noqa: N815

    @field_validator("httpStatusCodes")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        return _code_ranges(value, 100, 599)

    @field_validator("gRPCStatusCodes")
    @classmethod
    def _grpc(cls, value: str | None) -> str | None:
        return _code_ranges(value, 0, 16)


class _Retry(_Strict):
    policy: Literal["constant", "exponential"] = "constant"
    duration: str | None = Field(default=None, pattern=_DURATION)
    maxInterval: str | None = Field(default=None, pattern=_DURATION)  # noqa: N815
    maxRetries: int | None = Field(default=None, ge=-1)  # noqa: N815
    matching: _Matching | None = None


class _CircuitBreaker(_Strict):
    maxRequests: int | None = Field(default=None, ge=0)  # noqa: N815
    interval: str | None = Field(default=None, pattern=_DURATION)
    timeout: str | None = Field(default=None, pattern=_DURATION)
    trip: str | None = None


class _Policies(_Strict):
    timeouts: dict[str, str] = {}
    retries: dict[str, _Retry] = {}
    circuitBreakers: dict[str, _CircuitBreaker] = {}  # noqa: N815


class _PolicyNames(_Strict):
    timeout: str | None = None
    retry: str | None = None
    circuitBreaker: str | None = None  # noqa: N815


class _EndpointPolicyNames(_PolicyNames):
    circuitBreakerCacheSize: int | None = None  # noqa: N815


class _ActorPolicyNames(_EndpointPolicyNames):
    circuitBreakerScope: Literal["id", "type", "both"] | None = None  # noqa: N815


class _ComponentPolicyNames(_Strict):
    inbound: _PolicyNames | None = None
    outbound: _PolicyNames | None = None


class _Targets(_Strict):
    apps: dict[str, _EndpointPolicyNames] = {}
    components: dict[str, _ComponentPolicyNames] = {}
    actors: dict[str, _ActorPolicyNames] = {}


class _ResiliencySpec(_Strict):
    policies: _Policies
    targets: _Targets

    @model_validator(mode="after")
    def _targets_name_policies(self) -> Self:
        # dapr/dapr pkg/resiliency/resiliency.go refuses a target that names an undefined policy.
        problems = [f"policies.timeouts.{k}: {v!r} is not a duration" for k, v in self.policies.timeouts.items()
                    if not _is_duration(v)]  # fmt: skip
        defined = {
            "timeout": set(self.policies.timeouts),
            "retry": set(self.policies.retries),
            "circuitBreaker": set(self.policies.circuitBreakers),
        }
        named: list[tuple[str, _PolicyNames]] = [(f"apps.{k}", v) for k, v in self.targets.apps.items()]
        named += [(f"actors.{k}", v) for k, v in self.targets.actors.items()]
        for name, c in self.targets.components.items():
            named += [(f"components.{name}.{d}", p) for d, p in (("inbound", c.inbound), ("outbound", c.outbound))
                      if p is not None]  # fmt: skip
        for where, names in named:
            for kind, known in defined.items():
                policy = getattr(names, kind)
                if policy is not None and policy not in known:
                    problems.append(f"targets.{where}.{kind} names {policy!r}, which is not defined in policies")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _is_duration(value: str) -> bool:
    return re.fullmatch(_DURATION, value) is not None


class _Resiliency(_Strict):
    apiVersion: Literal["dapr.io/v1alpha1"]  # noqa: N815
    kind: Literal["Resiliency"]
    metadata: _ObjectMeta
    spec: _ResiliencySpec
    scopes: list[str] = []


class _AppOperation(_Strict):
    name: str = Field(min_length=1)
    httpVerb: list[str] = []  # noqa: N815
    action: Literal["allow", "deny"]


class _AppPolicy(_Strict):
    # dapr/dapr pkg/acl/acl.go ParseAccessControlSpec: a policy without trustDomain or namespace is an error.
    appId: str = Field(min_length=1)  # noqa: N815
    defaultAction: Literal["allow", "deny"] | None = None  # noqa: N815
    trustDomain: str = Field(min_length=1)  # noqa: N815
    namespace: str = Field(min_length=1)
    operations: list[_AppOperation] = []


class _AccessControl(_Strict):
    defaultAction: Literal["allow", "deny"] | None = None  # noqa: N815
    trustDomain: str | None = None  # noqa: N815
    policies: list[_AppPolicy] = []


class _ConfigurationSpec(BaseModel):
    model_config = ConfigDict(extra="allow")  # tracing, features, ...: not checked here

    accessControl: _AccessControl | None = None  # noqa: N815


class _Configuration(_Strict):
    apiVersion: Literal["dapr.io/v1alpha1"]  # noqa: N815
    kind: Literal["Configuration"]
    metadata: _ObjectMeta
    spec: _ConfigurationSpec


_RUN_APP_KEYS = frozenset(
    {
        "appID", "appDirPath", "appPort", "daprHTTPPort", "daprGRPCPort", "command", "resourcesPath",
        "resourcesPaths", "configFilePath", "appProtocol", "logLevel", "env", "enableAppHealthCheck",
        "appHealthCheckPath", "appHealthProbeInterval", "appHealthProbeTimeout", "appHealthThreshold",
        "appLogDestination", "daprdLogDestination", "metricsPort", "profilePort", "unixDomainSocket",
        "daprInternalGRPCPort", "appChannelAddress", "apiListenAddresses", "enableProfiling", "appMaxConcurrency",
        "placementHostAddress", "schedulerHostAddress", "maxBodySize", "readBufferSize", "enableApiLogging",
        "runtimePath", "containerImage", "containerImagePullPolicy", "createService",
    }
)  # fmt: skip


def _run_file_problems(doc: dict[str, Any], where: str) -> list[str]:
    """`dapr.yaml` (Multi-App Run): `version` and `apps` are required; every app needs `appDirPath`."""
    problems = [f"{where}: unknown key {k!r}" for k in doc if k not in {"version", "common", "apps"}]
    if "version" not in doc:
        problems.append(f"{where}: 'version' is required")
    apps = doc.get("apps")
    if not isinstance(apps, list) or not apps:
        return [*problems, f"{where}: 'apps' must be a non-empty list"]
    common = doc.get("common") or {}
    for key in common if isinstance(common, dict) else ["common (not a mapping)"]:
        if key not in _RUN_APP_KEYS:
            problems.append(f"{where}: common: unknown key {key!r}")
    for i, app in enumerate(apps):
        if not isinstance(app, dict):
            problems.append(f"{where}: apps[{i}] must be a mapping")
            continue
        problems += [f"{where}: apps[{i}]: unknown key {k!r}" for k in app if k not in _RUN_APP_KEYS]
        if "appDirPath" not in app:
            problems.append(f"{where}: apps[{i}]: 'appDirPath' is required")
        if "command" in app and not isinstance(app["command"], list):
            problems.append(f"{where}: apps[{i}]: 'command' must be a list of strings")
    return problems


_KINDS: dict[str, type[BaseModel]] = {
    "Component": _Component,
    "Subscription": _Subscription,
    "Resiliency": _Resiliency,
    "Configuration": _Configuration,
}


def dapr_problems(doc: object, where: str) -> list[str]:
    """What is wrong with one parsed YAML document, if it is a Dapr document; [] for anything else."""
    if not isinstance(doc, dict):
        return []
    if "apps" in doc and "apiVersion" not in doc:
        return _run_file_problems(doc, where)
    api = doc.get("apiVersion")
    if not (isinstance(api, str) and api.startswith("dapr.io/")):
        return []
    model = _KINDS.get(str(doc.get("kind")))
    if model is None:
        return [f"{where}: unknown Dapr kind {doc.get('kind')!r}"]
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        return [
            f"{where} ({doc.get('kind')}): {'.'.join(str(p) for p in e['loc']) or 'document'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
    return []
