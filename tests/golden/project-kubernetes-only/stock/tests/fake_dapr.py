"""An in-memory Dapr sidecar for tests: no daprd, no network, no containers.

`FakeDapr` answers the part of the Dapr sidecar HTTP API
(https://docs.dapr.io/reference/api/) that this service's client uses, with daprd's
status codes, bodies and headers, through an `httpx.MockTransport`::

    from app.dapr_client import DaprClient, DaprSettings

    fake = FakeDapr()
    settings = DaprSettings(http_endpoint=fake.base_url)
    async with (
        httpx.AsyncClient(transport=fake.transport) as http,
        DaprClient(settings, http_client=http) as dapr,
    ):
        await dapr.wait_for_sidecar()
        await dapr.save_state("statestore", "order-1", {"total": 3})
        assert fake.state["statestore"]["order-1"].value == {"total": 3}

Answered (daprd 1.16 and newer; the alpha and the stable routes both work):

- health (`/v1.0/healthz`, `/v1.0/healthz/outbound`; `healthy = False` fails them) and
  shutdown
- state: get, bulk get, save, delete, transactions and queries, with ETags
- secrets: read from `secrets`

Where daprd's behaviour depends on the component, the fake behaves like the components
`dapr init` sets up (Redis). Any component name works unless the constructor lists
the names, and then others fail as daprd fails them.
State: ETags are numbers counting writes from "1"; an ETag given for a missing key is
accepted; first-write concurrency makes later ETag-less writes of that key fail with
409; every store is transactional and queryable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_plus

import httpx

JSONValue = Any
"""Parsed JSON (dict, list, str, int, float, bool or None)."""
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]
"""An ASGI application, such as a FastAPI or Starlette instance."""

_JSON = "application/json"
# Where calls to an app appear to go (the app never sees the network).
_APP_URL = "http://127.0.0.1:8000"
# Connection headers daprd does not forward to or from an invoked app.
_HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
# Dapr APIs this render does not answer: 501, rather than daprd's 404 for unknown
# routes, so a test says what is missing.
_UNANSWERED = frozenset(
    {
        "bindings",
        "configuration",
        "invoke",
        "jobs",
        "lock",
        "metadata",
        "publish",
        "unlock",
        "workflows",
    }
)


def _json_bytes(value: object) -> bytes:
    """Compact JSON, as daprd's Go encoder writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _loads(body: bytes) -> JSONValue:
    """A request body as JSON, None when empty; ValueError when it is not JSON."""
    return json.loads(body) if body.strip() else None


def _error(status: int, code: str, message: str) -> httpx.Response:
    """daprd's error body, `{"errorCode", "message"}` (dapr/dapr pkg/messages)."""
    return httpx.Response(status, json={"errorCode": code, "message": message})


def _malformed(message: str) -> httpx.Response:
    return _error(400, "ERR_MALFORMED_REQUEST", message)


def _empty() -> httpx.Response:
    """204 without a body or content type, daprd's answer to calls returning nothing."""
    return httpx.Response(204)


def _string_map(value: object) -> dict[str, str] | None:
    """A JSON object of strings ({} for null), or None for anything else."""
    if value is None:
        return {}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    return None


@dataclass(frozen=True, slots=True)
class _Call:
    """One request to the fake sidecar."""

    method: str
    segments: tuple[str, ...]  # the path's segments, still percent-encoded
    query: tuple[tuple[str, str], ...]
    headers: httpx.Headers
    body: bytes

    @property
    def query_string(self) -> str:
        return "&".join(f"{quote(k)}={quote(v)}" for k, v in self.query)

    def metadata(self) -> dict[str, str]:
        """`metadata.<key>` query parameters, prefix dropped, first value kept."""
        found: dict[str, str] = {}
        for name, value in self.query:
            if name.startswith("metadata."):
                found.setdefault(name[len("metadata.") :], value)
        return found


def _param(segment: str) -> str:
    """A path parameter as daprd reads it (Go's url.QueryUnescape: '+' is a space)."""
    return unquote_plus(segment)


# -- State ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredState:
    """One state key as the fake keeps it: the JSON daprd would store, and its ETag."""

    data: bytes
    etag: str
    # Saved with first-write concurrency: an ETag-less write of it then fails (Redis).
    first_write: bool = False
    expires_at: float | None = None  # time.monotonic() deadline from ttlInSeconds

    @property
    def value(self) -> JSONValue:
        """The stored value, parsed."""
        return json.loads(self.data)


