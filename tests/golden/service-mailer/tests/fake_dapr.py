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

- `deliver()` feed it pub/sub events
  and read its answers;

Answered (daprd 1.16 and newer; the alpha and the stable routes both work):

- health (`/v1.0/healthz`, `/v1.0/healthz/outbound`; `healthy = False` fails them) and
  shutdown
- output bindings: recorded in `binding_calls`, answered from `binding_replies`

Where daprd's behaviour depends on the component, the fake behaves like the components
`dapr init` sets up (Redis).
Any component name works unless the constructor lists the names, and then others fail
as daprd fails them.

What it does not model of daprd's own timing:

- redelivery: an event the app answers RETRY (or 500, 422...) is delivered once and
  left for the test to assert on; daprd redelivers it as the component and the
  resiliency policy say, then sends it to the dead-letter topic. DROP, and a 404
  (daprd 1.18), go to the dead-letter topic at once, here too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
        "configuration",
        "invoke",
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


# -- Pub/sub --------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_type(content_type: str, expected: str) -> bool:
    """Media type equality, parameters such as charset ignored."""
    return content_type.split(";", 1)[0].strip().lower() == expected


def _cloud_event(
    *,
    source: str,
    pubsub: str,
    topic: str,
    body: bytes,
    content_type: str,
    metadata: dict[str, str],
) -> dict[str, JSONValue]:
    """The CloudEvent 1.0 daprd makes of a published body (dapr/dapr
    pkg/runtime/pubsub/cloudevents.go, NewCloudEvent).

    application/cloudevents+json bodies are the event (Dapr fills `topic`,
    `pubsubname` and missing attributes); any other body becomes `data` (JSON parsed,
    octet-stream as `data_base64`, anything else as text). `cloudevent.<attribute>`
    metadata overrides the id, source and type; `ttlInSeconds` adds `expiration`.
    Raises ValueError for a CloudEvent body that is not a JSON object.
    """
    now = _rfc3339(datetime.now(UTC))
    if _is_type(content_type, "application/cloudevents+json"):
        event = json.loads(body)
        if not isinstance(event, dict):
            raise ValueError("a CloudEvent must be a JSON object")
        event.update(topic=topic, pubsubname=pubsub)
        for name, default in (
            ("source", "Dapr"),
            ("type", "com.dapr.event.sent"),
            ("specversion", "1.0"),
            ("traceid", ""),
            ("traceparent", ""),
            ("tracestate", ""),
            ("time", now),
        ):
            if event.get(name) is None:
                event[name] = default
        return event
    overrides = {
        name.lower().removeprefix("cloudevent."): value
        for name, value in metadata.items()
        if name.lower().startswith("cloudevent.")
    }
    data_type = content_type or "text/plain"
    event = {
        "id": overrides.get("id") or str(uuid.uuid4()),
        "specversion": "1.0",
        "datacontenttype": data_type,
        "source": overrides.get("source") or source,
        "type": overrides.get("type") or "com.dapr.event.sent",
        "topic": topic,
        "pubsubname": pubsub,
        "traceid": "",
        "traceparent": "",
        "tracestate": "",
        "time": now,
    }
    if _is_type(data_type, _JSON):
        try:
            event["data"] = json.loads(body)
        except ValueError:
            event["data"] = body.decode("utf-8", "replace")
    elif _is_type(data_type, "application/octet-stream"):
        event["data_base64"] = base64.b64encode(body).decode("ascii")
    else:
        event["data"] = body.decode("utf-8", "replace")
    ttl = metadata.get("ttlInSeconds", "")
    if ttl.isdigit() and int(ttl) > 0:
        expires = datetime.now(UTC) + timedelta(seconds=int(ttl))
        event["expiration"] = _rfc3339(expires)
    return event


def _event_payload(event: dict[str, JSONValue]) -> JSONValue:
    """A CloudEvent's payload: `data`, or `data_base64` decoded to bytes."""
    if "data_base64" in event:
        return base64.b64decode(str(event["data_base64"]))
    return event.get("data")


# -- Output bindings ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BindingCall:
    """One output binding invocation. daprd re-serializes `data` as JSON before the
    component sees it, so a string arrives quoted."""

    name: str
    operation: str
    data: JSONValue
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class BindingReply:
    """What a binding answers: `data` (None: nothing, and the sidecar answers 204),
    `metadata` (sent back as `metadata.<key>` headers), or an `error` (500)."""

    data: bytes | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    error: str | None = None


# -- Delivery to the app --------------------------------------------------------------

Verdict = Literal["SUCCESS", "RETRY", "DROP"]


