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
`dapr init` sets up (Redis), and its state stores like `state_store_type`.
Any component name works unless the constructor lists the names, and then others fail
as daprd fails them.

State, as daprd 1.18 answers it with each store (components-contrib 1.18):

- "redis" (state.redis): ETags count a key's writes from "1"; an ETag for a missing
  key is accepted; a key once saved with first-write concurrency takes only writes
  with its current ETag from then on: any other is 409 with an ETag, 500
  ERR_STATE_SAVE without one (last-write included). A transaction is not rolled back:
  a refused operation makes it 500 while the others stay applied.
- "postgresql-v1", "postgresql-v2" (state.postgresql): ETags are transaction ids (v1)
  or UUIDs (v2); an ETag for a missing or changed key is 409; a first-write save of a
  live key without an ETag is 500 "no item was updated"; transactions are atomic.
- "in-memory" (state.in-memory): UUID ETags; a first-write save or delete of an
  existing key without an ETag is 409, an ETag for a missing key 409.

A failure inside a transaction is 500 ERR_STATE_TRANSACTION on every store.
`advance(seconds)` moves the clock that ttlInSeconds are read against.

What it does not model: PostgreSQL's expired rows that are not yet deleted, Redis
with RedisJSON (`contentType: application/json`), the component-wide ttlInSeconds,
state encryption, actor state, the transactional outbox, and stores whose reads can
lag their writes. Redis answers the query API here as Redis with RedisJSON does
(daprd with plain Redis answers 500 ERR_STATE_QUERY); PostgreSQL v2 and in-memory
answer 500 ERR_STATE_STORE_NOT_SUPPORTED, as in daprd.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal
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
    # Saved with first-write concurrency on Redis: then only its ETag may change it.
    first_write: bool = False
    expires_at: float | None = None  # deadline on the fake's clock, from ttlInSeconds

    @property
    def value(self) -> JSONValue:
        """The stored value, parsed."""
        return json.loads(self.data)


StateStoreType = Literal[
    "redis",
    "postgresql-v1",
    "postgresql-v2",
    "in-memory",
]
"""The state store component a FakeDapr's stores behave like (components-contrib 1.18):
state.redis, state.postgresql v1 or v2, state.in-memory."""
STATE_STORE_TYPES: tuple[StateStoreType, ...] = (
    "redis",
    "postgresql-v1",
    "postgresql-v2",
    "in-memory",
)


class _StateError(Exception):
    """A refused write: `status` 409 for an ETag error (state.ETagError ETagMismatch),
    400 for a malformed ETag (ETagInvalid), 500 for any other store error."""

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


def _invalid_etag(parser: str, etag: str) -> _StateError:
    """state.ETagError ETagInvalid: 400."""
    return _StateError(400, f'{parser}: parsing "{etag}": invalid syntax')


def _etag_mismatch(detail: str) -> _StateError:
    return _StateError(409, f"possible etag mismatch. error from state store: {detail}")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _check_set(
    kind: StateStoreType, current: StoredState | None, write: _Write, etag: str | None
) -> None:
    """Refuse a save as the component refuses it (`etag`: the write's non-empty one)."""
    key = write.key
    if kind == "redis":
        # state/redis/redis.go parseETag and the setDefaultQuery script: the version
        # compared is 0 for last-write or no ETag; a key once saved with first-write
        # (its `first-write` field) takes only its current version, other keys take 0.
        version = "0"
        if etag and write.concurrency != "last-write":
            if not etag.lstrip("-").isdigit():
                raise _invalid_etag("strconv.Atoi", etag)
            version = str(int(etag))
        if current is None or current.etag == version:
            return
        if not current.first_write and version == "0":
            return
        if etag:
            raise _etag_mismatch(f"failed to set key {key}")
        raise _StateError(500, f"failed to set key {key}: failed to set key {key}")
    if kind == "in-memory":
        # state/in-memory/in_memory.go doValidateEtag
        if write.concurrency == "first-write" and not etag:
            if current is not None:
                raise _etag_mismatch("item already exists and no etag was passed")
        elif etag and current is None:
            raise _etag_mismatch(f"state not exist or expired for key={key}")
        elif etag and current is not None and current.etag != etag:
            raise _etag_mismatch(f"state etag not match for key={key}")
        return
    # state/postgresql v1 and v2 doSet: an ETag makes it an UPDATE of that row version;
    # first-write without one an INSERT that leaves a live row alone ("no item was
    # updated"); last-write an upsert.
    if etag:
        if kind == "postgresql-v1" and not (etag.isdigit() and int(etag) < 2**32):
            raise _invalid_etag("strconv.ParseUint", etag)
        if kind == "postgresql-v2" and not _is_uuid(etag):
            raise _etag_mismatch(f"invalid UUID length: {len(etag)}")
        if current is None or current.etag != etag:
            raise _etag_mismatch("<nil>")
    elif write.concurrency == "first-write" and current is not None:
        raise _StateError(500, "no item was updated")