class _StateError(Exception):
    """A refused write: `status` 409 for an ETag mismatch, 400 for a malformed ETag."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class _Write:
    key: str
    data: bytes | None  # None: a delete
    etag: str | None
    metadata: dict[str, str]
    concurrency: str


def _decode_write(raw: object, *, delete: bool = False) -> _Write:
    """One item of a save or transaction body (a `state.SetRequest`)."""
    if not isinstance(raw, dict):
        raise ValueError("a state request must be a JSON object")
    key, etag = raw.get("key"), raw.get("etag")
    metadata = _string_map(raw.get("metadata"))
    options = raw.get("options") or {}
    if not isinstance(key, str) or not key:
        raise ValueError('"key" is a required field')
    if etag is not None and not isinstance(etag, str):
        raise ValueError("etag must be a JSON string")
    if metadata is None or not isinstance(options, dict):
        raise ValueError("metadata values must be strings")
    # SetStateOption has no JSON tags: Go matches its field names in any case.
    lowered = {str(k).lower(): v for k, v in options.items()}
    concurrency = lowered.get("concurrency") or ""
    if not isinstance(concurrency, str):
        raise ValueError("options.concurrency must be a string")
    data = None if delete else _json_bytes(raw.get("value"))
    return _Write(key, data, etag, metadata, concurrency)


def _check_key(key: str) -> None:
    # daprd stores keys as `<app-id>||<key>`, so it refuses the separator.
    if "||" in key:
        raise ValueError(f"input key/keyPrefix '{key}' can't contain '||'")


_MISSING = object()


def _lookup(value: JSONValue, path: str) -> object:
    """A dotted path into a JSON value (a leading `value.` allowed), or _MISSING."""
    current = value
    for part in path.removeprefix("value.").split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _matches(query_filter: object, value: JSONValue) -> bool:
    """The state query language's filter (EQ, NEQ, GT, GTE, LT, LTE, IN, AND, OR)."""
    if query_filter is None:
        return True
    if not isinstance(query_filter, dict) or len(query_filter) != 1:
        raise ValueError("a filter is an object with exactly one operation")
    ((operation, argument),) = query_filter.items()
    if operation in ("AND", "OR"):
        if not isinstance(argument, list) or not argument:
            raise ValueError(f"{operation} needs a non-empty list of filters")
        found = [_matches(part, value) for part in argument]
        return all(found) if operation == "AND" else any(found)
    if not isinstance(argument, dict) or len(argument) != 1:
        raise ValueError(f"unsupported filter {operation!r}")
    ((path, expected),) = argument.items()
    actual = _lookup(value, path)
    if operation == "NEQ":
        return actual is _MISSING or actual != expected
    if actual is _MISSING:
        return False
    if operation == "EQ":
        return bool(actual == expected)
    if operation == "IN":
        return isinstance(expected, list) and actual in expected
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "GT": lambda a, b: bool(a > b),
        "GTE": lambda a, b: bool(a >= b),
        "LT": lambda a, b: bool(a < b),
        "LTE": lambda a, b: bool(a <= b),
    }
    if operation not in comparisons:
        raise ValueError(f"unsupported filter {operation!r}")
    try:
        return comparisons[operation](actual, expected)
    except TypeError:
        return False


def _sort_key(value: JSONValue, path: str) -> tuple[int, float, str]:
    """Numbers before strings before other values; missing fields last."""
    found = _lookup(value, path)
    if found is _MISSING:
        return (3, 0.0, "")
    if isinstance(found, int | float) and not isinstance(found, bool):
        return (0, float(found), "")
    if isinstance(found, str):
        return (1, 0.0, found)
    return (2, 0.0, json.dumps(found, sort_keys=True))


SecretValue = str | Mapping[str, str]
"""A secret: one value, or several keys (multi-valued stores)."""


# -- The sidecar ----------------------------------------------------------------------