@dataclass(frozen=True, slots=True)
class Subscription:
    """One entry of the app's `GET /dapr/subscribe` answer: a programmatic
    subscription (https://docs.dapr.io/reference/api/pubsub_api/)."""

    pubsubname: str
    topic: str
    routes: tuple[tuple[str, str], ...]  # (CEL match, path); "" matches any event
    metadata: dict[str, str] = field(default_factory=dict)
    bulk: bool = False
    dead_letter_topic: str = ""

    @property
    def raw_payload(self) -> bool:
        return self.metadata.get("rawPayload", "").lower() == "true"


@dataclass(frozen=True, slots=True)
class Delivery:
    """The app's answer to one event, read as daprd reads it.

    `status`: SUCCESS (a 2xx with no status, or "SUCCESS"), DROP ("DROP", or a 404:
    daprd drops the event), RETRY (any other status in the body, or any other HTTP
    status, FastAPI's 422 included: daprd would redeliver it).
    """

    pubsub: str
    topic: str
    route: str
    http_status: int
    status: Verdict
    event: dict[str, JSONValue]
    body: bytes


class NoSubscriptionError(LookupError):
    """The app's `/dapr/subscribe` lists no subscription for the topic."""


_COMPARISON = re.compile(
    r"\s*event\.(?P<path>[A-Za-z_][\w.]*)\s*(?P<op>==|!=)\s*(?P<value>.+?)\s*"
)


def _cel_literal(text: str) -> JSONValue:
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return json.loads(text)


def _rule_matches(expression: str, event: dict[str, JSONValue]) -> bool:
    """Routing rules are CEL expressions over the CloudEvent (see "How to: Route
    messages to different event handlers" in https://docs.dapr.io).

    The fake understands `event.<attribute> == <literal>` and `!=`, joined by `&&` and
    `||` without parentheses; anything else raises ValueError.
    """
    if not expression.strip():
        return True
    for alternative in expression.split("||"):
        found = True
        for condition in alternative.split("&&"):
            match = _COMPARISON.fullmatch(condition)
            if match is None:
                raise ValueError(
                    f"FakeDapr cannot evaluate the routing rule {expression!r}: "
                    "it understands event.<attribute> ==/!= <literal>, && and ||"
                )
            try:
                expected = _cel_literal(match["value"])
            except ValueError as exc:
                raise ValueError(f"unsupported literal in {expression!r}") from exc
            actual = _lookup_event(event, match["path"])
            equal = actual == expected
            found = found and (equal if match["op"] == "==" else not equal)
        if found:
            return True
    return False


def _lookup_event(event: dict[str, JSONValue], path: str) -> JSONValue:
    current: JSONValue = event
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _text(raw: dict[str, JSONValue], key: str) -> str:
    value = raw.get(key) or ""
    if not isinstance(value, str):
        raise ValueError(f"/dapr/subscribe: {key!r} must be a string")
    return value


def _subscription(raw: object) -> Subscription | None:
    """One `/dapr/subscribe` entry; None when it has no route (daprd drops it)."""
    if not isinstance(raw, dict):
        raise ValueError("/dapr/subscribe must answer a JSON array of objects")
    metadata = _string_map(raw.get("metadata"))
    if metadata is None:
        # daprd fails to decode the whole answer and the app gets no events at all.
        raise ValueError(
            "/dapr/subscribe: metadata values must be strings; daprd would drop "
            "every subscription of this app"
        )
    routes_raw = raw.get("routes") or {}
    if not isinstance(routes_raw, dict):
        raise ValueError("/dapr/subscribe: routes must be an object")
    routes = [
        (_text(rule, "match"), _text(rule, "path"))
        for rule in routes_raw.get("rules") or []
        if isinstance(rule, dict)
    ]
    # routes.default takes precedence over route.
    fallback = _text(routes_raw, "default") or _text(raw, "route")
    if fallback:
        routes.append(("", fallback))
    if not routes:
        return None
    bulk = raw.get("bulkSubscribe") or {}
    return Subscription(
        pubsubname=_text(raw, "pubsubname"),
        topic=_text(raw, "topic"),
        routes=tuple(routes),
        metadata=metadata,
        bulk=isinstance(bulk, dict) and bulk.get("enabled") is True,
        dead_letter_topic=_text(raw, "deadLetterTopic"),
    )


