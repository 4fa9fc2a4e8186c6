"""Secrets (references/dapr-contract.md §6, pitfall 19): unknown store 401, missing secret 500, ``bulk`` before
``{key}``.

A store is a mapping of secret name to either a string (single-valued stores such as ``local.file`` with
``multiValued=false`` or ``env``) or a mapping of strings (multi-valued).
"""

from __future__ import annotations

from collections.abc import Mapping

from tools.standin import wire
from tools.standin.core import SidecarConfig
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response

SecretValue = str | Mapping[str, str]


class SecretsBlock:
    def __init__(self, config: SidecarConfig, stores: Mapping[str, Mapping[str, SecretValue]]) -> None:
        self.config = config
        self.stores = {name: dict(values) for name, values in stores.items()}

    def routes(self) -> list[Route]:
        return [
            route(["GET"], "/v1.0/secrets/{secretStoreName}/bulk", self.bulk, "GetBulkSecret"),
            route(["GET"], "/v1.0/secrets/{secretStoreName}/{key}", self.get, "GetSecret"),
        ]

    def _store(self, name: str) -> dict[str, SecretValue] | Response:
        if not self.stores:
            return wire.error(500, "ERR_SECRET_STORES_NOT_CONFIGURED", "secret store is not configured")
        store = self.stores.get(name)
        if store is None:
            return wire.error(401, "ERR_SECRET_STORE_NOT_FOUND", f"failed finding secret store with key {name}")
        return store

    @staticmethod
    def _flat(name: str, value: SecretValue) -> dict[str, str]:
        return {name: value} if isinstance(value, str) else dict(value)

    async def get(self, req: Request, params: dict[str, str]) -> Response:
        store_name, key = params["secretStoreName"], params["key"]
        store = self._store(store_name)
        if isinstance(store, Response):
            return store
        if key not in store:
            return wire.error(
                500, "ERR_SECRET_GET",
                f"failed getting secret with key {key} from secret store {store_name}: secret {key} not found",
            )  # fmt: skip
        return wire.json_line(200, self._flat(key, store[key]))

    async def bulk(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["secretStoreName"])
        if isinstance(store, Response):
            return store
        return wire.json_line(200, {name: self._flat(name, value) for name, value in store.items()})
