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

It also plays daprd's part towards the app under test (`fake.app`, any ASGI app such
as a FastAPI instance), sending `dapr-api-token` when `app_api_token` is set (daprd's
APP_API_TOKEN):

- invocations of its app id reach it.

Answered (daprd 1.16 and newer; the alpha and the stable routes both work):

- health (`/v1.0/healthz`, `/v1.0/healthz/outbound`; `healthy = False` fails them) and
  shutdown
- service invocation: routed to the ASGI apps in `apps`

Where daprd's behaviour depends on the component, the fake behaves like the components
`dapr init` sets up (Redis).
Any component name works unless the constructor lists the names, and then others fail
as daprd fails them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
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
        "jobs",
        "lock",
        "metadata",
        "publish",
        "secrets",
        "state",
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


# -- Service invocation ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Invocation:
    """One service invocation the fake forwarded: what was called and the answer."""

    app_id: str
    method: str  # the HTTP verb
    path: str  # as the app saw it, query included
    status: int


# -- The sidecar ----------------------------------------------------------------------


class FakeDapr:
    """An in-memory Dapr sidecar, as an httpx transport.

    Give a client `httpx.AsyncClient(transport=fake.transport)` and
    `DaprSettings(http_endpoint=fake.base_url)`, or use `fake.http_client()`. Set
    `fake.app` to the app under test. What went through the sidecar stays here for
    assertions:

    - `requests`: every request the client sent;
    - `invocations`: the calls forwarded to `apps` (or to `app`);
    """

    base_url = "http://127.0.0.1:3500"

    def __init__(
        self,
        *,
        app_id: str = "app",
        app: ASGIApp | None = None,
        app_api_token: str | None = None,
        api_token: str | None = None,
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
        self.apps: dict[str, ASGIApp] = {}
        self.invocations: list[Invocation] = []

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
            case (_, ("v1.0", "invoke", app_id, "method", *method)):
                return await self._invoke(call, _param(app_id), "/".join(method))
            case (_, (_, api, *_)) if api in _UNANSWERED:
                return _error(
                    501,
                    "ERR_NOT_IMPLEMENTED_BY_FAKE",
                    f"FakeDapr does not implement the {api} API; test this with a "
                    "real Dapr sidecar",
                )
        app_id = call.headers.get("dapr-app-id")
        if app_id:
            # Any other path goes to the app named by the dapr-app-id header.
            return await self._invoke(call, app_id, "/".join(call.segments))
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

    # -- service invocation (https://docs.dapr.io/reference/api/service_invocation_api/)

    async def _invoke(self, call: _Call, app_id: str, method: str) -> httpx.Response:
        """Forward the call to the app: verb, path, query, headers and body as sent;
        its answer comes back unchanged (errors too)."""
        app = self.apps.get(app_id)
        if app is None and app_id == self.app_id:
            app = self.app
        if app is None:
            message = (
                f"failed to invoke, id: {app_id}, err: couldn't find service: {app_id}"
            )
            return _error(500, "ERR_DIRECT_INVOKE", message)
        dropped = _HOP_HEADERS | {"dapr-app-id", "dapr-api-token"}
        headers = [
            (name, value)
            for name, value in call.headers.multi_items()
            if name.lower() not in dropped
        ]
        headers += [("dapr-caller-app-id", self.app_id), ("dapr-callee-app-id", app_id)]
        target = "/" + method + (f"?{call.query_string}" if call.query else "")
        answer = await self._call_app(app, call.method, target, headers, call.body)
        self.invocations.append(
            Invocation(app_id, call.method, target, answer.status_code)
        )
        kept = [
            (name, value)
            for name, value in answer.headers.multi_items()
            if name.lower() not in _HOP_HEADERS
        ]
        return httpx.Response(answer.status_code, headers=kept, content=answer.content)