class FakeDapr:
    """An in-memory Dapr sidecar, as an httpx transport.

    Give a client `httpx.AsyncClient(transport=fake.transport)` and
    `DaprSettings(http_endpoint=fake.base_url)`, or use `fake.http_client()`. Set
    `fake.app` to the app under test. What went through the sidecar stays here for
    assertions:

    - `requests`: every request the client sent;
    - `state[store][key]`: a StoredState (`value`, `etag`);
    """

    base_url = "http://127.0.0.1:3500"

    def __init__(
        self,
        *,
        app_id: str = "app",
        app: ASGIApp | None = None,
        app_api_token: str | None = None,
        api_token: str | None = None,
        state_stores: Iterable[str] | None = None,
        secret_stores: Mapping[str, Mapping[str, SecretValue]] | None = None,
        raise_app_exceptions: bool = True,
    ) -> None:
        """`app_id` is the id of the app this sidecar serves (`app`).

        `app_api_token` is sent to the app as `dapr-api-token`; with `api_token` every
        call but health checks must carry it (else 401, as daprd with DAPR_API_TOKEN).
        Component names given here are the only ones that exist; None accepts any
        name. An exception in the app propagates to the test unless
        `raise_app_exceptions` is False (then the app's 500 comes back).
        """
        self.app_id = app_id
        self.app = app
        self.app_api_token = app_api_token
        self.api_token = api_token
        self.raise_app_exceptions = raise_app_exceptions
        self.healthy = True
        self.shutdown_requested = False
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)
        self.state: dict[str, dict[str, StoredState]] = {
            name: {} for name in state_stores or ()
        }
        self._any_state_store = state_stores is None
        self.secrets: dict[str, dict[str, SecretValue]] = {
            name: dict(values) for name, values in (secret_stores or {}).items()
        }

    def http_client(self) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` for the client's `http_client`, already aimed at
        `base_url` (close it, or use it in `async with`)."""
        return httpx.AsyncClient(transport=self.transport, base_url=self.base_url)

    # -- routing ----------------------------------------------------------------------

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = await request.aread()
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        call = _Call(
            request.method.upper(),
            tuple(segment for segment in path.split("/") if segment),
            tuple(parse_qsl(query, keep_blank_values=True)),
            request.headers,
            body,
        )
        health = call.segments in (("v1.0", "healthz"), ("v1.0", "healthz", "outbound"))
        token = request.headers.get("dapr-api-token")
        if self.api_token is not None and token != self.api_token and not health:
            # daprd's token middleware answers in plain text, not JSON.
            return httpx.Response(401, text="invalid api token")
        return await self._route(call)

    async def _route(self, call: _Call) -> httpx.Response:
        """daprd's routes (dapr/dapr pkg/api/http), matched on the encoded path."""
        match (call.method, call.segments):
            case ("GET", ("v1.0", "healthz")):
                return self._health("ERR_HEALTH_NOT_READY")
            case ("GET", ("v1.0", "healthz", "outbound")):
                return self._health("ERR_OUTBOUND_HEALTH_NOT_READY")
            case ("POST", ("v1.0", "shutdown")):
                self.shutdown_requested = True
                return _empty()
            case ("POST" | "PUT", ("v1.0", "state", store)):
                return self._save_state(call, _param(store))
            case ("POST" | "PUT", ("v1.0", "state", store, "bulk")):
                return self._bulk_get_state(call, _param(store))
            case ("POST" | "PUT", ("v1.0", "state", store, "transaction")):
                return self._state_transaction(call, _param(store))
            case ("GET", ("v1.0", "state", store, key)):
                return self._get_state(_param(store), _param(key))
            case ("DELETE", ("v1.0", "state", store, key)):
                return self._delete_state(call, _param(store), _param(key))
            case ("POST" | "PUT", ("v1.0-alpha1", "state", store, "query")):
                return self._query_state(call, _param(store))
            case ("GET", ("v1.0", "secrets", store, "bulk")):
                return self._bulk_secrets(_param(store))
            case ("GET", ("v1.0", "secrets", store, key)):
                return self._secret(_param(store), _param(key))
            case (_, (_, api, *_)) if api in _UNANSWERED:
                return _error(
                    501,
                    "ERR_NOT_IMPLEMENTED_BY_FAKE",
                    f"FakeDapr does not implement the {api} API; test this with a "
                    "real Dapr sidecar",
                )
        # daprd sends unknown routes to service invocation, which lacks an app id.
        return _error(
            404,
            "ERR_DIRECT_INVOKE",
            "failed getting app id either from the URL path or the header dapr-app-id",
        )

    def _health(self, code: str) -> httpx.Response:
        if self.healthy:
            return _empty()
        return _error(500, code, "dapr is not ready")

    # -- the app channel --------------------------------------------------------------

    async def _call_app(
        self,
        app: ASGIApp | None,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        content: bytes = b"",
    ) -> httpx.Response:
        """One call to an app, as daprd makes it: the app token added when set."""
        if app is None:
            raise RuntimeError("set `fake.app` to the app under test first")
        sent = [(k, v) for k, v in headers if k.lower() != "dapr-api-token"]
        if self.app_api_token is not None:
            sent.append(("dapr-api-token", self.app_api_token))
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=self.raise_app_exceptions
        )
        async with httpx.AsyncClient(transport=transport, base_url=_APP_URL) as client:
            request = client.build_request(
                method, target, headers=sent, content=content
            )
            return await client.send(request)

    # -- state (https://docs.dapr.io/reference/api/state_api/) -----------------------

    def _store(self, name: str) -> dict[str, StoredState] | httpx.Response:
        if name not in self.state and self._any_state_store:
            self.state[name] = {}
        store = self.state.get(name)
        if store is None:
            return _error(
                400, "ERR_STATE_STORE_NOT_FOUND", f"state store {name} is not found"
            )
        return store

    @staticmethod
    def _live(store: dict[str, StoredState], key: str) -> StoredState | None:
        """The key's item, unless its ttlInSeconds ran out (then it is gone)."""
        item = store.get(key)
        now = time.monotonic()
        if item is None or item.expires_at is None or item.expires_at > now:
            return item
        del store[key]
        return None

    def _apply(self, store: dict[str, StoredState], write: _Write) -> None:
        """One write or delete, checked as state.redis checks it; _StateError if
        refused."""
        current = self._live(store, write.key)
        etag = write.etag if write.concurrency != "last-write" else None
        if etag and not etag.lstrip("-").isdigit():
            raise _StateError(400, f'strconv.Atoi: parsing "{etag}": invalid syntax')
        if write.data is None:
            if etag and current is not None and current.etag != etag:
                raise _StateError(409, f"failed to delete {write.key}")
            store.pop(write.key, None)
            return
        stale = etag and current is not None and current.etag != etag
        first_write = not etag and current is not None and current.first_write
        if stale or (first_write and write.concurrency != "last-write"):
            raise _StateError(409, f"failed to set key {write.key}")
        ttl = write.metadata.get("ttlInSeconds")
        if ttl is not None and not ttl.lstrip("-").isdigit():
            message = f"incorrect value for metadata 'ttlInSeconds': {ttl}"
            raise _StateError(500, message)
        version = int(current.etag) + 1 if current is not None else 1
        expires = None
        if ttl is not None and int(ttl) >= 0:
            expires = time.monotonic() + int(ttl)
        first = write.concurrency == "first-write"
        store[write.key] = StoredState(write.data, str(version), first, expires)

    def _save_state(self, call: _Call, store_name: str) -> httpx.Response:
        store = self._store(store_name)
        if isinstance(store, httpx.Response):
            return store
        try:
            body = _loads(call.body)
            if body is not None and not isinstance(body, list):
                raise ValueError("the body must be a JSON array of state requests")
            writes = [_decode_write(item) for item in body or []]
            for write in writes:
                _check_key(write.key)
        except ValueError as exc:
            return _malformed(str(exc))
        query_metadata = call.metadata()
        for write in writes:
            write.metadata.update(query_metadata)
            try:
                self._apply(store, write)
            except _StateError as exc:
                return _error(
                    exc.status,
                    "ERR_STATE_SAVE",
                    f"failed saving state in state store {store_name}: {exc}",
                )
        return _empty()

    def _get_state(self, store_name: str, key: str) -> httpx.Response:
        store = self._store(store_name)
        if isinstance(store, httpx.Response):
            return store
        item = self._live(store, key)
        if item is None:
            return _empty()  # a missing key is 204, not 404
        headers = {"content-type": _JSON, "etag": item.etag}
        return httpx.Response(200, headers=headers, content=item.data)

    def _delete_state(self, call: _Call, store_name: str, key: str) -> httpx.Response:
        store = self._store(store_name)
        if isinstance(store, httpx.Response):
            return store
        concurrency = next((v for k, v in call.query if k == "concurrency"), "")
        write = _Write(key, None, call.headers.get("if-match"), {}, concurrency)
        try:
            self._apply(store, write)
        except _StateError as exc:
            message = f"failed deleting state with key {key}: {exc}"
            return _error(exc.status, "ERR_STATE_DELETE", message)
        return _empty()

    def _bulk_get_state(self, call: _Call, store_name: str) -> httpx.Response:
        store = self._store(store_name)
        if isinstance(store, httpx.Response):
            return store
        try:
            body = _loads(call.body) or {}
            keys = body.get("keys") if isinstance(body, dict) else None
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise ValueError("keys must be a list of strings")
        except ValueError as exc:
            return _malformed(f"failed deserializing HTTP body: {exc}")
        items: list[dict[str, JSONValue]] = []
        for key in keys:
            item = self._live(store, key)
            # The value is `data`; a missing key has neither data nor ETag.
            found: dict[str, JSONValue] = {"key": key}
            if item is not None:
                found |= {"data": item.value, "etag": item.etag}
            items.append(found)
        return httpx.Response(200, json=items)

    def _state_transaction(self, call: _Call, store_name: str) -> httpx.Response:
        store = self._store(store_name)
        if isinstance(store, httpx.Response):
            return store
        try:
            body = _loads(call.body) or {}
            operations = body.get("operations") if isinstance(body, dict) else None
            if not isinstance(operations, list):
                raise ValueError("operations must be a list")
            writes: list[_Write] = []
            for entry in operations:
                kind = entry.get("operation") if isinstance(entry, dict) else None
                if kind not in ("upsert", "delete"):
                    return _error(
                        400,
                        "ERR_NOT_SUPPORTED_STATE_OPERATION",
                        f"operation type {kind} not supported",
                    )
                request = entry.get("request")
                writes.append(_decode_write(request, delete=kind == "delete"))
            for write in writes:
                _check_key(write.key)
        except ValueError as exc:
            return _malformed(f"failed deserializing HTTP body: {exc}")
        query_metadata = call.metadata()
        snapshot = dict(store)  # items are immutable: a shallow copy restores it
        try:
            for write in writes:
                write.metadata.update(query_metadata)
                self._apply(store, write)
        except _StateError as exc:
            store.clear()
            store.update(snapshot)
            # Inside a transaction every failure, an ETag mismatch too, is a 500.
            return _error(
                500,
                "ERR_STATE_TRANSACTION",
                f"error while executing state transaction: {exc}",
            )
        return _empty()

    def _query_state(self, call: _Call, store_name: str) -> httpx.Response:
        """The alpha state query API: filter, sort, and pages whose token is the
        offset of the next one."""
        store = self._store(store_name)
        if isinstance(store, httpx.Response):
            return store
        try:
            query = json.loads(call.body)
            if not isinstance(query, dict):
                raise ValueError("the query must be a JSON object")
            items = {
                key: item
                for key in sorted(store)
                if (item := self._live(store, key)) is not None
                and _matches(query.get("filter"), item.value)
            }
            keys = list(items)
            for order in reversed(query.get("sort") or []):
                path = str(order["key"])
                ranks = {key: _sort_key(items[key].value, path) for key in keys}
                descending = str(order.get("order", "ASC")).upper() == "DESC"
                keys.sort(key=ranks.__getitem__, reverse=descending)
            page = query.get("page") or {}
            limit, token = int(page.get("limit", 0)), int(page.get("token") or 0)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            message = f"failed query in state store {store_name}: {exc}"
            return _error(500, "ERR_STATE_QUERY", message)
        end = token + limit if limit else len(keys)
        if not keys[token:end]:
            return _empty()  # nothing matches: 204
        results = [
            {"key": key, "data": items[key].value, "etag": items[key].etag}
            for key in keys[token:end]
        ]
        answer: dict[str, JSONValue] = {"results": results}
        if limit and end < len(keys):
            answer["token"] = str(end)
        return httpx.Response(200, json=answer)

    def put_state(self, store_name: str, key: str, value: JSONValue) -> str:
        """Seed a value as a last-write save would, without a client; its ETag."""
        store = self.state.setdefault(store_name, {})
        self._apply(store, _Write(key, _json_bytes(value), None, {}, "last-write"))
        return store[key].etag

    # -- secrets (https://docs.dapr.io/reference/api/secrets_api/) -------------------

    def _secret_store(self, name: str) -> dict[str, SecretValue] | httpx.Response:
        if not self.secrets:
            message = "secret store is not configured"
            return _error(500, "ERR_SECRET_STORES_NOT_CONFIGURED", message)
        store = self.secrets.get(name)
        if store is None:
            # 401, not 404: daprd's status for an unknown secret store.
            message = f"failed finding secret store with key {name}"
            return _error(401, "ERR_SECRET_STORE_NOT_FOUND", message)
        return store

    def _secret(self, store_name: str, key: str) -> httpx.Response:
        store = self._secret_store(store_name)
        if isinstance(store, httpx.Response):
            return store
        if key not in store:
            # 500, not 404: what daprd answers with the local file store.
            message = (
                f"failed getting secret with key {key} from secret store "
                f"{store_name}: secret {key} not found"
            )
            return _error(500, "ERR_SECRET_GET", message)
        return httpx.Response(200, json=_secret_map(key, store[key]))

    def _bulk_secrets(self, store_name: str) -> httpx.Response:
        store = self._secret_store(store_name)
        if isinstance(store, httpx.Response):
            return store
        found = {name: _secret_map(name, value) for name, value in store.items()}
        return httpx.Response(200, json=found)


def _secret_map(name: str, value: SecretValue) -> dict[str, str]:
    """A secret as the API answers it: `{name: value}`, or the multi-valued map."""
    return {name: value} if isinstance(value, str) else dict(value)
