"""The async Dapr sidecar client: one module, its settings and errors included."""

from __future__ import annotations

from dataclasses import dataclass

from skill.generator import Generator
from skill.plan import FilePlan, Plan
from skill.specs.client import BLOCKS, Block, ClientSpec, DaprVersion, Transport

__all__ = ["GENERATOR", "ClientContext", "Defaults", "Routes", "context_for", "requirements_for", "routes_for"]

SNIPPET = "client/dapr_client"
_BASE_REQUIREMENTS = ("httpx>=0.28,<1", "pydantic>=2.7,<3", "pydantic-settings>=2.4,<3")
_TRANSPORT_REQUIREMENTS = {"auto": ("aiohttp>=3.10,<4",), "httpx": (), "aiohttp": ("aiohttp>=3.10,<4",)}


@dataclass(frozen=True)
class Routes:
    """The API version prefix of each route family (references/dapr-contract.md, "Route versions")."""

    jobs: str
    bulk_publish: str
    workflow: str
    state_query: str = "v1.0-alpha1"
    lock: str = "v1.0-alpha1"
    configuration: str = "v1.0"


@dataclass(frozen=True)
class Defaults:
    timeout_seconds: float
    max_retries: int
    backoff_initial_seconds: float
    backoff_max_seconds: float
    health_timeout_seconds: float
    max_connections: int


@dataclass(frozen=True)
class ClientContext:
    class_name: str
    blocks: tuple[Block, ...]  # canonical order: output does not depend on input order
    transport: Transport
    routes: Routes
    dapr_target: str
    defaults: Defaults


def _at_least(version: DaprVersion | None, floor: tuple[int, int]) -> bool:
    if version is None:
        return False
    major, minor = (int(part) for part in version.split("."))
    return (major, minor) >= floor


def routes_for(version: DaprVersion | None) -> Routes:
    """Routes for the oldest runtime the client must support: alpha routes are served by every release 1.14-1.18,
    stable ones appear later."""
    return Routes(
        jobs="v1.0" if _at_least(version, (1, 18)) else "v1.0-alpha1",
        bulk_publish="v1.0" if _at_least(version, (1, 17)) else "v1.0-alpha1",
        workflow="v1.0" if _at_least(version, (1, 15)) else "v1.0-beta1",
    )


def _target(spec: ClientSpec) -> str:
    return f"Dapr {spec.dapr_version} and newer" if spec.dapr_version else "Dapr 1.14 through 1.18"


def context_for(spec: ClientSpec) -> ClientContext:
    """The client's template context (also used by generators that embed the client)."""
    return ClientContext(
        class_name=spec.class_name,
        blocks=tuple(b for b in BLOCKS if b in spec.blocks),
        transport=spec.transport,
        routes=routes_for(spec.dapr_version),
        dapr_target=_target(spec),
        defaults=Defaults(
            timeout_seconds=spec.timeout_seconds,
            max_retries=spec.max_retries,
            backoff_initial_seconds=spec.backoff_initial_seconds,
            backoff_max_seconds=spec.backoff_max_seconds,
            health_timeout_seconds=spec.health_timeout_seconds,
            max_connections=spec.max_connections,
        ),
    )


def requirements_for(spec: ClientSpec) -> tuple[str, ...]:
    return (*_BASE_REQUIREMENTS, *_TRANSPORT_REQUIREMENTS[spec.transport])


def plan(spec: ClientSpec) -> Plan:
    target = _target(spec)
    notes = [
        f"Targets {target}. Settings come from DAPR_HTTP_ENDPOINT or DAPR_RUNTIME_HOST/DAPR_HTTP_PORT, "
        "DAPR_API_TOKEN, DAPR_API_TIMEOUT_SECONDS, DAPR_API_MAX_RETRIES and DAPR_HEALTH_TIMEOUT.",
        "Open one client per process (`async with` it in your app's lifespan) and await wait_for_sidecar() "
        "before the first call.",
    ]
    if spec.transport == "auto":
        notes.append(
            "aiohttp is optional: with it the client sends over an aiohttp session (the fast path); without "
            "it, over httpx's own pool, several times slower under concurrency."
        )
    if "jobs" in spec.blocks and not _at_least(spec.dapr_version, (1, 16)):
        notes.append(
            "Jobs `overwrite` and `failure_policy` are ignored by Dapr before 1.16 (a job is replaced silently there)."
        )
    return Plan(
        files=[FilePlan(f"{spec.module}.py", SNIPPET, context_for(spec))],
        requirements=requirements_for(spec),
        notes=notes,
    )


GENERATOR = Generator(
    name="client",
    title="Async Dapr sidecar client",
    description="An async Python client for the Dapr sidecar HTTP API (httpx, pooled, typed): state with ETags, "
    "pub/sub, service invocation, bindings, secrets, configuration, locks, the Jobs API, workflow management, "
    "metadata, health. Settings from the official DAPR_* environment variables; safe retries; typed DaprError.",
    spec=ClientSpec,
    plan=plan,
    examples={
        "state-httpx": {"blocks": ["state"], "transport": "httpx"},
        "aiohttp-1.18": {"transport": "aiohttp", "dapr_version": "1.18", "class_name": "Sidecar"},
        "orders": {"blocks": ["state", "pubsub", "jobs"], "dapr_version": "1.18", "module": "orders_dapr"},
    },
)
