"""Publishing (references/dapr-contract.md §3): CloudEvent wrapping decided by Content-Type, raw payloads, bulk publish.

The double's broker keeps every message exactly as Dapr hands it to the component (the marshalled envelope, or the
raw body with ``metadata.rawPayload=true``), plus the envelope as a dict and the request metadata for assertions.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tools.standin import gojson, timeutil, wire
from tools.standin.core import SidecarConfig
from tools.standin.gojson import GoJSONError
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_OVERRIDES = ("id", "source", "type", "traceid", "traceparent", "tracestate")


def parse_bool(value: str) -> bool:
    """Go ``strconv.ParseBool``."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def _is_type(content_type: str, expected: str) -> bool:
    """components-contrib ``isContentType``: case-insensitive, parameters after ``;`` ignored."""
    return content_type.lower().split(";", 1)[0] == expected


def is_json(content_type: str) -> bool:
    return _is_type(content_type, "application/json")


def is_cloudevent(content_type: str) -> bool:
    return _is_type(content_type, "application/cloudevents+json")


def is_binary(content_type: str) -> bool:
    return _is_type(content_type, "application/octet-stream")


def is_string_type(content_type: str) -> bool:
    return content_type.lower().startswith("text/") or _is_type(content_type, "application/xml")


@dataclass(slots=True)
class PublishedMessage:
    """One message as the broker received it."""

    pubsub: str
    topic: str
    data: bytes
    envelope: dict[str, Any] | None
    metadata: dict[str, str]
    content_type: str
    raw_payload: bool
    entry_id: str | None = None
    dead_lettered_from: str | None = None

    def json(self) -> Any:
        """The broker payload decoded (the CloudEvent for wrapped messages)."""
        import json

        return json.loads(self.data)


@dataclass(slots=True)
class Outage:
    """The broker refusing connections until `until` (time.monotonic()): every publish fails, nothing is
    delivered (a test's broker outage)."""

    until: float = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self, seconds: float) -> None:
        self.until = max(self.until, time.monotonic() + seconds)


@dataclass(slots=True)
class Broker:
    """All published messages plus per-topic queues awaiting delivery."""

    messages: list[PublishedMessage] = field(default_factory=list)
    queues: dict[tuple[str, str], deque[PublishedMessage]] = field(default_factory=dict)
    failing_topics: set[tuple[str, str]] = field(default_factory=set)
    outage: Outage = field(default_factory=Outage)

    def refuses(self, pubsub: str, topic: str) -> bool:
        return (pubsub, topic) in self.failing_topics or self.outage.active()

    def put(self, msg: PublishedMessage) -> None:
        self.messages.append(msg)
        self.queues.setdefault((msg.pubsub, msg.topic), deque()).append(msg)

    def on(self, pubsub: str, topic: str) -> list[PublishedMessage]:
        return [m for m in self.messages if m.pubsub == pubsub and m.topic == topic]


def _ttl_seconds(metadata: dict[str, str]) -> float | None:
    """``TryGetTTL``: ``ttl`` (Go duration or seconds) or ``ttlInSeconds``; invalid values are ignored."""
    lowered = {k.lower(): v for k, v in metadata.items()}
    value = lowered.get("ttl") or lowered.get("ttlinseconds") or ""
    if not value:
        return None
    duration = timeutil.parse_go_duration(value)
    if duration is not None:
        return max(duration, 0.0)
    try:
        seconds = int(value)
    except ValueError:
        return None
    return float(seconds) if seconds > 0 else None


def apply_metadata(envelope: dict[str, Any], metadata: dict[str, str]) -> None:
    """``pubsub.ApplyMetadata``: the component has no native TTL, so Dapr adds ``expiration`` (§3.1)."""
    ttl = _ttl_seconds(metadata)
    if ttl is not None:
        envelope["expiration"] = timeutil.rfc3339(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl))