def _verdict(status_code: int, body: bytes) -> Verdict:
    """How daprd reads the app's answer to an event (dapr/dapr
    pkg/runtime/subscription/postman/http)."""
    if status_code == 404:
        return "DROP"
    if not 200 <= status_code <= 299:
        return "RETRY"
    try:
        answer = json.loads(body)
    except ValueError:
        return "SUCCESS"
    if not isinstance(answer, dict):
        return "SUCCESS"
    # Go matches the field name in any case; the value is case-sensitive.
    status = next((v for k, v in answer.items() if k.lower() == "status"), None)
    if not isinstance(status, str) or status in ("", "SUCCESS"):
        return "SUCCESS"
    return "DROP" if status == "DROP" else "RETRY"


def _bulk_verdicts(status_code: int, body: bytes, ids: list[str]) -> list[Verdict]:
    """Per-entry answers to a bulk delivery; a missing or unknown one is RETRY."""
    if status_code == 404:
        return ["DROP"] * len(ids)
    try:
        if not 200 <= status_code <= 299:
            return ["RETRY"] * len(ids)
        answer = json.loads(body)
        statuses = {s["entryId"]: s.get("status") for s in answer["statuses"]}
    except (ValueError, KeyError, TypeError):
        return ["RETRY"] * len(ids)
    known: dict[object, Verdict] = {"SUCCESS": "SUCCESS", "DROP": "DROP"}
    return [known.get(statuses.get(entry_id), "RETRY") for entry_id in ids]


# -- The sidecar ----------------------------------------------------------------------


