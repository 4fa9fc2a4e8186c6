"""The retry policies of an app's Resiliency resource, read as daprd reads them (references/dapr-contract.md §12.4;
dapr/dapr pkg/resiliency `ComponentInboundPolicy`, `EndpointPolicy`, dapr/kit retry `Config`): the inbound policy of
a pub/sub component and the outbound policies of the apps it invokes (`targets.apps.<app id>.retry`).

daprd runs each delivery of a subscribed message under the component's inbound policy: the policy named by
`targets.components.<pubsub>.inbound.retry`, else none at all (one attempt; the built-in defaults cover other
flows, not this one). A policy is `constant` (`duration` between attempts, 5s by default) or `exponential`
(`initialInterval` 500ms, multiplied by `multiplier` 1.5 per retry up to `maxInterval` 60s); `maxRetries` -1 (the
default) retries without end. `matching.httpStatusCodes` ("500-599", "429,500-503") limits which answers are
retried (pkg/resiliency/retry.go `mustRetryStatusCode`: no list means every failed answer); an answer outside it
comes back at once. A target's `timeout` (a `policies.timeouts` entry) bounds each attempt: one that runs out is
a failure, retried whatever `matching` says. The stand-in waits the mid-point of each exponential interval
(daprd's backoff adds a random +-50% to it) and caps an endless policy at `ENDLESS_CAP` retries so that a run
cannot loop for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml

from tools.standin import timeutil

__all__ = [
    "DEADLINE_EXCEEDED", "ENDLESS_CAP", "NO_REDELIVERY", "NO_RETRY", "PubSubComponent", "Redelivery", "RetryPolicy",
    "attempt", "component_metadata", "inbound_policy", "outbound_app_policies", "pubsub_component",
]  # fmt: skip

ENDLESS_CAP = 100
# What an attempt cut by a timeout policy fails with (Go's `context.DeadlineExceeded`), as daprd words it.
DEADLINE_EXCEEDED = "context deadline exceeded"

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """`max_retries` retries after the first attempt (-1: without end, capped at ENDLESS_CAP)."""

    policy: str = "constant"
    duration: float = 5.0
    initial_interval: float = 0.5
    multiplier: float = 1.5
    max_interval: float = 60.0
    max_retries: int = -1
    # `matching.httpStatusCodes` as inclusive ranges; None retries every failed answer.
    http_status_codes: tuple[tuple[int, int], ...] | None = None
    # The target's `timeout` policy, in seconds, per attempt (0: none). pkg/resiliency/policy.go `NewRunner` runs
    # each attempt under it; an attempt cut by it fails with "context deadline exceeded", which is not an HTTP
    # status, so `matching` does not apply: it is retried like any other error.
    timeout: float = 0.0

    def retries_status(self, status: int) -> bool:
        """Whether an answer with `status` (already known to be a failure) is retried."""
        codes = self.http_status_codes
        return codes is None or any(low <= status <= high for low, high in codes)

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


async def attempt(call: Awaitable[T], policy: RetryPolicy | None) -> T | None:
    """One attempt under `policy`'s `timeout` (pkg/resiliency/policy.go `NewRunner` gives each attempt a context
    with that deadline, and cancelling it cancels the app's request); None when the timeout cut it. A TimeoutError
    raised by the call itself is not the policy's: it propagates."""
    if policy is None or policy.timeout <= 0:
        return await call
    deadline = asyncio.timeout(policy.timeout)
    try:
        async with deadline:
            return await call
    except TimeoutError:
        if deadline.expired():
            return None
        raise


def _seconds(value: Any, default: float, name: str) -> float:
    """A retry setting decoded by dapr/kit config/decode.go: a bare integer is milliseconds, else a Go duration."""
    if value is None or value == "":
        return default
    parsed = timeutil.parse_milliseconds_or_go_duration(str(value))
    if parsed is None:
        raise ValueError(f"{name}: {value!r} is neither a number of milliseconds nor a Go duration")
    return parsed


