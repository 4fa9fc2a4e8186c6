"""Publishing (references/dapr-contract.md §3; pitfalls 3, 12, 21)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid

import httpx
import pytest

from tools.standin import SidecarDouble

pytestmark = pytest.mark.anyio

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


async def test_json_body_is_wrapped_in_cloudevent(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """§3.1: application/json -> data is the parsed JSON; id uuid, source app id, time RFC3339; 204 no body."""
    r = await client.post("/v1.0/publish/pubsub/orders", json={"orderId": 12345678901234567890})
    assert (r.status_code, r.content) == (204, b"")
    (msg,) = double.published
    assert (msg.pubsub, msg.topic, msg.raw_payload) == ("pubsub", "orders", False)
    ce = msg.json()
    assert ce["data"] == {"orderId": 12345678901234567890}  # UseNumber keeps precision
    assert ce["datacontenttype"] == "application/json"
    assert (ce["source"], ce["type"], ce["specversion"]) == ("myapp", "com.dapr.event.sent", "1.0")
    assert (ce["topic"], ce["pubsubname"]) == ("orders", "pubsub")
    assert ce["traceid"] == ce["traceparent"] == ""
    uuid.UUID(ce["id"])
    assert RFC3339.match(ce["time"])
    expected = (
        '{"data":{"orderId":12345678901234567890},"datacontenttype":"application/json",'
        f'"id":"{ce["id"]}","pubsubname":"pubsub","source":"myapp","specversion":"1.0","time":"{ce["time"]}",'
        '"topic":"orders","traceid":"","traceparent":"","tracestate":"","type":"com.dapr.event.sent"}'
    )
    assert msg.data == expected.encode()


async def test_no_content_type_means_text_plain_string(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """Pitfall 3: content= without a Content-Type -> datacontenttype text/plain and data is a string."""
    await client.post("/v1.0/publish/pubsub/orders", content=b'{"a":1}')
    ce = double.published[0].envelope
    assert ce is not None
    assert (ce["datacontenttype"], ce["data"]) == ("text/plain", '{"a":1}')


async def test_json_charset_is_json_but_plus_json_is_not(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    await client.post(
        "/v1.0/publish/pubsub/t", content=b"[1]", headers={"content-type": "application/json; charset=utf-8"}
    )
    await client.post("/v1.0/publish/pubsub/t", content=b"[1]", headers={"content-type": "application/vnd.x+json"})
    await client.post("/v1.0/publish/pubsub/t", content=b"not json", headers={"content-type": "application/json"})
    assert [m.json()["data"] for m in double.published] == [[1], "[1]", "not json"]


async def test_octet_stream_goes_to_data_base64(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    await client.post(
        "/v1.0/publish/pubsub/t", content=b"\x00\xff", headers={"content-type": "application/octet-stream"}
    )
    ce = double.published[0].json()
    assert "data" not in ce
    assert base64.b64decode(ce["data_base64"]) == b"\x00\xff"


async def test_cloudevents_passthrough_with_overrides(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """§3.1: application/cloudevents+json is taken as is; topic/pubsubname overwritten, defaults added."""
    event = {"id": "e1", "data": {"x": 1}, "topic": "other", "pubsubname": "other", "custom": "keep"}
    await client.post(
        "/v1.0/publish/pubsub/orders", json=event, headers={"content-type": "application/cloudevents+json"}
    )
    ce = double.published[0].json()
    assert (ce["id"], ce["topic"], ce["pubsubname"], ce["custom"]) == ("e1", "orders", "pubsub", "keep")
    assert (ce["source"], ce["type"], ce["specversion"]) == ("Dapr", "com.dapr.event.sent", "1.0")
    assert RFC3339.match(ce["time"])


async def test_raw_payload_and_invalid_bool(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """§3.1: metadata.rawPayload=true stores the body as is; an invalid bool is 400 ERR_PUBSUB_REQUEST_METADATA."""
    r = await client.post("/v1.0/publish/pubsub/t?metadata.rawPayload=true", content=b"raw!")
    assert r.status_code == 204
    assert (double.published[0].data, double.published[0].envelope) == (b"raw!", None)
    r = await client.post("/v1.0/publish/pubsub/t?metadata.rawPayload=yes", content=b"raw!")
    assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_PUBSUB_REQUEST_METADATA")
    r = await client.post("/v1.0/publish/pubsub/t?metadata.RawPayload=true", content=b"x")  # case-sensitive key
    assert double.published[-1].envelope is not None


async def test_ttl_and_cloudevent_overrides(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """§3.1: ttlInSeconds -> expiration; metadata.cloudevent.* override id/source/type/traceparent."""
    q = (
        "metadata.ttlInSeconds=60&metadata.cloudevent.id=my-id&metadata.cloudevent.source=src"
        "&metadata.cloudevent.type=t.x&metadata.cloudevent.traceparent=00-abc-def-01&metadata.partitionKey=p"
    )
    await client.post(f"/v1.0/publish/pubsub/t?{q}", json=1)
    msg = double.published[0]
    ce = msg.json()
    assert (ce["id"], ce["source"], ce["type"]) == ("my-id", "src", "t.x")
    assert ce["traceid"] == ce["traceparent"] == "00-abc-def-01"
    expires = dt.datetime.fromisoformat(ce["expiration"].replace("Z", "+00:00"))
    assert 50 < (expires - dt.datetime.now(dt.UTC)).total_seconds() <= 61
    assert msg.metadata["partitionKey"] == "p"


async def test_topic_may_contain_slashes_and_unknown_pubsub_is_404(
    client: httpx.AsyncClient, double: SidecarDouble
) -> None:
    await client.post("/v1.0/publish/pubsub/a/b%2Fc", json=1)
    assert double.published[0].topic == "a/b/c"
    r = await client.post("/v1.0/publish/nope/t", json=1)
    assert (r.status_code, r.json()["errorCode"]) == (404, "ERR_PUBSUB_NOT_FOUND")
    r = await client.post("/v1.0/publish/pubsub", json=1)  # no topic segment: no route
    assert r.json()["errorCode"] == "ERR_DIRECT_INVOKE"


async def test_broker_failure_is_500(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    double.broker.failing_topics.add(("pubsub", "t"))
    r = await client.post("/v1.0/publish/pubsub/t", json=1)
    assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_PUBSUB_PUBLISH_MESSAGE")


BULK = "/v1.0-alpha1/publish/bulk/pubsub/orders"


async def test_bulk_publish_wraps_each_entry(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """§3.2: array of {entryId, event, contentType, metadata?}; 204; per-entry metadata over query metadata."""
    entries = [
        {
            "entryId": "1",
            "event": {"orderId": 1},
            "contentType": "application/json",
            "metadata": {"ttlInSeconds": "30"},
        },
        {"entryId": "2", "event": "hello", "contentType": "text/plain"},
        {"entryId": "3", "event": "aGVsbG8=", "contentType": "application/octet-stream"},
    ]
    r = await client.post(f"{BULK}?metadata.k=v", json=entries)
    assert (r.status_code, r.content) == (204, b"")
    first, second, third = (m.json() for m in double.published)
    assert first["data"] == {"orderId": 1}
    assert "expiration" in first
    assert double.published[0].metadata == {"k": "v", "ttlInSeconds": "30"}
    assert (second["data"], second["datacontenttype"]) == ("hello", "text/plain")
    assert base64.b64decode(third["data_base64"]) == b"hello"
    assert [m.entry_id for m in double.published] == ["1", "2", "3"]


@pytest.mark.parametrize(
    "entries",
    [
        [{"event": 1, "contentType": "application/json"}],  # no entryId
        [{"entryId": "1", "event": 1, "contentType": "application/json"}] * 2,  # duplicate
        [{"entryId": "1", "event": 1}],  # contentType required
        [{"entryId": "1", "event": 1, "contentType": "text/plain"}],  # text needs a string
        [{"entryId": "1", "event": "%%%", "contentType": "application/octet-stream"}],  # base64 needed
        {"entryId": "1", "event": 1, "contentType": "application/json"},  # object instead of array
    ],
)
async def test_bulk_publish_validation_is_400(
    client: httpx.AsyncClient, double: SidecarDouble, entries: object
) -> None:
    r = await client.post(BULK, json=entries)
    assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_PUBSUB_EVENTS_SER")
    assert double.published == []


async def test_bulk_publish_raw_and_failure(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    await client.post(
        f"{BULK}?metadata.rawPayload=true",
        json=[{"entryId": "1", "event": {"a": 1}, "contentType": "application/json"}],
    )
    assert double.published[0].data == b'{"a":1}'
    double.broker.failing_topics.add(("pubsub", "orders"))
    r = await client.post(BULK, json=[{"entryId": "9", "event": 1, "contentType": "application/json"}])
    assert r.status_code == 500
    assert r.json()["failedEntries"][0]["entryId"] == "9"
    assert r.json()["errorCode"] == "ERR_PUBSUB_PUBLISH_MESSAGE"
