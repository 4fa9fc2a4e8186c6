"""Programmatic subscriptions read from the app's ``GET /dapr/subscribe`` (references/dapr-contract.md §12.1,
pitfall 13).

* Read once, like daprd at startup. 200 + JSON array = subscriptions; 404 = none; any other status = none.
* The keys are exact (``pubsubname``, ``topic``, ``route``, ``routes`` {``rules``, ``default``},
  ``deadLetterTopic``, ``metadata``, ``bulkSubscribe``), as §12.1 demands.
* A mistyped value anywhere (for example ``"metadata": {"rawPayload": true}``) fails the whole decode: *every*
  subscription is lost.
* ``routes.default`` takes precedence over ``route``; an entry without any route is dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tools.standin.mini_cel import Expr, compile_expr


class SubscriptionDecodeError(ValueError):
    """What daprd logs as "error getting topics from app"."""


@dataclass(frozen=True, slots=True)
class Rule:
    match: Expr | None
    path: str


@dataclass(frozen=True, slots=True)
class BulkSubscribe:
    enabled: bool = False
    max_messages_count: int = 0
    max_await_duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class Subscription:
    pubsubname: str
    topic: str
    rules: tuple[Rule, ...]
    dead_letter_topic: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    bulk: BulkSubscribe = BulkSubscribe()

    @property
    def raw_payload(self) -> bool:
        return self.metadata.get("rawPayload", "").lower() == "true"

    def route_for(self, event: dict[str, Any]) -> str | None:
        """The first matching rule's path (a rule without ``match`` always matches)."""
        for rule in self.rules:
            if rule.match is None or rule.match.evaluate(event):
                return rule.path
        return None


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SubscriptionDecodeError(f"json: cannot unmarshal {type(value).__name__} into field {key} of type string")
    return value


def _int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise SubscriptionDecodeError(f"json: cannot unmarshal {value!r} into field {key} of type int32")
    return value


def _obj(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SubscriptionDecodeError(f"json: cannot unmarshal {type(value).__name__} into field {key}")
    return value


def _one(item: Any) -> Subscription | None:
    if not isinstance(item, dict):
        raise SubscriptionDecodeError("json: cannot unmarshal into Go value of type SubscriptionJSON")
    metadata = _obj(item, "metadata")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise SubscriptionDecodeError(
                f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                f"SubscriptionJSON.metadata of type string (key {key!r})"
            )
    routes = _obj(item, "routes")
    raw_rules = routes.get("rules") or []
    if not isinstance(raw_rules, list):
        raise SubscriptionDecodeError("json: cannot unmarshal routes.rules")
    rules: list[Rule] = []
    for raw in raw_rules:
        if not isinstance(raw, dict):
            raise SubscriptionDecodeError("json: cannot unmarshal a routing rule")
        match = _str(raw, "match").strip()
        rules.append(Rule(compile_expr(match) if match else None, _str(raw, "path")))
    default = _str(routes, "default")
    single = _str(item, "route")
    if default:
        rules.append(Rule(None, default))
    elif single:
        rules.append(Rule(None, single))
    bulk_raw = _obj(item, "bulkSubscribe")
    enabled = bulk_raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise SubscriptionDecodeError("json: cannot unmarshal bulkSubscribe.enabled of type bool")
    bulk = BulkSubscribe(enabled, _int(bulk_raw, "maxMessagesCount"), _int(bulk_raw, "maxAwaitDurationMs"))
    sub = Subscription(
        pubsubname=_str(item, "pubsubname"),
        topic=_str(item, "topic"),
        rules=tuple(rules),
        dead_letter_topic=_str(item, "deadLetterTopic"),
        metadata={k: str(v) for k, v in metadata.items()},
        bulk=bulk,
    )
    return sub if sub.rules else None  # filterSubscriptions: no route -> removed


def parse_subscriptions(status: int, body: bytes) -> tuple[list[Subscription], str | None]:
    """``GetSubscriptionsHTTP``: the subscriptions and the error daprd would log (if any)."""
    if status == 404:
        return [], None
    if status != 200:
        return [], f"app returned http status code {status} from subscription endpoint"
    if not body.strip():
        return [], None  # io.EOF is tolerated
    try:
        raw = json.loads(body)
        if raw is None:
            return [], None
        if not isinstance(raw, list):
            raise SubscriptionDecodeError("json: cannot unmarshal into Go value of type []SubscriptionJSON")
        subs = [sub for sub in (_one(item) for item in raw) if sub is not None]
    except (json.JSONDecodeError, SubscriptionDecodeError) as exc:
        return [], f"error getting topics from app: {exc}"
    return subs, None