def _status_ranges(patterns: Any) -> tuple[tuple[int, int], ...] | None:
    """`httpStatusCodes` as pkg/resiliency/retry.go `parsePatterns` reads it: comma-separated codes or `a-b`
    ranges within 100-599; empty means no list."""
    if patterns is None or str(patterns) == "":
        return None
    ranges = []
    for pattern in str(patterns).split(","):
        if not pattern:
            continue
        low, _, high = pattern.partition("-")
        if "-" in high:
            raise ValueError(f"invalid pattern {pattern}, more than one '-' exists")
        start, end = int(low), int(high or low)
        if not (100 <= start <= 599 and 100 <= end <= 599):
            raise ValueError(f"invalid pattern {pattern}: HTTP status codes are 100 to 599")
        ranges.append((start, end))
    return tuple(ranges)


def _policy(spec: dict[str, Any]) -> RetryPolicy:
    # mapstructure matches a key to a field name case-insensitively
    items = {str(k).lower(): v for k, v in spec.items()}
    kind = str(items.get("policy", "constant")).lower()
    if kind not in ("constant", "exponential"):
        raise ValueError(f"retry policy {kind!r}: daprd knows constant and exponential")
    return RetryPolicy(
        policy=kind,
        duration=_seconds(items.get("duration"), 5.0, "duration"),
        initial_interval=_seconds(items.get("initialinterval"), 0.5, "initialInterval"),
        multiplier=float(items.get("multiplier") or 1.5),
        max_interval=_seconds(items.get("maxinterval"), 60.0, "maxInterval"),
        max_retries=int(items.get("maxretries", -1)),
        http_status_codes=_status_ranges((items.get("matching") or {}).get("httpStatusCodes")),
    )


def _timeout(spec: dict[str, Any], name: Any) -> float:
    """The seconds of the timeout policy `name` in `spec.policies.timeouts` (pkg/resiliency/resiliency.go
    `parseDuration`: a bare number is milliseconds, else a Go duration); a name it does not define is no timeout
    (daprd's map lookup gives 0)."""
    if not name:
        return 0.0
    value = ((spec.get("policies") or {}).get("timeouts") or {}).get(str(name))
    if value is None:
        return 0.0
    parsed = timeutil.parse_milliseconds_or_go_duration(str(value))
    if parsed is None:
        raise ValueError(f"timeout policy {name!r}: invalid duration {value!r}")
    return parsed


def _named_policy(spec: dict[str, Any], names: dict[str, Any], where: str) -> RetryPolicy | None:
    """The retry and timeout policies a target names (`names`: its `retry`, `timeout`), as one RetryPolicy;
    None when it names neither."""
    retry_name, timeout = names.get("retry"), _timeout(spec, names.get("timeout"))
    if not retry_name and not timeout:
        return None
    policy = NO_RETRY
    if retry_name:
        retries = (spec.get("policies") or {}).get("retries") or {}
        if retry_name not in retries:
            raise ValueError(f"{where}: Resiliency names retry policy {retry_name!r}, which it does not define")
        policy = _policy(retries[retry_name])
    return replace(policy, timeout=timeout)


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
        found = _named_policy(spec, target.get("inbound") or {}, f"{resources}: {pubsub} inbound")
        if found is not None:
            return found
    return NO_RETRY