class FakeDapr:
    """An in-memory Dapr sidecar, as an httpx transport.

    Give a client `httpx.AsyncClient(transport=fake.transport)` and
    `DaprSettings(http_endpoint=fake.base_url)`, or use `fake.http_client()`. Set
    `fake.app` to the app under test. What went through the sidecar stays here for
    assertions:

    - `requests`: every request the client sent;
    - `binding_calls`: output binding invocations (`binding_calls_to(name, op)`);
    - `deliveries`: the app's answers to the events delivered to it.
    """

    base_url = "http://127.0.0.1:3500"

    def __init__(
        self,
        *,
        app_id: str = "app",
        app: ASGIApp | None = None,
        app_api_token: str | None = None,
        api_token: str | None = None,
        bindings: Iterable[str] | None = None,
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
        self.bindings: set[str] | None = None if bindings is None else set(bindings)
        self.binding_replies: dict[str, BindingReply] = {}
        self.binding_calls: list[BindingCall] = []
        self.deliveries: list[Delivery] = []
        self._subscriptions: list[Subscription] | None = None

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
            case ("POST" | "PUT", ("v1.0", "bindings", name)):
                return await self._invoke_binding(call, _param(name))
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

    # -- output bindings (https://docs.dapr.io/reference/api/bindings_api/) ----------

    def binding_calls_to(
        self, name: str, operation: str | None = None
    ) -> list[BindingCall]:
        """The invocations of output binding `name` (of one `operation` if given),
        in order: what a handler test asserts, e.g. the email it sent."""
        return [
            c
            for c in self.binding_calls
            if c.name == name and (operation is None or c.operation == operation)
        ]

    async def _invoke_binding(self, call: _Call, name: str) -> httpx.Response:
        try:
            body = _loads(call.body) or {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            metadata = _string_map(body.get("metadata"))
            operation = body.get("operation") or ""
            if metadata is None or not isinstance(operation, str):
                raise ValueError("operation and metadata values must be strings")
        except ValueError as exc:
            return _malformed(f"failed deserializing HTTP body: {exc}")
        if self.bindings is not None and name not in self.bindings:
            message = f"error invoking output binding {name}: couldn't find {name}"
            return _error(500, "ERR_INVOKE_OUTPUT_BINDING", message)
        self.binding_calls.append(
            BindingCall(name, operation, body.get("data"), metadata)
        )
        reply = self.binding_replies.get(name, BindingReply())
        headers = {f"metadata.{k}": v for k, v in reply.metadata.items()}
        if reply.error is not None:
            message = f"error invoking output binding {name}: {reply.error}"
            response = _error(500, "ERR_INVOKE_OUTPUT_BINDING", message)
            response.headers.update(headers)
            return response
        if reply.data is None:
            return httpx.Response(204, headers=headers)
        headers["content-type"] = _JSON
        return httpx.Response(200, headers=headers, content=reply.data)

    # -- pub/sub delivery to the app (https://docs.dapr.io/reference/api/pubsub_api/)

    async def subscriptions(self) -> list[Subscription]:
        """The app's programmatic subscriptions: `GET /dapr/subscribe`, read once
        (daprd reads it at startup). A 404 or any non-200 answer means none."""
        if self._subscriptions is None:
            headers = [("content-type", _JSON), ("dapr-app-id", self.app_id)]
            answer = await self._call_app(self.app, "GET", "/dapr/subscribe", headers)
            found: list[Subscription] = []
            if answer.status_code == 200 and answer.content.strip():
                listed = answer.json()
                if not isinstance(listed, list):
                    raise ValueError("/dapr/subscribe must answer a JSON array")
                found = [s for s in map(_subscription, listed) if s is not None]
            self._subscriptions = found
        return self._subscriptions

    async def _subscription_for(self, pubsub: str, topic: str) -> Subscription | None:
        for subscription in await self.subscriptions():
            if (subscription.pubsubname, subscription.topic) == (pubsub, topic):
                return subscription
        return None

    async def deliver(
        self,
        pubsub: str,
        topic: str,
        data: object,
        *,
        id: str | None = None,
        type: str = "com.dapr.event.sent",
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Delivery:
        """Deliver one event to the app as daprd delivers a published one, and read
        its answer.

        `data` becomes the CloudEvent's `data`: JSON (a Pydantic model as its JSON),
        str as text/plain, bytes as application/octet-stream, unless `content_type`
        says otherwise. `id` and `type` set those CloudEvent attributes. The
        event goes to the route the app's subscription picks (routing rules, then
        the default), with Content-Type application/cloudevents+json; a bulk
        subscription gets a one-entry bulk request. NoSubscriptionError when the app
        does not subscribe to the topic.
        """
        dump = getattr(data, "model_dump", None)
        if callable(dump):  # a Pydantic model, without importing pydantic here
            data = dump(mode="json", by_alias=True)
        if isinstance(data, bytes):
            body, default_type = data, "application/octet-stream"
        elif isinstance(data, str):
            body, default_type = data.encode(), "text/plain"
        else:
            body, default_type = _json_bytes(data), _JSON
        attributes = dict(metadata or {})
        attributes["cloudevent.type"] = type
        if id is not None:
            attributes["cloudevent.id"] = id
        event = _cloud_event(
            source=self.app_id,
            pubsub=pubsub,
            topic=topic,
            body=body,
            content_type=content_type or default_type,
            metadata=attributes,
        )
        subscription = await self._subscription_for(pubsub, topic)
        if subscription is None:
            raise NoSubscriptionError(
                f"the app does not subscribe to {topic!r} on {pubsub!r}; "
                f"it subscribes to {await self._topics()}"
            )
        return await self._deliver(subscription, event, _json_bytes(event))

    async def _topics(self) -> list[tuple[str, str]]:
        return [(s.pubsubname, s.topic) for s in await self.subscriptions()]

    async def _deliver(
        self, subscription: Subscription, event: dict[str, JSONValue], message: bytes
    ) -> Delivery:
        if subscription.raw_payload:
            # The subscriber asked for the broker's bytes: daprd wraps them itself.
            event = {
                "id": str(uuid.uuid4()),
                "specversion": "1.0",
                "datacontenttype": "application/octet-stream",
                "source": "Dapr",
                "type": "com.dapr.event.sent",
                "topic": subscription.topic,
                "pubsubname": subscription.pubsubname,
                "data_base64": base64.b64encode(message).decode("ascii"),
            }
        route = next(
            (path for rule, path in subscription.routes if _rule_matches(rule, event)),
            None,
        )
        if route is None:
            raise NoSubscriptionError(
                f"no routing rule of {subscription.topic!r} matches the event and "
                "there is no default route: daprd would drop it"
            )
        headers = [("pubsubname", subscription.pubsubname)]
        if event.get("traceparent"):
            headers.append(("traceparent", str(event["traceparent"])))
        if subscription.bulk:
            entry_id = str(uuid.uuid4())
            content_type = "application/cloudevents+json"
            bulk = {
                "id": str(uuid.uuid4()),
                "type": "com.dapr.event.sent.bulk",
                "topic": subscription.topic,
                "pubsubname": subscription.pubsubname,
                "metadata": {},
                "entries": [
                    {
                        "entryId": entry_id,
                        "event": event,
                        "metadata": {},
                        "contentType": content_type,
                    }
                ],
            }
            headers.append(("content-type", _JSON))
            answer = await self._call_app(
                self.app, "POST", route, headers, _json_bytes(bulk)
            )
            (verdict,) = _bulk_verdicts(answer.status_code, answer.content, [entry_id])
        else:
            headers.append(("content-type", "application/cloudevents+json"))
            answer = await self._call_app(
                self.app, "POST", route, headers, _json_bytes(event)
            )
            verdict = _verdict(answer.status_code, answer.content)
        delivery = Delivery(
            subscription.pubsubname,
            subscription.topic,
            route,
            answer.status_code,
            verdict,
            event,
            answer.content,
        )
        self.deliveries.append(delivery)
        return delivery
