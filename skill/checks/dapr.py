"""Dapr documents are held to the fields the runtime (or the dapr CLI) reads. A key it does not read is a typo
that Dapr would silently ignore, so it is a problem here.

Kinds checked, by `apiVersion`/`kind` (upstream: dapr/dapr `pkg/apis/components/v1alpha1/types.go`,
`pkg/apis/subscriptions/v2alpha1/types.go`, `pkg/apis/resiliency/v1alpha1/types.go`,
`pkg/apis/configuration/v1alpha1/types.go`; dapr/cli `pkg/runfileconfig/run_file_config.go` for `dapr.yaml`).
Other documents (Kubernetes manifests) are left to their own checks. See references/dapr-contract.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["dapr_problems"]


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


class _Auth(_Strict):
    secretStore: str  # noqa: N815


class _Component(_Strict):
    apiVersion: Literal["dapr.io/v1alpha1"]  # noqa: N815
    kind: Literal["Component"]
    metadata: _ObjectMeta
    spec: _ComponentSpec
    auth: _Auth | None = None
    scopes: list[str] = []


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


class _Policies(_Strict):
    timeouts: dict[str, str] = {}
    retries: dict[str, dict[str, Any]] = {}
    circuitBreakers: dict[str, dict[str, Any]] = {}  # noqa: N815


class _Targets(_Strict):
    apps: dict[str, dict[str, str]] = {}
    components: dict[str, dict[str, dict[str, str]]] = {}
    actors: dict[str, dict[str, str]] = {}


class _ResiliencySpec(_Strict):
    policies: _Policies
    targets: _Targets


class _Resiliency(_Strict):
    apiVersion: Literal["dapr.io/v1alpha1"]  # noqa: N815
    kind: Literal["Resiliency"]
    metadata: _ObjectMeta
    spec: _ResiliencySpec
    scopes: list[str] = []


class _Configuration(_Strict):
    apiVersion: Literal["dapr.io/v1alpha1"]  # noqa: N815
    kind: Literal["Configuration"]
    metadata: _ObjectMeta
    spec: dict[str, Any]


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
