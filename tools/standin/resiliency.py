"""The inbound retry policy of a pub/sub component, read from an app's Resiliency resource as daprd reads it
(references/dapr-contract.md §12.4; dapr/dapr pkg/resiliency `ComponentInboundPolicy`, dapr/kit retry `Config`).

daprd runs each delivery of a subscribed message under the component's inbound policy: the policy named by
`targets.components.<pubsub>.inbound.retry`, else none at all (one attempt; the built-in defaults cover other
flows, not this one). A policy is `constant` (`duration` between attempts, 5s by default) or `exponential`
(`initialInterval` 500ms, multiplied by `multiplier` 1.5 per retry up to `maxInterval` 60s); `maxRetries` -1 (the
default) retries without end. The stand-in waits the mid-point of each exponential interval (daprd's backoff adds
a random +-50% to it) and caps an endless policy at `ENDLESS_CAP` retries so that a run cannot loop for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.standin import timeutil

__all__ = ["ENDLESS_CAP", "NO_RETRY", "RetryPolicy", "component_metadata", "inbound_policy", "pubsub_component"]

ENDLESS_CAP = 100


@dataclass(frozen=True)
class RetryPolicy:
    """`max_retries` retries after the first attempt (-1: without end, capped at ENDLESS_CAP)."""

    policy: str = "constant"
    duration: float = 5.0
    initial_interval: float = 0.5
    multiplier: float = 1.5
    max_interval: float = 60.0
    max_retries: int = -1

    @property
    def attempts(self) -> int:
        """Every attempt a message gets: the first one and its retries."""
        return 1 + (ENDLESS_CAP if self.max_retries < 0 else self.max_retries)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 = the first retry)."""
        if self.policy == "exponential":
            return float(min(self.initial_interval * self.multiplier ** (retry - 1), self.max_interval))
        return self.duration


NO_RETRY = RetryPolicy(max_retries=0)


def _seconds(value: Any, default: float) -> float:
    if value is None or value == "":
        return default
    parsed = timeutil.parse_go_duration(str(value))
    if parsed is None:
        raise ValueError(f"not a Go duration: {value!r}")
    return parsed


def _policy(spec: dict[str, Any]) -> RetryPolicy:
    kind = str(spec.get("policy", "constant")).lower()
    if kind not in ("constant", "exponential"):
        raise ValueError(f"retry policy {kind!r}: daprd knows constant and exponential")
    return RetryPolicy(
        policy=kind,
        duration=_seconds(spec.get("duration"), 5.0),
        initial_interval=_seconds(spec.get("initialInterval"), 0.5),
        multiplier=float(spec.get("multiplier") or 1.5),
        max_interval=_seconds(spec.get("maxInterval"), 60.0),
        max_retries=int(spec.get("maxRetries", -1)),
    )


def _documents(folder: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict):
                out.append(document)
    return out


def inbound_policy(resources: Path, pubsub: str, app_id: str) -> RetryPolicy:
    """The retry policy daprd applies to `app_id`'s deliveries from `pubsub`, from the Resiliency resources in the
    `resources` folder (one without `scopes`, or scoped to the app); NO_RETRY when none names one."""
    for document in _documents(resources):
        if document.get("kind") != "Resiliency":
            continue
        scopes = document.get("scopes")
        if scopes and app_id not in scopes:
            continue
        spec = document.get("spec") or {}
        target = ((spec.get("targets") or {}).get("components") or {}).get(pubsub) or {}
        name = (target.get("inbound") or {}).get("retry")
        if name:
            retries = (spec.get("policies") or {}).get("retries") or {}
            if name not in retries:
                raise ValueError(f"{resources}: Resiliency {document.get('metadata', {}).get('name')} names retry "
                                 f"policy {name!r}, which it does not define")  # fmt: skip
            return _policy(retries[name])
    return NO_RETRY


def component_metadata(resources: Path, name: str) -> tuple[str, dict[str, str]] | None:
    """The type and plain metadata values (`secretKeyRef` items left out) of the Component named `name`."""
    for document in _documents(resources):
        if document.get("kind") != "Component" or (document.get("metadata") or {}).get("name") != name:
            continue
        spec = document.get("spec") or {}
        items = spec.get("metadata") or []
        values = {str(i.get("name")): str(i["value"]) for i in items if isinstance(i, dict) and "value" in i}
        return str(spec.get("type", "")), values
    return None


@dataclass(frozen=True)
class PubSubComponent:
    """What the delivery pace depends on: the broker type and its `concurrency` (Redis Streams workers)."""

    type: str
    concurrency: int


def pubsub_component(resources: Path, pubsub: str) -> PubSubComponent | None:
    """The Component named `pubsub` in `resources`: pubsub.redis's `concurrency` defaults to 10 workers
    (components-contrib common/component/redis settings); other brokers report 1."""
    for document in _documents(resources):
        if document.get("kind") != "Component" or (document.get("metadata") or {}).get("name") != pubsub:
            continue
        spec = document.get("spec") or {}
        kind = str(spec.get("type", ""))
        items = {str(i.get("name")): i.get("value") for i in spec.get("metadata") or [] if isinstance(i, dict)}
        default = 10 if kind == "pubsub.redis" else 1
        value = items.get("concurrency")
        return PubSubComponent(kind, int(value) if value not in (None, "") else default)
    return None
