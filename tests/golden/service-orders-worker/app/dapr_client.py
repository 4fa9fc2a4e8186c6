"""Async client for the Dapr sidecar HTTP API (Dapr 1.15 through 1.18).

One pooled connection for the life of the client; open it once per process (for example
in a FastAPI lifespan) and share it::

    async with DaprClient() as dapr:
        await dapr.wait_for_sidecar()
        await dapr.save_state("statestore", "order-1", order)  # a Pydantic model
        await dapr.publish_event("pubsub", "orders", order)

Settings come from the official SDK's environment variables (see DaprSettings). Safe
failures are retried with exponential backoff and jitter: requests that never reached
the sidecar, 429 and 503 answers (honouring Retry-After), and connection or read
failures of idempotent reads. Every other non-2xx answer raises a DaprError carrying
Dapr's errorCode and message.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import logging
import random
import sys
from base64 import b64encode
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, Self
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr, TypeAdapter
from pydantic_core import from_json
from pydantic_settings import BaseSettings, SettingsConfigDict

try:
    import aiohttp
    from yarl import URL
except ImportError:  # optional: without aiohttp the client runs on httpx's own pool
    _HAVE_AIOHTTP = False
else:
    _HAVE_AIOHTTP = True

_logger = logging.getLogger(__name__)
# Retry jitter. SystemRandom: nothing to seed, and no lint exemption needed for it.
_JITTER = random.SystemRandom()

JSONValue = Any
"""Parsed JSON (dict, list, str, int, float, bool or None), typed Any: no casts."""


class DaprSettings(BaseSettings):
    """Where the sidecar is and how to reach it, from the official Dapr SDK's
    environment variables.

    DAPR_HTTP_ENDPOINT (a full URL, without the /v1.0 suffix) wins over
    DAPR_RUNTIME_HOST and DAPR_HTTP_PORT. `dapr run` picks a random HTTP port unless
    told otherwise, so read DAPR_HTTP_PORT rather than assuming 3500. The backoff and
    pool fields are this client's own (same DAPR_ prefix).
    """

    model_config = SettingsConfigDict(env_prefix="DAPR_", frozen=True)

    http_endpoint: str | None = None
    """DAPR_HTTP_ENDPOINT: the sidecar's base URL, e.g.
    `https://dapr.example.com:443`."""
    runtime_host: str = "127.0.0.1"
    """DAPR_RUNTIME_HOST: the sidecar's host when DAPR_HTTP_ENDPOINT is not set."""
    http_port: int = Field(default=3500, ge=1, le=65535)
    """DAPR_HTTP_PORT: the sidecar's HTTP port when DAPR_HTTP_ENDPOINT is not set."""
    api_token: SecretStr | None = None
    """DAPR_API_TOKEN: sent as `dapr-api-token` on every request when set."""
    api_timeout_seconds: float = Field(default=30.0, gt=0)
    """DAPR_API_TIMEOUT_SECONDS: the per-request timeout."""
    api_max_retries: int = Field(default=3, ge=-1)
    """DAPR_API_MAX_RETRIES: retries of safe failures; 0: none; -1: no limit."""
    health_timeout: float = Field(default=60.0, gt=0)
    """DAPR_HEALTH_TIMEOUT: how long `wait_for_sidecar()` waits, in seconds."""
    backoff_initial_seconds: float = Field(default=0.1, gt=0)
    """First retry delay ceiling; it doubles per retry (full jitter)."""
    backoff_max_seconds: float = Field(default=5.0, gt=0)
    """Cap on any retry delay, a Retry-After answer included."""
    max_connections: int = Field(default=100, ge=1)
    """Size of the connection pool."""

    @property
    def base_url(self) -> str:
        """The sidecar's base URL, without a trailing slash or API version."""
        if self.http_endpoint:
            return self.http_endpoint.rstrip("/")
        host = self.runtime_host
        if ":" in host and not host.startswith("["):  # a bare IPv6 address
            host = f"[{host}]"
        return f"http://{host}:{self.http_port}"


class DaprClientError(Exception):
    """Base of every error this client raises on purpose."""


