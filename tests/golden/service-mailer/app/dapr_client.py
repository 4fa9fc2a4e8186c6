"""Async client for the Dapr sidecar HTTP API (Dapr 1.15 through 1.18).

One pooled connection for the life of the client; open it once per process (for example
in a FastAPI lifespan) and share it::

    async with DaprClient() as dapr:
        await dapr.wait_for_sidecar()

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
from collections.abc import Coroutine, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
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


_JSON_ADAPTER: TypeAdapter[Any] = TypeAdapter(Any)


def _json_bytes(data: object) -> bytes:
    """Compact JSON through Pydantic.

    Models are dumped as `model_dump(mode="json", by_alias=True)` would (a field with
    an alias is written under its JSON key, which is what the model reads back);
    datetimes, UUIDs, Decimals, enums and dataclasses work too (httpx's `json=` raises
    on a datetime, so it is never used).
    """
    return _JSON_ADAPTER.dump_json(data, by_alias=True)


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


@dataclass(frozen=True, slots=True)
class BindingResponse:
    """What an output binding returned: its bytes (empty on 204) and its metadata, with
    keys in lower case (they travel as HTTP headers, whose names carry no case)."""

    data: bytes
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The data decoded as UTF-8."""
        return self.data.decode("utf-8", "replace")

    def json(self) -> JSONValue:
        """The data as JSON; None when there is none."""
        return from_json(self.data) if self.data else None


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

    # -- Output bindings ---------------------------------------------------------------

    async def invoke_binding(
        self,
        binding_name: str,
        operation: str,
        data: object = None,
        *,
        metadata: Metadata | None = None,
    ) -> BindingResponse:
        """Run `operation` ("create", "get", "delete", ... per component) on an output
        binding.

        Dapr re-serializes `data` as JSON before the component sees it, so a str arrives
        quoted; send a dict (or a Pydantic model) for structured data. An unknown
        binding name is a DaprError 500 ERR_INVOKE_OUTPUT_BINDING, like any other
        binding failure.
        """
        body: dict[str, object] = {"operation": operation}
        if data is not None:
            body["data"] = data
        if metadata:
            body["metadata"] = _string_map(metadata)
        response = await self._post_json(f"/v1.0/bindings/{_seg(binding_name)}", body)
        # Component response metadata comes back as `metadata.<key>` headers.
        returned = {
            name[len("metadata.") :].lower(): value
            for name, value in response.headers.items()
            if name.lower().startswith("metadata.")
        }
        return BindingResponse(response.content, returned)

    # Typed calls per component type: each sends the operation and request metadata
    # its components-contrib binding reads (bindings/<type>/metadata.yaml and code).

    async def send_email(
        self,
        binding_name: str,
        *,
        to: str,
        subject: str,
        body: str,
        cc: str | None = None,
        bcc: str | None = None,
        sender: str | None = None,
    ) -> None:
        """Send an HTML email through a bindings.smtp or bindings.twilio.sendgrid
        binding (operation create); unset fields keep the component's own values.

        One address per field: SendGrid takes one. CC and BCC are sent in both
        spellings, emailCC (SMTP) and emailCc (SendGrid), so the same call works
        with either component.
        """
        metadata = {"emailTo": to, "subject": subject}
        if cc is not None:
            metadata |= {"emailCC": cc, "emailCc": cc}
        if bcc is not None:
            metadata |= {"emailBCC": bcc, "emailBcc": bcc}
        if sender is not None:
            metadata["emailFrom"] = sender
        # A JSON string: both components unquote it back to the body.
        await self.invoke_binding(binding_name, "create", body, metadata=metadata)
