"""Distributed lock, alpha1 only (references/dapr-contract.md §8, pitfall 20): ``{"success": bool}`` and a numeric
unlock status."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tools.standin import gojson, wire
from tools.standin.core import SidecarConfig
from tools.standin.gojson import GoJSONError
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response

UNLOCK_SUCCESS, LOCK_DOES_NOT_EXIST, LOCK_BELONGS_TO_OTHERS, INTERNAL_ERROR = 0, 1, 2, 3


@dataclass(slots=True)
class HeldLock:
    owner: str
    expires_at: float


def _proto_field(obj: dict[str, Any], camel: str, snake: str) -> Any:
    """protojson accepts the lowerCamel json_name and the proto field name."""
    return obj[camel] if camel in obj else obj.get(snake)


class LockBlock:
    def __init__(
        self, config: SidecarConfig, stores: Iterable[str], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self.stores: dict[str, dict[str, HeldLock]] = {name: {} for name in stores}
        self._clock = clock

    def routes(self) -> list[Route]:
        return [
            route(["POST"], "/v1.0-alpha1/lock/{storeName}", self.try_lock, "TryLock"),
            route(["POST"], "/v1.0-alpha1/unlock/{storeName}", self.unlock, "Unlock"),
        ]

    def _body(self, req: Request) -> dict[str, Any] | Response:
        if not req.body:
            return {}
        try:
            raw = gojson.decode_first(req.body)
        except GoJSONError as exc:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {exc}")
        if not isinstance(raw, dict):
            return wire.error(400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body: expected a JSON object")
        return raw

    def _validate(self, store: str, body: dict[str, Any]) -> tuple[dict[str, HeldLock], str, str] | Response:
        if not self.stores:
            return wire.error(500, "ERR_LOCK_STORE_NOT_CONFIGURED", "lock store is not configured")
        resource = _proto_field(body, "resourceId", "resource_id") or ""
        owner = _proto_field(body, "lockOwner", "lock_owner") or ""
        if not isinstance(resource, str) or not isinstance(owner, str):
            return wire.error(400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body: invalid value for string")
        if not resource:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"ResourceId is empty in lock store {store}")
        if not owner:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"LockOwner is empty in lock store {store}")
        locks = self.stores.get(store)
        if locks is None:
            return wire.error(400, "ERR_LOCK_STORE_NOT_FOUND", f"lock store {store} not found")
        return locks, resource, owner

    async def try_lock(self, req: Request, params: dict[str, str]) -> Response:
        store = params["storeName"]
        body = self._body(req)
        if isinstance(body, Response):
            return body
        expiry = _proto_field(body, "expiryInSeconds", "expiry_in_seconds") or 0
        if not isinstance(expiry, int | float) or isinstance(expiry, bool) or expiry <= 0:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"ExpiryInSeconds is not positive in lock store {store}")
        valid = self._validate(store, body)
        if isinstance(valid, Response):
            return valid
        locks, resource, owner = valid
        held = locks.get(resource)
        now = self._clock()
        if held is not None and held.expires_at > now:
            return wire.proto_json(200, {"success": False})
        locks[resource] = HeldLock(owner, now + float(expiry))
        return wire.proto_json(200, {"success": True})

    async def unlock(self, req: Request, params: dict[str, str]) -> Response:
        body = self._body(req)
        if isinstance(body, Response):
            return body
        valid = self._validate(params["storeName"], body)
        if isinstance(valid, Response):
            return valid
        locks, resource, owner = valid
        held = locks.get(resource)
        if held is None or held.expires_at <= self._clock():
            locks.pop(resource, None)
            return wire.proto_json(200, {"status": LOCK_DOES_NOT_EXIST})
        if held.owner != owner:
            return wire.proto_json(200, {"status": LOCK_BELONGS_TO_OTHERS})
        del locks[resource]
        return wire.proto_json(200, {"status": UNLOCK_SUCCESS})
