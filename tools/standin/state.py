"""State API handlers (references/dapr-contract.md §2, pitfalls 1, 4, 5, 6, 7, 16, 22)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.standin import gojson, query, wire
from tools.standin.core import SidecarConfig
from tools.standin.gojson import GoJSONError
from tools.standin.routing import Route, route
from tools.standin.state_store import (
    DeleteOp,
    ETagError,
    IllegalKeyError,
    MemoryStateStore,
    SetOp,
    StateStoreOptions,
    StoredItem,
    modified_key,
    original_key,
)
from tools.standin.wire import Request, Response


def _options(obj: Mapping[str, Any], struct: str) -> tuple[str, str]:
    """``SetStateOption`` has no JSON tags: ``concurrency``/``consistency`` match case-insensitively (§2.1)."""
    opts = gojson.field(obj, "options")
    if opts is None:
        return "", ""
    if not isinstance(opts, dict):
        raise GoJSONError(f"json: cannot unmarshal into Go struct field {struct}.options")
    concurrency = gojson.opt_str(opts, "concurrency", "SetStateOption") or ""
    consistency = gojson.opt_str(opts, "consistency", "SetStateOption") or ""
    return concurrency, consistency


def _decode_set(obj: Any, *, struct: str = "SetRequest") -> tuple[str, Any, str | None, dict[str, str], str]:
    """One ``state.SetRequest``: (key, value, etag, metadata, concurrency). Type errors raise GoJSONError."""
    if obj is None:
        return "", None, None, {}, ""
    if not isinstance(obj, dict):
        raise GoJSONError(f"json: cannot unmarshal {type(obj).__name__} into Go value of type state.{struct}")
    key = gojson.opt_str(obj, "key", struct) or ""
    etag = gojson.opt_str(obj, "etag", struct)
    metadata = gojson.opt_str_map(obj, "metadata", struct) or {}
    concurrency, _consistency = _options(obj, struct)
    return key, gojson.field(obj, "value"), etag, metadata, concurrency


class StateBlock:
    """State stores plus the six state endpoints."""

    def __init__(
        self,
        config: SidecarConfig,
        stores: Mapping[str, StateStoreOptions],
        instances: Mapping[str, MemoryStateStore] | None = None,
    ) -> None:
        """``instances``: existing stores to serve instead of new ones (sidecars of a mesh share one component)."""
        self.config = config
        self.stores = (
            dict(instances) if instances is not None else {n: MemoryStateStore(n, o) for n, o in stores.items()}
        )

    # -- helpers for tests -------------------------------------------------------------------------------------
    def key_for(self, store: str, key: str) -> str:
        opts = self.stores[store].options
        return modified_key(key, store, self.config.app_id, self.config.namespace, opts.key_prefix)

    def item(self, store: str, key: str) -> StoredItem | None:
        """The stored item for the *user* key (prefix applied), or None."""
        return self.stores[store].get(self.key_for(store, key))

    def routes(self) -> list[Route]:
        return [
            route(["GET"], "/v1.0/state/{storeName}/{key}", self.get, "GetState"),
            route(["POST", "PUT"], "/v1.0/state/{storeName}", self.save, "SaveState"),
            route(["DELETE"], "/v1.0/state/{storeName}/{key}", self.delete, "DeleteState"),
            route(["POST", "PUT"], "/v1.0/state/{storeName}/bulk", self.bulk_get, "GetBulkState"),
            route(["POST", "PUT"], "/v1.0/state/{storeName}/transaction", self.transaction, "Transaction"),
            route(["POST", "PUT"], "/v1.0-alpha1/state/{storeName}/query", self.query, "QueryStateAlpha1"),
        ]

    # -- errors ------------------------------------------------------------------------------------------------
    def _store(self, name: str) -> MemoryStateStore | Response:
        meta = {"appID": self.config.app_id}
        if not self.stores:
            return wire.error(
                500, "ERR_STATE_STORE_NOT_CONFIGURED", f"state store {name} is not configured",
                reason="DAPR_STATE_NOT_CONFIGURED", metadata=meta,
            )  # fmt: skip
        store = self.stores.get(name)
        if store is None:
            return wire.error(
                400, "ERR_STATE_STORE_NOT_FOUND", f"state store {name} is not found",
                reason="DAPR_STATE_NOT_FOUND", metadata=meta,
            )  # fmt: skip
        return store

    def _key(self, store: MemoryStateStore, key: str) -> str | Response:
        try:
            return modified_key(key, store.name, self.config.app_id, self.config.namespace, store.options.key_prefix)
        except IllegalKeyError as exc:
            return wire.error(400, "ERR_MALFORMED_REQUEST", str(exc), reason="DAPR_STATE_ILLEGAL_KEY")

    @staticmethod
    def _etag_status(exc: Exception) -> int:
        if isinstance(exc, ETagError):
            return 409 if exc.kind == "mismatch" else 400
        return 500

    # -- §2.1 save -----------------------------------------------------------------------------------------------
    async def save(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        try:
            raw = gojson.decode_first(req.body)
            if raw is not None and not isinstance(raw, list):
                raise GoJSONError(
                    f"json: cannot unmarshal {'object' if isinstance(raw, dict) else type(raw).__name__} "
                    "into Go value of type []state.SetRequest"
                )
            items = [_decode_set(obj) for obj in raw or []]
        except GoJSONError as exc:
            return wire.error(400, "ERR_MALFORMED_REQUEST", str(exc))
        if not items:
            return wire.empty()
        query_meta = req.metadata()
        ops: list[SetOp] = []
        for key, value, etag, metadata, concurrency in items:
            if not key:
                return wire.error(400, "ERR_MALFORMED_REQUEST", '"key" is a required field')
            full = self._key(store, key)
            if isinstance(full, Response):
                return full
            ops.append(SetOp(full, gojson.marshal(value), etag, {**metadata, **query_meta}, concurrency))
        for op in ops:
            try:
                store.set(op)
            except Exception as exc:  # ETagError / StoreError
                status = self._etag_status(exc)
                return wire.error(status, "ERR_STATE_SAVE", f"failed saving state in state store {store.name}: {exc}")
        return wire.empty()

    # -- §2.2 get ------------------------------------------------------------------------------------------------
    async def get(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        full = self._key(store, params["key"])
        if isinstance(full, Response):
            return full
        item = store.get(full)
        if item is None:
            return wire.empty()
        resp = wire.data(200, item.data)
        resp.headers.append(("etag", item.etag))
        return resp

    # -- §2.3 delete ---------------------------------------------------------------------------------------------
    async def delete(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        key = params["key"]
        full = self._key(store, key)
        if isinstance(full, Response):
            return full
        etag = req.headers.get("if-match") if req.headers.has("if-match") else None
        op = DeleteOp(full, etag, req.metadata(), req.query_first("concurrency"))
        try:
            store.delete(op)
        except Exception as exc:
            status = self._etag_status(exc)
            return wire.error(status, "ERR_STATE_DELETE", f"failed deleting state with key {key}: {exc}")
        return wire.empty()

    # -- §2.4 bulk get -------------------------------------------------------------------------------------------
    async def bulk_get(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        try:
            raw = gojson.decode_first(req.body)
            if raw is not None and not isinstance(raw, dict):
                raise GoJSONError("json: cannot unmarshal into Go value of type http.BulkGetRequest")
            raw = raw or {}
            keys = gojson.field(raw, "keys") or []
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise GoJSONError("json: cannot unmarshal into Go struct field BulkGetRequest.keys of type string")
            parallelism = gojson.field(raw, "parallelism")
            if parallelism is not None and (not isinstance(parallelism, float) or not parallelism.is_integer()):
                raise GoJSONError("json: cannot unmarshal into Go struct field BulkGetRequest.parallelism of type int")
            gojson.opt_str_map(raw, "metadata", "BulkGetRequest")
        except GoJSONError as exc:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {exc}")
        out: list[gojson.Struct] = []
        for key in keys:
            full = self._key(store, key)
            if isinstance(full, Response):
                return full
            item = store.get(full)
            entry = gojson.Struct(key=key)
            if item is not None:
                entry["data"] = gojson.Raw(item.data)
                entry["etag"] = item.etag
            out.append(entry)
        return wire.data(200, gojson.marshal_line(out))

    # -- §2.5 transaction ----------------------------------------------------------------------------------------
    async def transaction(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        if not store.options.transactional:
            return wire.error(
                500, "ERR_STATE_STORE_NOT_SUPPORTED", f"state store {store.name} doesn't support transactions",
                reason="DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED",
            )  # fmt: skip
        try:
            raw = gojson.decode_first(req.body)
            if raw is not None and not isinstance(raw, dict):
                raise GoJSONError("json: cannot unmarshal into Go value of type http.stateTransactionRequestBody")
            raw = raw or {}
            operations = gojson.field(raw, "operations") or []
            if not isinstance(operations, list):
                raise GoJSONError("json: cannot unmarshal into Go struct field .operations")
            body_meta = gojson.opt_str_map(raw, "metadata", "stateTransactionRequestBody")
        except GoJSONError as exc:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {exc}")
        if not operations:
            return wire.empty()
        query_meta = req.metadata()
        ops: list[SetOp | DeleteOp] = []
        for entry in operations:
            entry = entry if isinstance(entry, dict) else {}
            kind = gojson.field(entry, "operation")
            request = gojson.field(entry, "request")
            if kind not in ("upsert", "delete"):
                return wire.error(400, "ERR_NOT_SUPPORTED_STATE_OPERATION", f"operation type {kind} not supported")
            try:
                # mapstructure.Decode: a non-map request or a mistyped field is a decode error.
                if not isinstance(request, dict):
                    raise GoJSONError(f"'' expected a map, got '{type(request).__name__}'")
                key, value, etag, metadata, concurrency = _decode_set(request)
            except GoJSONError as exc:
                return wire.error(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {exc}")
            full = self._key(store, key)
            if isinstance(full, Response):
                return full
            merged = {**metadata, **query_meta} if body_meta is not None or query_meta else metadata
            if kind == "upsert":
                ops.append(SetOp(full, gojson.marshal(value), etag, merged, concurrency))
            else:
                ops.append(DeleteOp(full, etag, merged, concurrency))
        limit = store.options.max_multi
        if limit and len(ops) > limit:
            return wire.error(
                400, "ERR_STATE_STORE_TOO_MANY_TRANSACTIONS",
                f"the transaction contains {len(ops)} operations, which is more than what the state store "
                f"supports: {limit}",
                reason="DAPR_STATE_TOO_MANY_TRANSACTIONS",
            )  # fmt: skip
        try:
            store.multi(ops)
        except Exception as exc:
            return wire.error(500, "ERR_STATE_TRANSACTION", f"error while executing state transaction: {exc}")
        return wire.empty()

    # -- §2.6 query (alpha1) -------------------------------------------------------------------------------------
    async def query(self, req: Request, params: dict[str, str]) -> Response:
        store = self._store(params["storeName"])
        if isinstance(store, Response):
            return store
        if not store.options.answers_queries:
            return wire.error(
                500, "ERR_STATE_STORE_NOT_SUPPORTED", "state store does not support querying",
                reason="DAPR_STATE_QUERYING_NOT_SUPPORTED",
            )  # fmt: skip
        try:
            parsed = query.parse(req.body.decode("utf-8", "replace"))
        except query.QueryError as exc:
            return wire.error(
                500, "ERR_STATE_QUERY", f"failed query in state store {store.name}: {exc}",
                reason="DAPR_STATE_QUERY_FAILED",
            )  # fmt: skip
        prefix = self.key_for(store.name, "")
        rows: list[tuple[str, Any, Any]] = []
        for full, item in store.live_items():
            if not full.startswith(prefix):
                continue
            try:
                decoded = gojson.to_float64(gojson.decode_first(item.data, use_number=True))
            except GoJSONError:
                continue
            rows.append((original_key(full), decoded, item))
        page, token = query.run(parsed, rows)
        if not page:
            return wire.empty()
        results = []
        for key, _value, item in page:
            results.append(gojson.Struct(key=key, data=gojson.Raw(item.data), etag=item.etag))
        body = gojson.Struct(results=results)
        if token:
            body["token"] = token
        return wire.data(200, gojson.marshal_line(body))