class DaprError(DaprClientError):
    """The sidecar, or an app invoked through it, answered with a non-2xx status.

    `error_code`, `message` and `details` come from Dapr's JSON error body. Bodies that
    are not JSON (the sidecar's text/plain 401 `invalid api token`, or whatever an
    invoked app returned) leave `error_code` None and put the text in `message`; `body`
    always holds the raw bytes.

    Dapr's status codes are not always the obvious ones: an unknown state store is 400,
    an unknown secret store is 401, a missing secret or a missing job is 500, any
    failure inside a state transaction (ETag conflicts included) is 500, and a missing
    state key is no error at all (204).
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error_code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        body: bytes = b"",
    ) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.message = message
        self.details = details if details is not None else []
        self.body = body
        code = f" {error_code}" if error_code else ""
        super().__init__(f"Dapr answered {status_code}{code}: {message}")


class DaprNotFoundError(DaprError):
    """404: an unknown pub/sub component, an unknown workflow instance, or an invoked
    app's own 404.

    A wrong route or verb also lands here (Dapr answers it with 404 ERR_DIRECT_INVOKE).
    """


class DaprConflictError(DaprError):
    """409: an ETag mismatch on save or delete, or an existing job (Dapr 1.16+).

    A first-write save without an ETag on an existing key is a 409 only on the
    in-memory store; Redis and PostgreSQL answer 500 (see insert_state()).
    """


class DaprInvalidResponseError(DaprError):
    """A 2xx answer this client cannot read: not JSON, JSON of another shape, or a body
    that could not be decoded. The message names the status, the content type and a
    short excerpt."""


class DaprUnavailableError(DaprClientError, ConnectionError):
    """The sidecar could not be reached (retries included), or a non-idempotent request
    failed after it may have been sent, so its outcome is unknown. The transport error
    is the `__cause__`."""


class DaprTimeoutError(DaprUnavailableError, TimeoutError):
    """No complete answer within `api_timeout_seconds`, the deadline of each attempt as
    a whole (connecting, sending and reading the whole body), retries included."""


_ERROR_TYPES: dict[int, type[DaprError]] = {
    404: DaprNotFoundError,
    409: DaprConflictError,
}
_MAX_ERROR_TEXT = 1000
_EXCERPT_BYTES = 200


def _unreadable(
    status_code: int, headers: Mapping[str, str], body: bytes, problem: str
) -> DaprInvalidResponseError:
    """The error for a 2xx answer the API does not give: what came back, in short."""
    content_type = headers.get("content-type") or "no content type"
    excerpt = body[:_EXCERPT_BYTES].decode("utf-8", "replace")
    more = "..." if len(body) > _EXCERPT_BYTES else ""
    return DaprInvalidResponseError(
        status_code,
        f"{problem}; got {content_type}, {len(body)} bytes: {excerpt!r}{more}",
        body=body,
    )


@contextlib.contextmanager
def _reading(response: _Response) -> Iterator[None]:
    """Turn a surprise in a 2xx body (a missing field, a list where an object belongs, a
    value of the wrong type) into DaprInvalidResponseError instead of a bare ValueError
    or TypeError."""
    try:
        yield
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        problem = f"unexpected JSON shape ({type(exc).__name__}: {exc})"
        raise response.unreadable(problem) from exc


def _error_from(response: _Response) -> DaprError:
    """A typed error for a non-2xx answer; never assumes the body is JSON."""
    body = response.content
    error_code: str | None = None
    message = ""
    details: list[dict[str, Any]] = []
    payload = _loads_or_none(body)
    if isinstance(payload, dict):
        code, said, extra = (
            payload.get("errorCode"),
            payload.get("message"),
            payload.get("details"),
        )
        error_code = code if isinstance(code, str) and code else None
        message = said if isinstance(said, str) else ""
        if isinstance(extra, list):
            details = [item for item in extra if isinstance(item, dict)]
    if not message:
        text = body.decode("utf-8", "replace").strip()
        message = (
            text[:_MAX_ERROR_TEXT]
            if text
            else f"HTTP {response.status_code} with no body"
        )
    error_type = _ERROR_TYPES.get(response.status_code, DaprError)
    return error_type(
        response.status_code, message, error_code=error_code, details=details, body=body
    )


_HEALTH_PATH = "/v1.0/healthz/outbound"
_Params = tuple[tuple[str, str], ...] | None
"""Query parameters as (name, value) pairs: a name may repeat."""


@functools.lru_cache(maxsize=1024)  # store, topic and app names repeat on every call
def _seg(value: str) -> str:
    """One percent-encoded path segment.

    Dapr routes on the escaped path and then unescapes each parameter, so '/', '?', '#',
    '%', '+' and spaces inside a name must travel escaped.
    """
    return quote(value, safe="")


def _loads_or_none(body: bytes) -> JSONValue:
    """The body as JSON; None when it is empty (Dapr's 204) or is not JSON."""
    if not body:
        return None
    try:
        return from_json(body)
    except ValueError:
        return None


def _retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds: delay-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_JSON_HEADERS: Mapping[str, str] = {"content-type": "application/json"}


Metadata = Mapping[str, str | int | float | bool]
"""Dapr metadata: only strings, so numbers go as text and bools as "true"/"false"."""


def _metadata_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError(
        f"Dapr metadata values are strings; {key!r} is a {type(value).__name__}"
    )


def _string_map(metadata: Metadata | None) -> dict[str, str]:
    """Metadata for a JSON body (Dapr rejects non-string values there with 400)."""
    return {key: _metadata_value(key, value) for key, value in (metadata or {}).items()}


def _metadata_params(metadata: Metadata | None) -> _Params:
    """`metadata.<key>` query parameters (Dapr matches them case-sensitively)."""
    if not metadata:
        return None
    return tuple(
        (f"metadata.{key}", _metadata_value(key, value))
        for key, value in metadata.items()
    )


_JSON_ADAPTER: TypeAdapter[Any] = TypeAdapter(Any)


def _json_bytes(data: object) -> bytes:
    """Compact JSON through Pydantic.

    Models are dumped as `model_dump(mode="json", by_alias=True)` would (a field with
    an alias is written under its JSON key, which is what the model reads back);
    datetimes, UUIDs, Decimals, enums and dataclasses work too (httpx's `json=` raises
    on a datetime, so it is never used).
    """
    return _JSON_ADAPTER.dump_json(data, by_alias=True)


def _payload(data: object, content_type: str | None) -> tuple[bytes, str]:
    """A body and its Content-Type: bytes and str go as they are, anything else as JSON.

    The type is always explicit: without one Dapr assumes text/plain and a JSON event
    arrives as a string.
    """
    if isinstance(data, bytes | bytearray):
        return bytes(data), content_type or "application/octet-stream"
    if isinstance(data, str):
        return data.encode(), content_type or "text/plain"
    return _json_bytes(data), content_type or "application/json"


_TRACE_HEADER_NAMES = ("traceparent", "tracestate", "baggage")
_TRACE_HEADERS: ContextVar[dict[str, str] | None] = ContextVar(
    "dapr_trace_headers", default=None
)


@contextlib.contextmanager
def trace_context(headers: Mapping[str, str]) -> Iterator[None]:
    """Forward W3C trace headers (traceparent, tracestate, baggage) on every Dapr call
    in the block.

    Wrap the handling of an incoming request so the sidecar links its spans to the
    caller's trace, for example in a FastAPI middleware::

        @app.middleware("http")
        async def forward_trace(request, call_next):
            with trace_context(request.headers):
                return await call_next(request)
    """
    picked = {
        name.lower(): value
        for name, value in headers.items()
        if value and name.lower() in _TRACE_HEADER_NAMES
    }
    token = _TRACE_HEADERS.set(picked or None)
    try:
        yield
    finally:
        _TRACE_HEADERS.reset(token)


class _Response:
    """What every backend hands back: status, headers (any case) and the whole body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(
        self, status_code: int, headers: Mapping[str, str], content: bytes
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> JSONValue:
        """The body as JSON; None for a 204 or any empty body (never parsed)."""
        if not self.content:
            return None
        try:
            return from_json(self.content)
        except ValueError as exc:
            raise self.unreadable(f"the body is not JSON ({exc})") from exc

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; {} when it is empty."""
        payload = self.json()
        if payload is None:
            return {}
        if not isinstance(payload, dict):
            raise self.unreadable(
                f"expected a JSON object, not {type(payload).__name__}"
            )
        return payload

    def json_list(self) -> list[Any]:
        """The body as a JSON array; [] when it is empty."""
        payload = self.json()
        if payload is None:
            return []
        if not isinstance(payload, list):
            raise self.unreadable(
                f"expected a JSON array, not {type(payload).__name__}"
            )
        return payload

    def unreadable(self, problem: str) -> DaprInvalidResponseError:
        return _unreadable(self.status_code, self.headers, self.content, problem)


class _SendError(Exception):
    """A transport failure, classified once by the backend that saw it."""

    def __init__(self, cause: BaseException, *, sent: bool) -> None:
        detail = str(cause)
        super().__init__(
            f"{type(cause).__name__}: {detail}" if detail else type(cause).__name__
        )
        self.cause = cause
        # It may have reached the sidecar: then only idempotent calls are retried.
        self.sent = sent
        self.timed_out = isinstance(cause, TimeoutError | httpx.TimeoutException)


def _may_have_been_sent(exc: httpx.TransportError) -> bool:
    """False only when the request never left, so that even a POST may be retried."""
    if isinstance(exc, httpx.ConnectError | httpx.PoolTimeout):
        return False
    if not isinstance(exc, httpx.ConnectTimeout):
        return True
    # A caller's client may run over httpx-aiohttp, which maps every aiohttp
    # ClientConnectionError to ConnectTimeout, a server disconnect after the request was
    # written included: only an aiohttp connect failure proves that nothing was sent.
    cause = exc.__cause__
    loaded = sys.modules.get(
        "aiohttp"
    )  # set only if an aiohttp-based transport is in use
    if loaded is not None and isinstance(cause, loaded.ClientError):
        return not isinstance(
            cause, loaded.ClientConnectorError | loaded.ConnectionTimeoutError
        )
    return False


class _HttpxBackend:
    """httpx: our own pooled client (we close it) or the caller's (never closed)."""

    __slots__ = (
        "_abandoned",
        "_client",
        "_deadline",
        "_owned",
        "_slots",
        "_timeouts",
    )

    def __init__(
        self, client: httpx.AsyncClient, *, owned: bool, deadline: float, slots: int
    ) -> None:
        self._client = client
        self._owned = owned
        self._timeouts = client.timeout.as_dict()
        self._deadline = deadline
        # No more requests in flight than our pool has connections, so none waits
        # inside httpx's pool: waiting for a slot here can be cut at the deadline, a
        # wait in there cannot (see send). A caller's smaller pool queues the rest,
        # each until a connection frees.
        self._slots = asyncio.Semaphore(slots)
        self._abandoned: set[asyncio.Task[_Response]] = set()

    async def send(
        self,
        method: str,
        url: str,
        params: _Params,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> _Response:
        loop = asyncio.get_running_loop()
        end = loop.time() + self._deadline
        try:
            async with asyncio.timeout_at(end):
                await self._slots.acquire()
        except TimeoutError as exc:  # nothing reached httpx, let alone the sidecar
            raise _SendError(exc, sent=False) from exc
        # Nothing may cancel or time out a request inside httpx's pool: asyncio's
        # cancellation passes through httpcore's anyio shields, and a request cut
        # while the pool opens, hands out or closes a connection strands that
        # connection, which the pool counts for ever until every call times out (the
        # family of https://github.com/encode/httpcore/issues/1093). So the exchange
        # is a task of its own that keeps the slot until httpx is done with it; a
        # caller past the deadline (or cancelled: its own timeout, a task group)
        # stops waiting for it, and httpx's own timeouts end it soon after.
        exchange = asyncio.ensure_future(
            self._exchange(method, url, params, headers, content, end)
        )
        exchange.add_done_callback(self._finished)
        try:
            done, _ = await asyncio.wait({exchange}, timeout=end - loop.time())
        except asyncio.CancelledError:
            self._abandoned.add(exchange)
            raise
        if not done:
            self._abandoned.add(exchange)
            raise _SendError(TimeoutError(), sent=True)
        return exchange.result()

    def _finished(self, exchange: asyncio.Task[_Response]) -> None:
        self._slots.release()
        self._abandoned.discard(exchange)
        if not exchange.cancelled():
            exchange.exception()  # retrieved, should nobody wait for it any more

    async def _exchange(
        self,
        method: str,
        url: str,
        params: _Params,
        headers: Mapping[str, str],
        content: bytes | None,
        end: float,
    ) -> _Response:
        loop = asyncio.get_running_loop()
        # Each httpx timeout capped at what is left, except the pool's: with a slot
        # held a connection is free, and a pool timeout firing as the pool hands
        # one over strands it.
        left = max(end - loop.time(), 0.001)
        timeouts: dict[str, float | None] = {
            phase: left if limit is None else min(limit, left)
            for phase, limit in self._timeouts.items()
        }
        timeouts["pool"] = None
        try:
            response = await self._client.send(
                self._request(method, url, params, headers, content, timeouts),
                stream=True,
                # A caller's client may follow redirects: never send
                # dapr-api-token elsewhere.
                follow_redirects=False,
            )
            try:
                parts: list[bytes] = []
                async for part in response.aiter_bytes():  # closed with the response
                    parts.append(part)
                    if loop.time() > end:  # a body dripped byte by byte
                        raise TimeoutError
            except httpx.DecodingError as exc:  # the body does not fit its encoding
                raise _unreadable(
                    response.status_code,
                    response.headers,
                    b"",
                    f"the body could not be decoded ({exc})",
                ) from exc
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise _SendError(exc, sent=_may_have_been_sent(exc)) from exc
        except (httpx.RequestError, TimeoutError) as exc:  # a caller's hook, say
            raise _SendError(exc, sent=True) from exc
        return _Response(response.status_code, response.headers, b"".join(parts))

    def _request(
        self,
        method: str,
        url: str,
        params: _Params,
        headers: Mapping[str, str],
        content: bytes | None,
        timeouts: dict[str, float | None],
    ) -> httpx.Request:
        extensions = {"timeout": timeouts}
        if self._owned:
            # Our client has no defaults to merge in, so skip httpx's request building
            # (~10%).
            return httpx.Request(
                method,
                url,
                params=params,
                headers=headers,
                content=content,
                extensions=extensions,
            )
        # The caller's client: its headers, auth and event hooks apply.
        return self._client.build_request(
            method,
            url,
            params=params,
            headers=headers,
            content=content,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._owned:
            # Our pool goes: exchanges nobody waits for may stop wherever they are.
            # (On a caller's client they run on, each ended by httpx's timeouts.)
            abandoned = list(self._abandoned)  # each leaves the set as it ends
            for exchange in abandoned:
                exchange.cancel()
            await asyncio.gather(*abandoned, return_exceptions=True)
            await self._client.aclose()


class _AiohttpBackend:
    """An aiohttp session: several times faster than httpx's own pool under load."""

    __slots__ = ("_closed", "_deadline", "_limit", "_session", "_timeout")

    def __init__(self, limit: int, timeout: float) -> None:
        self._limit = limit
        self._deadline = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        # An aiohttp session belongs to the running event loop, so it is made on first
        # use.
        if self._closed:  # as httpx does: a closed client stays closed
            raise RuntimeError("cannot send a request: the Dapr client has been closed")
        # No cookie jar: Dapr passes an invoked app's Set-Cookie back and our Cookie on,
        # so a jar would hand one app's cookies to every other app called through this
        # client.
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._limit),
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        # aiohttp re-sends an idempotent request once on its own when a pooled
        # connection drops; the client's own retry logic must be the only one, or its
        # count and messages are wrong. aiohttp has no public switch for this
        # (aiohttp/client.py, `_retry_connection`).
        session._retry_connection = False
        self._session = session
        return session

    async def send(
        self,
        method: str,
        url: str,
        params: _Params,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> _Response:
        session = self._session
        if session is None:
            session = self._open()
        try:
            # encoded=True: the path is already percent-encoded and must reach Dapr byte
            # for byte. No redirects (as httpx): following an app's 3xx would send
            # dapr-api-token elsewhere.
            async with (
                asyncio.timeout(self._deadline),
                session.request(
                    method,
                    URL(url, encoded=True),
                    params=params,
                    headers=headers,
                    data=content,
                    allow_redirects=False,
                ) as response,
            ):
                try:
                    body = await response.read()
                except aiohttp.ClientPayloadError as exc:
                    if not isinstance(
                        exc.__cause__, aiohttp.http_exceptions.ContentEncodingError
                    ):
                        raise
                    problem = f"the body could not be decoded ({exc.__cause__})"
                    raise _unreadable(
                        response.status, response.headers, b"", problem
                    ) from exc
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise _SendError(exc, sent=False) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _SendError(exc, sent=True) from exc
        return _Response(response.status, response.headers, body)

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()


Concurrency = Literal["first-write", "last-write"]
"""first-write: writes and deletes must carry the current ETag; last-write: need not."""
Consistency = Literal["eventual", "strong"]
UNCHANGED: Final = object()
"""What an update_state() change returns to leave the key as it is (no write)."""


@dataclass(frozen=True, slots=True)
class StateItem:
    """A state value and its ETag (pass it back to write only if it is unchanged)."""

    key: str
    value: JSONValue
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class BulkStateItem:
    """One key of get_bulk_state, or one result of query_state.

    A missing key has `found=False` and neither value nor ETag; a key the store failed
    to read has `error` set.
    """

    key: str
    value: JSONValue = None
    etag: str | None = None
    error: str | None = None
    found: bool = True


@dataclass(frozen=True, slots=True)
class QueryResponse:
    """One page of query_state results; send `token` back as `page.token`."""

    results: list[BulkStateItem]
    token: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TransactionalStateOperation:
    """One execute_state_transaction operation: `upsert()` or `delete()`."""

    operation: Literal["upsert", "delete"]
    key: str
    value: object = None
    etag: str | None = None
    metadata: Metadata | None = None
    concurrency: Concurrency | None = None
    consistency: Consistency | None = None

    @classmethod
    def upsert(
        cls,
        key: str,
        value: object,
        *,
        etag: str | None = None,
        metadata: Metadata | None = None,
        concurrency: Concurrency | None = None,
        consistency: Consistency | None = None,
    ) -> Self:
        """Insert or replace `key` (only while its ETag matches, given `etag`)."""
        return cls("upsert", key, value, etag, metadata, concurrency, consistency)

    @classmethod
    def delete(
        cls,
        key: str,
        *,
        etag: str | None = None,
        metadata: Metadata | None = None,
        concurrency: Concurrency | None = None,
        consistency: Consistency | None = None,
    ) -> Self:
        """Delete `key` (only if its ETag still matches, when `etag` is given)."""
        return cls("delete", key, None, etag, metadata, concurrency, consistency)


def _checked_key(key: str) -> str:
    """A state key, refused when Dapr could not store it as `<app-id>||<key>`."""
    if not key:
        raise ValueError("a state key must not be empty")
    if "||" in key:
        raise ValueError(
            f"state key {key!r} contains '||', "
            "the separator Dapr puts after the key prefix"
        )
    return key


def _state_request(
    key: str,
    etag: str | None,
    metadata: Metadata | None,
    concurrency: Concurrency | None,
    consistency: Consistency | None,
) -> dict[str, object]:
    """The fields save, delete and transaction requests share (ETag, metadata)."""
    request: dict[str, object] = {"key": _checked_key(key)}
    if etag is not None:
        request["etag"] = etag
    if metadata:
        request["metadata"] = _string_map(metadata)
    options = {
        name: value
        for name, value in (("concurrency", concurrency), ("consistency", consistency))
        if value
    }
    if options:
        request["options"] = options
    return request


def _save_request(
    key: str,
    value: object,
    etag: str | None,
    metadata: Metadata | None,
    concurrency: Concurrency | None,
    consistency: Consistency | None,
) -> dict[str, object]:
    request = _state_request(key, etag, metadata, concurrency, consistency)
    # The object itself: a json.dumps() string would be stored, and read back,
    # double-encoded.
    request["value"] = value
    return request


def _with_options(params: _Params, **options: str | None) -> _Params:
    """`params` plus the options that are set (such as `consistency`)."""
    pairs = (
        *(params or ()),
        *((name, value) for name, value in options.items() if value),
    )
    return pairs or None


def _get_state_target(
    store_name: str,
    key: str,
    consistency: Consistency | None,
    metadata: Metadata | None,
) -> tuple[str, _Params]:
    path = f"/v1.0/state/{_seg(store_name)}/{_seg(_checked_key(key))}"
    if consistency is None and not metadata:
        return path, None
    return path, _with_options(_metadata_params(metadata), consistency=consistency)


def _state_value(content: bytes) -> JSONValue:
    """A stored value: parsed JSON, or raw bytes when another client saved others."""
    if not content:
        return None
    try:
        return from_json(content)
    except ValueError:
        return content


def _bulk_item(item: dict[str, Any]) -> BulkStateItem:
    # Dapr's bulk and query items carry the value as `data` (not `value`); a missing key
    # has none.
    return BulkStateItem(
        key=str(item.get("key", "")),
        value=item.get("data"),
        etag=item.get("etag") or None,
        error=item.get("error") or None,
        found="data" in item,
    )


@dataclass(frozen=True, slots=True)
class BulkPublishFailedEntry:
    """An event publish_events could not publish; `entry_id`: its list index."""

    entry_id: str
    error: str


class DaprBulkPublishError(DaprError):
    """publish_events failed for some (or all) events: re-send only `failed_entries`."""

    def __init__(
        self, error: DaprError, failed_entries: list[BulkPublishFailedEntry]
    ) -> None:
        super().__init__(
            error.status_code,
            f"{len(failed_entries)} event(s) not published: {error.message}",
            error_code=error.error_code,
            details=error.details,
            body=error.body,
        )
        self.failed_entries = failed_entries


def _publish_params(
    metadata: Metadata | None, ttl_in_seconds: int | None, raw_payload: bool | None
) -> _Params:
    merged = dict(metadata or {})
    if ttl_in_seconds is not None:
        merged["ttlInSeconds"] = ttl_in_seconds
    if raw_payload is not None:
        merged["rawPayload"] = raw_payload
    return _metadata_params(merged)


def _bulk_entry(
    entry_id: str, event: object, content_type: str | None
) -> dict[str, object]:
    """One bulk-publish entry; Dapr wants a content type, and bytes as base64 text."""
    if isinstance(event, bytes | bytearray):
        return {
            "entryId": entry_id,
            "event": b64encode(event).decode("ascii"),
            "contentType": content_type or "application/octet-stream",
        }
    if isinstance(event, str):
        return {
            "entryId": entry_id,
            "event": event,
            "contentType": content_type or "text/plain",
        }
    return {
        "entryId": entry_id,
        "event": event,
        "contentType": content_type or "application/json",
    }


def _failed_entries(body: bytes) -> list[BulkPublishFailedEntry]:
    payload = _loads_or_none(body)
    entries = payload.get("failedEntries") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        BulkPublishFailedEntry(
            str(entry.get("entryId", "")), str(entry.get("error", ""))
        )
        for entry in entries
        if isinstance(entry, dict)
    ]


_IDEMPOTENT_VERBS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True, slots=True)
class InvokeResponse:
    """What the invoked app answered (2xx only: any other status raises DaprError)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> JSONValue:
        """The body as JSON; None when it is empty (a 204, for example).

        A body that is not JSON raises DaprInvalidResponseError (a DaprError).
        """
        if not self.content:
            return None
        try:
            return from_json(self.content)
        except ValueError as exc:
            problem = f"the body is not JSON ({exc})"
            raise _unreadable(
                self.status_code, self.headers, self.content, problem
            ) from exc


def _method_path(method_name: str) -> str:
    """An app method path: each segment percent-encoded, the '/' between them kept."""
    return "/".join(_seg(segment) for segment in method_name.lstrip("/").split("/"))


class DaprClient:
    """Async client for the Dapr sidecar HTTP API (Dapr 1.15 through 1.18).

    Use it as an async context manager, or call `close()` when done. `settings` defaults
    to `DaprSettings()` (the environment). Pass `http_client` to bring your own
    `httpx.AsyncClient` (tests use `httpx.MockTransport` or `httpx.ASGITransport`): it
    is never closed by this client, and its timeout and limits apply; URLs always come
    from `settings`. At most `settings.max_connections` requests are in flight at once;
    with fewer connections in that client's pool the rest wait in it (httpx's default
    is 100).

    Its own pool is an aiohttp session used directly when aiohttp is installed,
    several times faster under concurrency than httpx's own pool, the fallback.
    """

    def __init__(
        self,
        settings: DaprSettings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if settings is not None and not isinstance(settings, DaprSettings):
            # Clients written for other SDKs pass (port, host): say what replaced them,
            # now.
            raise TypeError(
                "pass a DaprSettings (for example DaprSettings(http_port=3501)), "
                "or nothing to read DAPR_HTTP_PORT and the other settings from the "
                "environment"
            )
        self.settings = settings if settings is not None else DaprSettings()
        config = self.settings
        self._base_url = config.base_url
        token = (
            config.api_token.get_secret_value() if config.api_token is not None else ""
        )
        # Sent on every request (the sidecar strips it before forwarding anything to an
        # app).
        self._headers: dict[str, str] = {"dapr-api-token": token} if token else {}
        # -1 means no limit, as in the official SDK; failures are still only retried
        # when safe.
        self._max_retries = (
            sys.maxsize if config.api_max_retries < 0 else config.api_max_retries
        )
        self._backoff_initial = config.backoff_initial_seconds
        self._backoff_max = config.backoff_max_seconds
        self._backend: _HttpxBackend | _AiohttpBackend

        if http_client is not None:
            self._backend = _HttpxBackend(
                http_client,
                owned=False,
                deadline=config.api_timeout_seconds,
                slots=config.max_connections,
            )
        elif _HAVE_AIOHTTP:
            self._backend = _AiohttpBackend(
                config.max_connections, config.api_timeout_seconds
            )
        else:
            # Few idle connections: httpx's own pool scans every one of them on each
            # request, which costs more than reconnecting (about 3x at 64 concurrent
            # requests).
            limits = httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=min(config.max_connections, 20),
            )
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(config.api_timeout_seconds),
                limits=limits,
                # The sidecar is local: never reach it through a proxy from the env.
                trust_env=False,
            )
            self._backend = _HttpxBackend(
                client,
                owned=True,
                deadline=config.api_timeout_seconds,
                slots=config.max_connections,
            )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool (a caller-supplied `http_client` is left open)."""
        await self._backend.aclose()

    async def aclose(self) -> None:
        """Alias of `close()`, for code that expects the httpx spelling."""
        await self.close()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: _Params = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        idempotent: bool = False,
        retry_unavailable: bool = True,
    ) -> _Response:
        """Send one Dapr API call, retry what is safe, and raise DaprError for any
        non-2xx answer.

        Retried: a request that never reached the sidecar (always); 429, and 503 unless
        `retry_unavailable` is false (an invoked app's 503 after a non-idempotent call);
        a connection or read failure after sending, or a timeout, only when
        `idempotent`.
        """
        url = self._base_url + path
        trace = _TRACE_HEADERS.get()
        if trace is None and headers is None:
            sent_headers: Mapping[str, str] = self._headers
        else:
            sent_headers = {**self._headers, **(trace or {}), **(headers or {})}
        attempt = 0
        while True:
            try:
                response = await self._backend.send(
                    method, url, params, sent_headers, content
                )
            except _SendError as failure:
                if attempt >= self._max_retries or (failure.sent and not idempotent):
                    raise self._unavailable(
                        method, path, failure, attempt
                    ) from failure.cause
                delay = self._backoff(attempt)
                reason = str(failure)
            else:
                status = response.status_code
                if status < 300:
                    return response
                retryable = status == 429 or (status == 503 and retry_unavailable)
                if not retryable or attempt >= self._max_retries:
                    raise _error_from(response)
                after = _retry_after_seconds(response.headers.get("retry-after"))
                delay = (
                    self._backoff(attempt)
                    if after is None
                    else min(after, self._backoff_max)
                )
                reason = f"HTTP {status}"
            attempt += 1
            _logger.warning(
                "Dapr %s %s failed (%s); retry %d in %.2fs",
                method,
                path,
                reason,
                attempt,
                delay,
            )
            await asyncio.sleep(delay)

    async def _post_json(
        self,
        path: str,
        body: object,
        *,
        params: _Params = None,
        idempotent: bool = False,
    ) -> _Response:
        """POST `body` as JSON: the shape of most Dapr write APIs."""
        return await self._request(
            "POST",
            path,
            params=params,
            headers=_JSON_HEADERS,
            content=_json_bytes(body),
            idempotent=idempotent,
        )

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter, capped at `backoff_max_seconds`."""
        ceiling = min(self._backoff_max, self._backoff_initial * 2**attempt)
        return _JITTER.uniform(0, ceiling)

    def _unavailable(
        self, method: str, path: str, failure: _SendError, attempt: int
    ) -> DaprUnavailableError:
        if failure.sent and attempt < self._max_retries:
            why = (
                "and was not retried "
                "(it may have reached the sidecar; it is not idempotent)"
            )
        else:
            why = f"after {attempt + 1} attempt(s)"
        error = DaprTimeoutError if failure.timed_out else DaprUnavailableError
        return error(f"{method} {self._base_url}{path} failed {why}: {failure}")

    async def check_health(self) -> bool:
        """Probe `GET /v1.0/healthz/outbound` once: True when the sidecar has loaded its
        components.

        No retries, and an unreachable sidecar is False rather than an exception. This
        endpoint does not wait for your app (unlike `/v1.0/healthz`), so an app waiting
        on it cannot deadlock.
        """
        try:
            response = await self._backend.send(
                "GET", self._base_url + _HEALTH_PATH, None, self._headers, None
            )
        except _SendError:
            return False
        return response.status_code < 300

    def wait_for_sidecar(
        self, timeout: float | None = None
    ) -> Coroutine[Any, Any, None]:
        """Wait (await it), without blocking the event loop, until
        `/v1.0/healthz/outbound` answers 204.

        Call it once at startup, before the first Dapr call. `timeout` defaults to the
        DAPR_HEALTH_TIMEOUT setting; after it DaprUnavailableError is raised.
        """
        # A plain method returning the coroutine: the deadline is this call's own
        # contract, not a cancellation scope the caller could have used instead.
        limit = self.settings.health_timeout if timeout is None else timeout
        return self._wait_until_ready(limit)

    async def _wait_until_ready(self, limit: float) -> None:
        url = self._base_url + _HEALTH_PATH
        delay = 0.05
        last = "no answer"
        try:
            async with asyncio.timeout(limit):
                while True:
                    try:
                        response = await self._backend.send(
                            "GET", url, None, self._headers, None
                        )
                    except _SendError as failure:
                        last = str(failure)
                    else:
                        if response.status_code < 300:
                            return
                        last = str(_error_from(response))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
        except TimeoutError as exc:
            raise DaprUnavailableError(
                f"the Dapr sidecar at {self._base_url} was not ready "
                f"after {limit}s ({last})"
            ) from exc

    async def shutdown(self) -> None:
        """Ask the sidecar to shut down gracefully (`POST /v1.0/shutdown`, 204)."""
        await self._request("POST", "/v1.0/shutdown")

    # -- State -------------------------------------------------------------------------

    async def save_state(
        self,
        store_name: str,
        key: str,
        value: object,
        *,
        etag: str | None = None,
        concurrency: Concurrency | None = None,
        consistency: Consistency | None = None,
        metadata: Metadata | None = None,
        ttl_in_seconds: int | None = None,
    ) -> None:
        """Save one value as JSON (a Pydantic model, or JSON-able data with datetimes,
        UUIDs...).

        With `etag` the write succeeds only while the stored ETag still matches;
        otherwise DaprConflictError (409). `ttl_in_seconds` sets the `ttlInSeconds`
        metadata.
        """
        if ttl_in_seconds is not None:
            metadata = {**(metadata or {}), "ttlInSeconds": ttl_in_seconds}
        request = _save_request(key, value, etag, metadata, concurrency, consistency)
        await self._post_json(f"/v1.0/state/{_seg(store_name)}", [request])

    async def save_bulk_state(
        self,
        store_name: str,
        items: Sequence[StateItem],
        *,
        concurrency: Concurrency | None = None,
        consistency: Consistency | None = None,
        metadata: Metadata | None = None,
    ) -> None:
        """Save several values in one call (each with its own ETag, if it has one)."""
        requests = [
            _save_request(
                item.key, item.value, item.etag, metadata, concurrency, consistency
            )
            for item in items
        ]
        await self._post_json(f"/v1.0/state/{_seg(store_name)}", requests)

    async def get_state(
        self,
        store_name: str,
        key: str,
        *,
        consistency: Consistency | None = None,
        metadata: Metadata | None = None,
    ) -> JSONValue:
        """The value stored under `key`, or None when there is none (Dapr answers 204,
        not 404).

        JSON comes back parsed; bytes that are not JSON (saved by another client) come
        back as bytes. Use get_state_item() to get the ETag as well.
        """
        path, params = _get_state_target(store_name, key, consistency, metadata)
        response = await self._request("GET", path, params=params, idempotent=True)
        return _state_value(response.content)

    async def get_state_item(
        self,
        store_name: str,
        key: str,
        *,
        consistency: Consistency | None = None,
        metadata: Metadata | None = None,
    ) -> StateItem | None:
        """The value and its ETag (a response header); None when the key is missing."""
        path, params = _get_state_target(store_name, key, consistency, metadata)
        response = await self._request("GET", path, params=params, idempotent=True)
        if not response.content:
            return None
        return StateItem(
            key, _state_value(response.content), response.headers.get("etag")
        )

    async def delete_state(
        self,
        store_name: str,
        key: str,
        *,
        etag: str | None = None,
        concurrency: Concurrency | None = None,
        consistency: Consistency | None = None,
        metadata: Metadata | None = None,
    ) -> None:
        """Delete `key` (no error if it is missing, on most stores).

        With `etag` (sent as If-Match) the delete succeeds only while the stored ETag
        still matches; otherwise DaprConflictError (409).
        """
        params = _with_options(
            _metadata_params(metadata), concurrency=concurrency, consistency=consistency
        )
        await self._request(
            "DELETE",
            f"/v1.0/state/{_seg(store_name)}/{_seg(_checked_key(key))}",
            params=params,
            headers={"if-match": etag} if etag is not None else None,
        )

    async def insert_state(
        self,
        store_name: str,
        key: str,
        value: object,
        *,
        metadata: Metadata | None = None,
        ttl_in_seconds: int | None = None,
    ) -> bool:
        """Save `value` only if `key` does not exist: True when it was inserted, False
        when the key exists. Any other failure raises, so it is never taken for
        "exists".

        It is a first-write save without an ETag. Stores refuse it on an existing key
        differently (components-contrib 1.18): state.in-memory with an ETag error (409);
        state.postgresql v1 and v2 with "no item was updated" and state.redis with
        "failed to set key", both 500 ERR_STATE_SAVE. So a refused save is taken for
        "exists" only when reading the key back finds it. On Redis it holds only for
        keys that were always written with first-write concurrency (the `first-write`
        field its setDefaultQuery script checks): update such keys with update_state().
        """
        if ttl_in_seconds is not None:
            metadata = {**(metadata or {}), "ttlInSeconds": ttl_in_seconds}
        request = _save_request(key, value, None, metadata, "first-write", None)
        try:
            await self._post_json(f"/v1.0/state/{_seg(store_name)}", [request])
        except DaprConflictError:
            return False
        except DaprError:
            if await self.get_state_item(store_name, key) is None:
                raise  # the key is missing: a real failure, not a conflict
            return False
        return True

    async def update_state(
        self,
        store_name: str,
        key: str,
        change: Callable[[StateItem | None], object],
        *,
        metadata: Metadata | None = None,
        ttl_in_seconds: int | None = None,
        attempts: int = 10,
    ) -> bool:
        """Read-modify-write `key` under its ETag, again while another writer wins.

        `change` gets the stored item (None when the key is missing) and returns the
        value to store, or UNCHANGED to leave it; it may raise to stop. A missing key is
        inserted (insert_state), an existing one saved with its ETag and first-write
        concurrency, so that it stays insert-only on every store, Redis included. True
        when it wrote. After `attempts` lost races: DaprConflictError.
        """
        for attempt in range(attempts):
            current = await self.get_state_item(store_name, key)
            value = change(current)
            if value is UNCHANGED:
                return False
            if current is None:
                if await self.insert_state(
                    store_name,
                    key,
                    value,
                    metadata=metadata,
                    ttl_in_seconds=ttl_in_seconds,
                ):
                    return True
            else:
                try:
                    await self.save_state(
                        store_name,
                        key,
                        value,
                        etag=current.etag,
                        concurrency="first-write",
                        metadata=metadata,
                        ttl_in_seconds=ttl_in_seconds,
                    )
                except DaprConflictError:
                    pass
                else:
                    return True
            # Another writer won: back off a little, with jitter, before reading again.
            await asyncio.sleep(_JITTER.uniform(0, 0.005 * (attempt + 1)))
        raise DaprConflictError(
            409, f"state key {key!r}: still changing after {attempts} attempts"
        )

    async def get_bulk_state(
        self,
        store_name: str,
        keys: Sequence[str],
        *,
        parallelism: int | None = None,
        metadata: Metadata | None = None,
    ) -> list[BulkStateItem]:
        """Read several keys in one call, in order; missing keys have `found=False`."""
        if isinstance(keys, str):  # a lone key is a Sequence[str] of characters
            keys = [keys]
        body: dict[str, object] = {"keys": [_checked_key(key) for key in keys]}
        if parallelism is not None:
            body["parallelism"] = parallelism
        if metadata:
            body["metadata"] = _string_map(metadata)
        response = await self._post_json(
            f"/v1.0/state/{_seg(store_name)}/bulk", body, idempotent=True
        )
        with _reading(response):
            return [_bulk_item(item) for item in response.json_list()]

    async def execute_state_transaction(
        self,
        store_name: str,
        operations: Sequence[TransactionalStateOperation],
        *,
        metadata: Metadata | None = None,
    ) -> None:
        """Apply upserts and deletes atomically (transactional stores only).

        Any failure inside a transaction, an ETag mismatch included, is DaprError 500
        ERR_STATE_TRANSACTION, not a 409.
        """
        entries = []
        for operation in operations:
            request = _state_request(
                operation.key,
                operation.etag,
                operation.metadata,
                operation.concurrency,
                operation.consistency,
            )
            if operation.operation == "upsert":
                request["value"] = operation.value
            entries.append({"operation": operation.operation, "request": request})
        body: dict[str, object] = {"operations": entries}
        if metadata:
            body["metadata"] = _string_map(metadata)
        await self._post_json(f"/v1.0/state/{_seg(store_name)}/transaction", body)

    async def query_state(
        self,
        store_name: str,
        query: Mapping[str, object] | str,
        *,
        metadata: Metadata | None = None,
    ) -> QueryResponse:
        """Run a state query (alpha API; stores with query support only, e.g. PostgreSQL
        v1).

        `query` is `{"filter": ..., "sort": [...], "page": {"limit": n, "token": ...}}`
        or its JSON text. No results is an empty response (Dapr answers 204).
        """
        content = query.encode() if isinstance(query, str) else _json_bytes(query)
        response = await self._request(
            "POST",
            f"/v1.0-alpha1/state/{_seg(store_name)}/query",
            params=_metadata_params(metadata),
            headers=_JSON_HEADERS,
            content=content,
            idempotent=True,
        )
        payload = response.json_object()
        with _reading(response):
            return QueryResponse(
                results=[_bulk_item(item) for item in payload.get("results") or []],
                token=payload.get("token") or None,
                metadata=dict(payload.get("metadata") or {}),
            )

    # -- Pub/sub -----------------------------------------------------------------------

    async def publish_event(
        self,
        pubsub_name: str,
        topic_name: str,
        data: object,
        *,
        data_content_type: str | None = None,
        metadata: Metadata | None = None,
        ttl_in_seconds: int | None = None,
        raw_payload: bool | None = None,
    ) -> None:
        """Publish one event; Dapr wraps it in a CloudEvent (unless `raw_payload=True`).

        Pydantic models and other data go as application/json (so subscribers get the
        object in the CloudEvent's `data`), str as text/plain and bytes as
        application/octet-stream, unless `data_content_type` says otherwise;
        application/cloudevents+json sends your own envelope. `metadata` becomes
        `metadata.<key>` query parameters (e.g. a Kafka `partitionKey`).
        """
        content, content_type = _payload(data, data_content_type)
        await self._request(
            "POST",
            f"/v1.0/publish/{_seg(pubsub_name)}/{_seg(topic_name)}",
            params=_publish_params(metadata, ttl_in_seconds, raw_payload),
            headers={"content-type": content_type},
            content=content,
        )

    async def publish_events(
        self,
        pubsub_name: str,
        topic_name: str,
        data: Sequence[object],
        *,
        data_content_type: str | None = None,
        metadata: Metadata | None = None,
    ) -> None:
        """Publish several events in one call (bulk publish API).

        Each event is typed like publish_event's `data`. If some are not published,
        DaprBulkPublishError lists them in `failed_entries` (entry ids are list
        indexes).
        """
        entries = [
            _bulk_entry(str(index), event, data_content_type)
            for index, event in enumerate(data)
        ]
        try:
            await self._post_json(
                f"/v1.0-alpha1/publish/bulk/{_seg(pubsub_name)}/{_seg(topic_name)}",
                entries,
                params=_metadata_params(metadata),
            )
        except DaprError as exc:
            failed = _failed_entries(exc.body)
            if failed:
                raise DaprBulkPublishError(exc, failed) from exc
            raise

    # -- Service invocation ------------------------------------------------------------

    async def invoke_method(
        self,
        app_id: str,
        method_name: str,
        data: object = None,
        *,
        http_verb: str = "POST",
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        content_type: str | None = None,
        use_app_id_header: bool = False,
    ) -> InvokeResponse:
        """Call `method_name` (e.g. "orders/42") of the app `app_id` through the
        sidecar.

        `data` is sent like publish_event's (JSON unless it is bytes or str). The app's
        status and body come back as they are; a non-2xx raises DaprError, whose
        `message` is the app's text when its body is not Dapr's JSON error.
        `use_app_id_header=True` sends the `dapr-app-id` header to `/<method>` instead
        of using `/v1.0/invoke/<app-id>/method/<method>`. Only idempotent verbs (GET,
        HEAD, OPTIONS, PUT, DELETE) are retried after a 503 or a failure mid-request:
        for any other verb the app may already have acted.
        """
        verb = http_verb.upper()
        sent: dict[str, str] = dict(headers or {})
        if use_app_id_header:
            path = "/" + _method_path(method_name)
            sent["dapr-app-id"] = app_id
        else:
            path = f"/v1.0/invoke/{_seg(app_id)}/method/{_method_path(method_name)}"
        content: bytes | None = None
        if data is not None:
            content, default_type = _payload(data, content_type)
            if not any(name.lower() == "content-type" for name in sent):
                sent["content-type"] = default_type
        params: _Params = None
        if query:
            pairs = query.items() if isinstance(query, Mapping) else query
            params = tuple((str(name), str(value)) for name, value in pairs)
        idempotent = verb in _IDEMPOTENT_VERBS
        response = await self._request(
            verb,
            path,
            params=params,
            headers=sent or None,
            content=content,
            idempotent=idempotent,
            retry_unavailable=idempotent,
        )
        return InvokeResponse(response.status_code, response.headers, response.content)

    async def invoke_service(
        self, app_id: str, method: str, data: object = None
    ) -> JSONValue:
        """POST `data` to `method` of `app_id` (GET when `data` is None); the JSON
        answer or None.

        Use invoke_method() for other verbs, headers or non-JSON answers.
        """
        response = await self.invoke_method(
            app_id, method, data, http_verb="GET" if data is None else "POST"
        )
        return response.json()