def _check_delete(
    kind: StateStoreType, current: StoredState | None, write: _Write, etag: str | None
) -> None:
    """Refuse a delete as the component refuses it (each one's Delete/doDelete)."""
    key = write.key
    if kind == "redis":
        # delDefaultQuery: missing key or no ETag: deleted; else the version must match.
        if etag and current is not None and current.etag != etag:
            raise _etag_mismatch(f"failed to delete {key}")
    elif kind == "in-memory":
        if write.concurrency == "first-write" and not etag and current is not None:
            raise _etag_mismatch("item already exists and no etag was passed")
        if etag and (current is None or current.etag != etag):
            raise _etag_mismatch(f"state etag not match for key={key}")
    elif etag:
        if kind == "postgresql-v1" and not (etag.isdigit() and int(etag) < 2**32):
            raise _invalid_etag("strconv.ParseUint", etag)
        if current is None or current.etag != etag:
            raise _etag_mismatch("<nil>")


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
        state_store_type: StateStoreType = "postgresql-v1",
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
        if state_store_type not in STATE_STORE_TYPES:
            known = ", ".join(STATE_STORE_TYPES)
            message = f"state_store_type {state_store_type!r} is not one of {known}"
            raise ValueError(message)
        self.state_store_type: StateStoreType = state_store_type
        self._clock_offset = 0.0  # advance() moves the clock TTLs are read against
        # PostgreSQL v1's last transaction id (its ETags): never 1 or 2 (the first
        # normal xid is 3, and a new cluster has used hundreds): no test expects "1".
        self._xid = 730
        self.secrets: dict[str, dict[str, SecretValue]] = {
            name: dict(values) for name, values in (secret_stores or {}).items()
        }

    def http_client(self) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` for the client's `http_client`, already aimed at
        `base_url` (close it, or use it in `async with`)."""
        return httpx.AsyncClient(transport=self.transport, base_url=self.base_url)

    # -- routing ----------------------------------------------------------------------

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        # A call to daprd is a round trip: let other tasks run meanwhile, as they do
        # over the network, so that concurrent callers interleave as they would.
        await asyncio.sleep(0)
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

    def _now(self) -> float:
        return time.monotonic() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on, so that ttlInSeconds run out without waiting."""
        self._clock_offset += seconds

    def _live(self, store: dict[str, StoredState], key: str) -> StoredState | None:
        """The key's item, unless its ttlInSeconds ran out (then it is gone)."""
        item = store.get(key)
        if item is None or item.expires_at is None or item.expires_at > self._now():
            return item
        del store[key]
        return None

    def _next_etag(self, current: StoredState | None) -> str:
        """Redis counts a key's versions from 1, PostgreSQL v1 uses the row's xmin (a
        transaction id), v2 and the in-memory store a random UUID."""
        if self.state_store_type == "redis":
            return str(int(current.etag) + 1) if current is not None else "1"
        if self.state_store_type == "postgresql-v1":
            self._xid += 1
            return str(self._xid)
        return str(uuid.uuid4())

    def _apply(
        self, store: dict[str, StoredState], write: _Write, *, transaction: bool = False
    ) -> None:
        """One write or delete, checked as the store's component checks it; _StateError
        if refused."""
        kind = self.state_store_type
        current = self._live(store, write.key)
        etag = write.etag or None
        if write.data is None:
            _check_delete(kind, current, write, etag)
            store.pop(write.key, None)
            return
        ttl = write.metadata.get("ttlInSeconds")
        if ttl is not None and not ttl.lstrip("-").isdigit():
            message = f"incorrect value for metadata 'ttlInSeconds': {ttl}"
            raise _StateError(500, message)
        _check_set(kind, current, write, etag)
        expires = None
        if ttl is not None and int(ttl) > 0:
            expires = self._now() + int(ttl)
        elif ttl is None and kind == "redis" and current is not None:
            expires = current.expires_at  # HSET keeps a key's TTL; the others reset it
        # Redis marks a key saved with first-write for good (until it is deleted or
        # expires); its transactions never set the mark (no third script argument).
        first = kind == "redis" and (
            (current is not None and current.first_write)
            or (write.concurrency == "first-write" and not transaction)
        )
        version = self._next_etag(current)
        store[write.key] = StoredState(write.data, version, first, expires)

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
        failure: _StateError | None = None
        for write in writes:
            write.metadata.update(query_metadata)
            try:
                self._apply(store, write, transaction=True)
            except _StateError as exc:
                if exc.status == 400 or self.state_store_type != "redis":
                    store.clear()
                    store.update(snapshot)
                    failure = exc
                    break
                # state/redis Multi is one MULTI/EXEC: Redis does not roll back, so a
                # refused operation fails the call while the others stay applied.
                failure = failure or exc
        if failure is not None:
            # Inside a transaction every failure, an ETag mismatch too, is a 500.
            return _error(
                500,
                "ERR_STATE_TRANSACTION",
                f"error while executing state transaction: {failure}",
            )
        return _empty()

    def _query_state(self, call: _Call, store_name: str) -> httpx.Response:
        """The alpha state query API: filter, sort, and pages whose token is the
        offset of the next one."""
        store = self._store(store_name)
        if isinstance(store, httpx.Response):
            return store
        if self.state_store_type in ("postgresql-v2", "in-memory"):
            message = "state store does not support querying"
            return _error(500, "ERR_STATE_STORE_NOT_SUPPORTED", message)
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

    def put_state(
        self, store_name: str, key: str, value: JSONValue, *, first_write: bool = False
    ) -> str:
        """Seed a value as a last-write save (or a first-write insert) would, without a
        client; its ETag."""
        store = self.state.setdefault(store_name, {})
        concurrency = "first-write" if first_write else "last-write"
        self._apply(store, _Write(key, _json_bytes(value), None, {}, concurrency))
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
