"""The delivery every contender gets: a CloudEvent as the sidecar posts it to a subscription route.

Shape of a JSON publish after the runtime wrapped it (dapr/dapr pkg/runtime/pubsub/cloudevents.go): the data, the
envelope fields, trace context and the time. Each delivery has a fresh id, so idempotency records a new event every
time instead of answering from its "done" path.
"""

from __future__ import annotations

import itertools
import json

PUBSUB = "pubsub"
TOPIC = "orders"
ROUTE = "/orders"
HEADERS = {"content-type": "application/cloudevents+json", "pubsubname": PUBSUB}
_TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _template() -> bytes:
    event = {
        "data": {"id": "order-1", "customer": "c-42", "total": 12.5, "items": ["tea", "cake"]},
        "datacontenttype": "application/json",
        "id": "@ID@",
        "pubsubname": PUBSUB,
        "source": "checkout",
        "specversion": "1.0",
        "time": "2026-01-01T12:00:00Z",
        "topic": TOPIC,
        "traceid": _TRACE,
        "traceparent": _TRACE,
        "tracestate": "",
        "type": "com.dapr.event.sent",
    }
    return json.dumps(event, separators=(",", ":")).encode()


_HEAD, _TAIL = _template().split(b"@ID@")
_ids = itertools.count()


def delivery() -> bytes:
    """The next body: the same event with a new id (a uuid4-length string, like the runtime's)."""
    return b"%s%036d%s" % (_HEAD, next(_ids), _TAIL)


def is_success(status: int, body: bytes) -> bool:
    """Dapr's reading of an answer (pkg/runtime/subscription/postman/http/http.go): 200 with status SUCCESS."""
    if status != 200:
        return False
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("status") == "SUCCESS"
