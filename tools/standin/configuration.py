"""Configuration API (references/dapr-contract.md §7, §12.9, pitfall 18): GET everywhere, 204 when empty,
``items`` is a map."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.standin import gojson, wire
from tools.standin.core import AppChannel, AppResponse, SidecarConfig
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response


@dataclass(slots=True)
class ConfigSubscription:
    id: str
    store: str
    keys: list[str]
    active: bool = True


def _item(raw: Mapping[str, Any] | str) -> gojson.Struct:
    """``configuration.Item``: ``value``, ``version``, ``metadata``, each omitted when empty."""
    if isinstance(raw, str):
        raw = {"value": raw}
    out = gojson.Struct()
    for name in ("value", "version"):
        if raw.get(name):
            out[name] = str(raw[name])
    if raw.get("metadata"):
        out["metadata"] = dict(raw["metadata"])
    return out


class ConfigurationBlock:
    def __init__(
        self, config: SidecarConfig, stores: Mapping[str, Mapping[str, Mapping[str, Any] | str]], channel: AppChannel
    ) -> None:
        self.config = config
        self.stores: dict[str, dict[str, Mapping[str, Any] | str]] = {n: dict(v) for n, v in stores.items()}
        self.channel = channel
        self.subscriptions: dict[str, ConfigSubscription] = {}

    def routes(self) -> list[Route]:
        out: list[Route] = []
        for version in ("v1.0", "v1.0-alpha1"):
            out += [
                route(["GET"], f"/{version}/configuration/{{storeName}}", self.get, "GetConfiguration"),
                route(["GET"], f"/{version}/configuration/{{storeName}}/subscribe", self.subscribe, "Subscribe"),
                route(
                    ["GET"],
                    f"/{version}/configuration/{{storeName}}/{{configurationSubscribeID}}/unsubscribe",
                    self.unsubscribe,
                    "Unsubscribe",
                ),
            ]
        return out

    def _store(self, name: str) -> dict[str, Mapping[str, Any] | str] | Response:
        if not self.stores:
            return wire.error(500, "ERR_CONFIGURATION_STORE_NOT_CONFIGURED", "configuration stores not configured")
        store = self.stores.get(name)
        if store is None:
            return wire.error(400, "ERR_CONFIGURATION_STORE_NOT_FOUND", f"configuration store {name} not found")
        return store

    async def get(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        keys = req.query.get("key", [])
        items = {k: _item(v) for k, v in store.items() if not keys or k in keys}
        if not items:
            return wire.empty()
        return wire.json_line(200, items)

    async def subscribe(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        if not self.channel.has_app:
            return wire.error(
                500, "ERR_APP_CHANNEL_NIL", "app channel is not initialized. cannot subscribe to configuration updates"
            )
        sub = ConfigSubscription(str(uuid.uuid4()), params["storeName"], req.query.get("key", []))
        self.subscriptions[sub.id] = sub
        return wire.json_line(200, {"id": sub.id})

    async def unsubscribe(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        sub_id = params["configurationSubscribeID"]
        sub = self.subscriptions.get(sub_id)
        if sub is None or not sub.active:
            message = f"failed to unsubscribe to configuration request {sub_id}: subscription {sub_id} does not exist"
            return wire.json_line(500, gojson.Struct(ok=False, message=message))
        sub.active = False
        return wire.json_line(200, {"ok": True})

    async def update(self, store: str, changes: Mapping[str, Mapping[str, Any] | str]) -> list[AppResponse]:
        """Change items and notify subscribers (§12.9): ``POST /configuration/{store}/{key}`` per changed key,
        each body carrying the whole update event ``{"id", "items": {key: item, ...}}``."""
        self.stores.setdefault(store, {}).update(changes)
        answers: list[AppResponse] = []
        for sub in list(self.subscriptions.values()):
            if not sub.active or sub.store != store:
                continue
            changed = {k: _item(v) for k, v in changes.items() if not sub.keys or k in sub.keys}
            body = gojson.marshal_line(gojson.Struct(id=sub.id, items=changed))
            for key in changed:
                answers.append(
                    await self.channel.call(
                        "POST", f"/configuration/{store}/{key}", [("content-type", "application/json")], body
                    )
                )
        return answers
