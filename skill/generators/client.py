"""The async Dapr sidecar client: one module, its settings and errors included."""

from __future__ import annotations

from skill.plan import FilePlan, Plan
from skill.specs.client import BLOCKS, ClientSpec, DaprVersion

__all__ = ["plan", "routes_for"]

SNIPPET = "client/dapr_client"
_BASE_REQUIREMENTS = ("httpx>=0.28,<1", "pydantic>=2.7,<3", "pydantic-settings>=2.4,<3")
_TRANSPORT_REQUIREMENTS = {"auto": ("aiohttp>=3.10,<4",), "httpx": (), "aiohttp": ("aiohttp>=3.10,<4",)}


def _at_least(version: DaprVersion | None, floor: tuple[int, int]) -> bool:
    if version is None:
        return False
    major, minor = (int(part) for part in version.split("."))
    return (major, minor) >= floor


def routes_for(version: DaprVersion | None) -> dict[str, str]:
    """The API version prefix of each route family for the oldest runtime the client must support.

    From reference §0 and §17: alpha routes are served by every release 1.14-1.18, stable ones appear later.
    """
    return {
        "jobs": "v1.0" if _at_least(version, (1, 18)) else "v1.0-alpha1",
        "bulk_publish": "v1.0" if _at_least(version, (1, 17)) else "v1.0-alpha1",
        "workflow": "v1.0" if _at_least(version, (1, 15)) else "v1.0-beta1",
        "state_query": "v1.0-alpha1",
        "lock": "v1.0-alpha1",
        "configuration": "v1.0",
    }


def plan(spec: ClientSpec) -> Plan:
    target = f"Dapr {spec.dapr_version} and newer" if spec.dapr_version else "Dapr 1.14 through 1.18"
    context = {
        "class_name": spec.class_name,
        "blocks": [b for b in BLOCKS if b in spec.blocks],  # canonical order: output does not depend on input order
        "transport": spec.transport,
        "routes": routes_for(spec.dapr_version),
        "dapr_target": target,
        "defaults": {
            "timeout_seconds": spec.timeout_seconds,
            "max_retries": spec.max_retries,
            "backoff_initial_seconds": spec.backoff_initial_seconds,
            "backoff_max_seconds": spec.backoff_max_seconds,
            "health_timeout_seconds": spec.health_timeout_seconds,
            "max_connections": spec.max_connections,
        },
    }
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
        files=[FilePlan(f"{spec.module}.py", SNIPPET, context)],
        requirements=[*_BASE_REQUIREMENTS, *_TRANSPORT_REQUIREMENTS[spec.transport]],
        notes=notes,
    )