def new_cloud_event(
    *, app_id: str, topic: str, pubsub: str, content_type: str, body: bytes, trace: str, metadata: dict[str, str]
) -> dict[str, Any]:
    """``runtimePubsub.NewCloudEvent`` (§3.1); raises GoJSONError for an unusable CloudEvent body."""
    if is_cloudevent(content_type):
        event = gojson.decode_first(body, use_number=True)
        if not isinstance(event, dict):
            raise GoJSONError("cloudevent body is not a JSON object")
        event["topic"] = topic
        event["pubsubname"] = pubsub
        for name in ("traceid", "traceparent"):
            event.setdefault(name, trace)
        event.setdefault("tracestate", "")
        event.setdefault("time", timeutil.now_rfc3339())
        for name, default in (("source", "Dapr"), ("type", "com.dapr.event.sent"), ("specversion", "1.0")):
            if event.get(name) is None:
                event[name] = default
        return event
    overrides = {k.lower()[len("cloudevent.") :]: v for k, v in metadata.items() if k.lower().startswith("cloudevent.")}
    fields = {"id": "", "source": app_id, "type": "", "traceid": trace, "traceparent": "", "tracestate": ""}
    for name in _OVERRIDES:
        if name in overrides:
            fields[name] = overrides[name]
    if fields["traceparent"]:
        fields["traceid"] = fields["traceparent"]
    data_type = content_type or "text/plain"
    event = {
        "id": fields["id"] or str(uuid.uuid4()),
        "specversion": "1.0",
        "datacontenttype": data_type,
        "source": fields["source"] or "Dapr",
        "type": fields["type"] or "com.dapr.event.sent",
        "topic": topic,
        "pubsubname": pubsub,
        "traceid": fields["traceid"],
        "traceparent": fields["traceid"],
        "tracestate": fields["tracestate"],
        "time": timeutil.now_rfc3339(),
    }
    if is_json(data_type):
        try:
            event["data"] = gojson.decode_first(body, use_number=True)
        except GoJSONError:
            event["data"] = body.decode("utf-8", "replace")
    elif is_binary(data_type):
        event["data_base64"] = base64.b64encode(body).decode("ascii")
    else:
        event["data"] = body.decode("utf-8", "replace")
    return event