def outbound_app_policies(resources: Path, app_id: str) -> dict[str, RetryPolicy]:
    """The retry policy `app_id`'s sidecar applies to its invocations of each app named in
    `targets.apps` of the Resiliency resources in `resources` (pkg/resiliency `EndpointPolicy`); an app not named
    gets none (one attempt)."""
    policies: dict[str, RetryPolicy] = {}
    for document in _documents(resources):
        if document.get("kind") != "Resiliency":
            continue
        scopes = document.get("scopes")
        if scopes and app_id not in scopes:
            continue
        spec = document.get("spec") or {}
        for target, names in ((spec.get("targets") or {}).get("apps") or {}).items():
            found = _named_policy(spec, names or {}, f"{resources}: apps.{target}")
            if found is not None:
                policies.setdefault(str(target), found)
    return policies


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
class Redelivery:
    """What the pub/sub component does with a message daprd hands back with an error (its inbound retries spent,
    or no policy, and no `deadLetterTopic`: pkg/runtime/subscription/subscription.go returns the error "for
    component-level retry"), components-contrib v1.18.4:

    * pubsub.redis (pubsub/redis/redis.go `processMessage`): an error that comes back within `processingTimeout`
      is acknowledged (XACK): the message is gone. One that comes back later (the handling outlasted the timeout)
      is not: it stays pending and `reclaimPendingMessagesLoop`, every `redeliverInterval`, claims what has been
      idle for `processingTimeout` and hands it over again. Either setting 0 disables the timeout and the reclaim.
    * pubsub.kafka (common/component/kafka/consumer.go `ConsumeClaim`): with `consumeRetryEnabled` (pubsub.kafka
      defaults it to true) the message is handed over again per the `backOff*` settings (dapr/kit retry: constant
      5s, without end by default), the partition waiting behind it; once they are spent it is left unmarked and
      the next message follows. Without it the next message follows at once.
    """

    processing_timeout: float = 0.0
    redeliver_interval: float = 0.0
    backoff: RetryPolicy | None = None

    def reclaims(self, handled_for: float) -> bool:
        """Whether pubsub.redis leaves a message unacknowledged (to be reclaimed) after a handling that failed
        after `handled_for` seconds."""
        return self.processing_timeout > 0 and self.redeliver_interval > 0 and handled_for >= self.processing_timeout


NO_REDELIVERY = Redelivery()


@dataclass(frozen=True)
class PubSubComponent:
    """What the delivery pace depends on: the broker type, its `concurrency` (Redis Streams workers) and what it
    does with a message daprd gives back."""

    type: str
    concurrency: int
    redelivery: Redelivery = NO_REDELIVERY


def _redis_duration(value: Any, default: float, *, durations: bool = True) -> float:
    """common/component/redis/redis.go `ParseRedisMetadata`: a bare number is milliseconds ("legacy reasons");
    anything else is a Go duration when the settings struct decodes the field (`durations`), else ignored."""
    text = "" if value is None else str(value)
    if not text:
        return default
    if not durations and not (text.isascii() and text.isdigit()):
        return default  # redeliverInterval is `mapstructure:"-"`: only the number form is read
    parsed = timeutil.parse_milliseconds_or_go_duration(text, signed=False)
    if parsed is None:
        raise ValueError(f"processingTimeout: not a number of milliseconds nor a Go duration: {text!r}")
    return parsed


def _redis_redelivery(items: dict[str, Any]) -> Redelivery:
    """pubsub.redis: `processingTimeout` 60s, `redeliverInterval` 15s by default (common/component/redis/redis.go)."""
    return Redelivery(
        processing_timeout=_redis_duration(items.get("processingTimeout"), 60.0),
        redeliver_interval=_redis_duration(items.get("redeliverInterval"), 15.0, durations=False),
    )


def _kafka_redelivery(items: dict[str, Any]) -> Redelivery:
    """pubsub.kafka: `consumeRetryEnabled` (true unless set) and the `backOff`-prefixed dapr/kit retry settings
    (common/component/kafka/kafka.go `retry.DecodeConfigWithPrefix(..., "backOff")`)."""
    enabled = items.get("consumeRetryEnabled")
    if enabled not in (None, "") and str(enabled).lower() in ("false", "0", "f"):
        return NO_REDELIVERY
    # dapr/kit config.PrefixedBy: a case-sensitive prefix, the rest's first letter lowered
    prefix = "backOff"
    settings = {k[len(prefix)].lower() + k[len(prefix) + 1 :]: v for k, v in items.items()
                if k.startswith(prefix) and len(k) > len(prefix)}  # fmt: skip
    return Redelivery(backoff=_policy(settings))


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
        redelivery = (
            _redis_redelivery(items) if kind == "pubsub.redis"
            else _kafka_redelivery(items) if kind == "pubsub.kafka"
            else NO_REDELIVERY
        )  # fmt: skip
        return PubSubComponent(kind, int(value) if value not in (None, "") else default, redelivery)
    return None