class PubSubBlock:
    """``/v1.0/publish`` and bulk publish."""

    def __init__(self, config: SidecarConfig, pubsubs: Iterable[str], broker: Broker) -> None:
        self.config = config
        self.pubsubs = set(pubsubs)
        self.broker = broker

    def routes(self) -> list[Route]:
        out = [
            route(["POST", "PUT"], "/v1.0/publish/{pubsubname}/*", self.publish, "PublishEvent"),
            route(["POST", "PUT"], "/v1.0-alpha1/publish/bulk/{pubsubname}/*", self.bulk_publish, "BulkPublish"),
        ]
        if self.config.at_least(17):  # §17: bulk publish v1.0 from 1.17
            out.append(route(["POST", "PUT"], "/v1.0/publish/bulk/{pubsubname}/*", self.bulk_publish, "BulkPublish"))
        return out

    def _validate(self, params: dict[str, str]) -> tuple[str, str] | Response:
        name = params["pubsubname"]
        if not name:
            return wire.error(404, "ERR_PUBSUB_EMPTY", "pubsub name is empty", reason="DAPR_PUBSUB_NAME_EMPTY")
        if name not in self.pubsubs:
            return wire.error(
                404, "ERR_PUBSUB_NOT_FOUND", f"pubsub {name} is not found", reason="DAPR_PUBSUB_NOT_FOUND"
            )
        topic = params.get("wildcard", "")
        if not topic:
            return wire.error(
                404, "ERR_TOPIC_NAME_EMPTY", f"topic is empty in pubsub {name}", reason="DAPR_PUBSUB_TOPIC_NAME_EMPTY"
            )
        return name, topic

    def _raw_payload(self, metadata: dict[str, str]) -> bool | Response:
        value = metadata.get("rawPayload")
        if value is None or value == "":
            return False
        try:
            return parse_bool(value)
        except ValueError as exc:
            return wire.error(
                400, "ERR_PUBSUB_REQUEST_METADATA", f"failed deserializing metadata. Error: {exc}",
                reason="DAPR_PUBSUB_METADATA_DESERIALIZATION",
            )  # fmt: skip

    def _trace(self, req: Request) -> str:
        return timeutil.child_traceparent(req.headers.get("traceparent")) if self.config.tracing else ""

    def _publish_error(self, pubsub: str, topic: str) -> Response:
        return wire.error(
            500, "ERR_PUBSUB_PUBLISH_MESSAGE",
            f"error when publishing to topic {topic} in pubsub {pubsub}: "
            + ("connection refused (broker outage)" if self.broker.outage.active() else "broker failure (injected)"),
            reason="DAPR_PUBSUB_PUBLISH_MESSAGE",
        )  # fmt: skip

    def _checked_request(
        self, req: Request, params: dict[str, str]
    ) -> tuple[str, str, dict[str, str], bool] | Response:
        """What publish and bulk publish check first (§3.1, §3.2): names, then `metadata.rawPayload`."""
        valid = self._validate(params)
        if isinstance(valid, Response):
            return valid
        metadata = req.metadata()
        raw = self._raw_payload(metadata)
        if isinstance(raw, Response):
            return raw
        return (*valid, metadata, raw)

    async def publish(self, req: Request, params: dict[str, str]) -> Response:
        checked = self._checked_request(req, params)
        if isinstance(checked, Response):
            return checked
        pubsub, topic, metadata, raw = checked
        envelope: dict[str, Any] | None = None
        data = req.body
        if not raw:
            try:
                envelope = new_cloud_event(
                    app_id=self.config.app_id, topic=topic, pubsub=pubsub, content_type=req.content_type,
                    body=req.body, trace=self._trace(req), metadata=metadata,
                )  # fmt: skip
            except GoJSONError:
                return wire.error(
                    500, "ERR_PUBSUB_CLOUD_EVENTS_SER", "cannot create cloudevent",
                    reason="DAPR_PUBSUB_CLOUD_EVENT_CREATION",
                )  # fmt: skip
            apply_metadata(envelope, metadata)
            data = gojson.marshal(envelope)
        if self.broker.refuses(pubsub, topic):
            return self._publish_error(pubsub, topic)
        self.broker.put(PublishedMessage(pubsub, topic, data, envelope, metadata, req.content_type, raw))
        return wire.empty()

    async def bulk_publish(self, req: Request, params: dict[str, str]) -> Response:
        checked = self._checked_request(req, params)
        if isinstance(checked, Response):
            return checked
        pubsub, topic, metadata, raw = checked

        def fail(reason: str, message: str) -> Response:
            return wire.error(
                400, "ERR_PUBSUB_EVENTS_SER", message, reason=reason, metadata={"appID": self.config.app_id}
            )

        try:
            entries = gojson.decode_first(req.body)
            if entries is not None and not isinstance(entries, list):
                raise GoJSONError("json: cannot unmarshal into Go value of type []http.bulkPublishMessageEntry")
            decoded = []
            for entry in entries or []:
                if not isinstance(entry, dict):
                    raise GoJSONError("json: cannot unmarshal into Go value of type http.bulkPublishMessageEntry")
                decoded.append((
                    gojson.opt_str(entry, "entryId", "bulkPublishMessageEntry") or "",
                    gojson.field(entry, "event"),
                    gojson.opt_str(entry, "contentType", "bulkPublishMessageEntry") or "",
                    gojson.opt_str_map(entry, "metadata", "bulkPublishMessageEntry"),
                ))  # fmt: skip
        except GoJSONError as exc:
            return fail(
                "DAPR_PUBSUB_UNMARSHAL_EVENTS",
                f"error when unmarshaling the request for topic {topic} pubsub {pubsub}: {exc}",
            )
        seen: set[str] = set()
        prepared: list[tuple[str, bytes, str, dict[str, str] | None]] = []
        for entry_id, event, content_type, entry_meta in decoded:
            try:
                payload = convert_event(event, content_type)
            except ValueError as exc:
                return fail(
                    "DAPR_PUBSUB_MARSHAL_ENVELOPE",
                    f"error when marshalling cloud event envelope for topic {topic} pubsub {pubsub}: {exc}",
                )
            if not entry_id or entry_id in seen:
                return fail(
                    "DAPR_PUBSUB_MARSHAL_EVENTS",
                    f"error marshaling events to bytes for topic {topic} pubsub {pubsub}. "
                    "error: entryId is duplicated or not present for entry",
                )
            seen.add(entry_id)
            merged = {**metadata, **entry_meta} if entry_meta is not None else None
            prepared.append((entry_id, payload, content_type, merged))
        if self.broker.refuses(pubsub, topic):
            failed = [gojson.Struct(entryId=e[0], error="broker failure (injected)") for e in prepared]
            body = gojson.Struct(failedEntries=failed, errorCode="ERR_PUBSUB_PUBLISH_MESSAGE")
            return wire.data(500, gojson.marshal(body))
        for entry_id, payload, content_type, entry_meta in prepared:
            envelope: dict[str, Any] | None = None
            data = payload
            if not raw:
                envelope = new_cloud_event(
                    app_id=self.config.app_id, topic=topic, pubsub=pubsub, content_type=content_type,
                    body=payload, trace=self._trace(req), metadata=entry_meta or {},
                )  # fmt: skip
                apply_metadata(envelope, entry_meta or {})
                data = gojson.marshal(envelope)
            self.broker.put(
                PublishedMessage(pubsub, topic, data, envelope, entry_meta or {}, content_type, raw, entry_id)
            )
        return wire.empty()


def convert_event(event: Any, content_type: str) -> bytes:
    """``ConvertEventToBytes`` (§3.2): binary needs base64 text, ``text/*`` a string, JSON is marshalled."""
    mismatch = "error: mismatch between contentType and event"
    if is_binary(content_type):
        if not isinstance(event, str):
            raise ValueError(mismatch)
        try:
            return base64.b64decode(event, validate=True)
        except ValueError as exc:
            raise ValueError(f"error: unable to decode base64 application/octect-stream data: {exc}") from exc
    if is_string_type(content_type):
        if not isinstance(event, str):
            raise ValueError(mismatch)
        return event.encode()
    if is_json(content_type) or is_cloudevent(content_type):
        return gojson.marshal(event)
    raise ValueError(mismatch)
