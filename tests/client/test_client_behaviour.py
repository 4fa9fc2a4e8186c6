"""The rendered default client against httpx.MockTransport: wire shapes and error handling (reference §1-11)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from tests.client.conftest import SIDECAR, Sidecar, client_for, dapr_error, json_response

pytestmark = pytest.mark.anyio


class Order(BaseModel):
    id: uuid.UUID
    placed_at: datetime
    total: Decimal


ORDER = Order(
    id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    placed_at=datetime(2025, 1, 31, 9, 30, tzinfo=UTC),
    total=Decimal("12.50"),
)
ORDER_JSON = {"id": "12345678-1234-5678-1234-567812345678", "placed_at": "2025-01-31T09:30:00Z", "total": "12.50"}
AWKWARD_KEY = "a/b c+d?e#f%g"
AWKWARD_RAW = "a%2Fb%20c%2Bd%3Fe%23f%25g"


def raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.decode().split("?", 1)[0]


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return request.url.params.multi_items()


# -- state ---------------------------------------------------------------------------------------------------------


async def test_get_state_of_a_missing_key_is_none_and_204_is_never_parsed(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        assert await client.get_state("statestore", "missing") is None
        assert await client.get_state_item("statestore", "missing") is None
    assert sidecar.last.method == "GET"
    assert raw_path(sidecar.last) == "/v1.0/state/statestore/missing"


async def test_get_state_item_exposes_the_etag_header(dapr: ModuleType) -> None:
    sidecar = Sidecar([json_response({"n": 1}, headers={"ETag": "7"})])
    async with client_for(dapr, sidecar) as client:
        item = await client.get_state_item("statestore", "k", consistency="strong", metadata={"partitionKey": "p"})
        assert await client.get_state("statestore", "k") == {"n": 1}
    assert item == dapr.StateItem("k", {"n": 1}, "7")
    assert query(sidecar.requests[0]) == [("metadata.partitionKey", "p"), ("consistency", "strong")]
    assert query(sidecar.requests[1]) == []


async def test_get_state_returns_raw_bytes_when_the_value_is_not_json(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(200, content=b"\x00not json")])
    async with client_for(dapr, sidecar) as client:
        assert await client.get_state("statestore", "k") == b"\x00not json"


async def test_save_state_sends_an_array_with_string_etag_options_and_metadata(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    async with client_for(dapr, sidecar) as client:
        await client.save_state(
            "statestore",
            "order-1",
            ORDER,
            etag="3",
            concurrency="first-write",
            consistency="strong",
            metadata={"contentType": "application/json", "big": 10**20, "flag": True},
            ttl_in_seconds=60,
        )
    assert sidecar.last.method == "POST"
    assert raw_path(sidecar.last) == "/v1.0/state/statestore"
    assert sidecar.last.headers["content-type"] == "application/json"
    assert sidecar.body() == [
        {
            "key": "order-1",
            "etag": "3",
            "metadata": {
                "contentType": "application/json",
                "big": "100000000000000000000",
                "flag": "true",
                "ttlInSeconds": "60",
            },
            "options": {"concurrency": "first-write", "consistency": "strong"},
            "value": ORDER_JSON,
        }
    ]


async def test_seed_signature_save_state_keeps_working_with_datetimes(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    async with client_for(dapr, sidecar) as client:
        await client.save_state("statestore", "k", {"when": datetime(2025, 1, 1, tzinfo=UTC), "id": uuid.UUID(int=1)})
    assert sidecar.body() == [
        {"key": "k", "value": {"when": "2025-01-01T00:00:00Z", "id": "00000000-0000-0000-0000-000000000001"}}
    ]


async def test_etag_mismatch_is_a_conflict_error_carrying_the_error_code(dapr: ModuleType) -> None:
    sidecar = Sidecar([dapr_error(409, "ERR_STATE_SAVE", "possible etag mismatch. error from state store")])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(dapr.DaprConflictError) as caught:
            await client.save_state("statestore", "k", 1, etag="1")
    error = caught.value
    assert isinstance(error, dapr.DaprError)
    assert (error.status_code, error.error_code) == (409, "ERR_STATE_SAVE")
    assert error.message.startswith("possible etag mismatch")
    assert len(sidecar.requests) == 1  # a conflict is never retried


async def test_delete_state_sends_the_etag_as_if_match_and_options_as_query(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    async with client_for(dapr, sidecar) as client:
        await client.delete_state("statestore", "k", etag="5", concurrency="first-write", metadata={"ttl": 1})
        await client.delete_state("statestore", "k")
    first, second = sidecar.requests
    assert first.method == "DELETE"
    assert first.headers["if-match"] == "5"
    assert first.content == b""
    assert query(first) == [("metadata.ttl", "1"), ("concurrency", "first-write")]
    assert "if-match" not in second.headers
    assert query(second) == []


async def test_awkward_keys_are_percent_encoded_on_the_wire(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        await client.get_state("state store", AWKWARD_KEY)
        await client.delete_state("statestore", AWKWARD_KEY)
        await client.publish_event("pubsub", "orders/eu", {"x": 1})
        await client.invoke_method("app.ns", "api/v1/a b", http_verb="GET")
    paths = [raw_path(r) for r in sidecar.requests]
    assert paths == [
        f"/v1.0/state/state%20store/{AWKWARD_RAW}",
        f"/v1.0/state/statestore/{AWKWARD_RAW}",
        "/v1.0/publish/pubsub/orders%2Feu",
        "/v1.0/invoke/app.ns/method/api/v1/a%20b",
    ]


async def test_keys_with_the_prefix_separator_are_refused_client_side(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(ValueError, match=r"\|\|"):
            await client.save_state("statestore", "app||key", 1)
        with pytest.raises(ValueError, match="empty"):
            await client.get_state("statestore", "")
    assert sidecar.requests == []


async def test_bulk_get_reads_data_not_value_and_marks_missing_keys(dapr: ModuleType) -> None:
    answer = [{"key": "a", "data": {"x": 1}, "etag": "1"}, {"key": "b"}, {"key": "c", "error": "boom"}]
    sidecar = Sidecar([json_response(answer)])
    async with client_for(dapr, sidecar) as client:
        items = await client.get_bulk_state("statestore", ["a", "b", "c"], parallelism=2, metadata={"m": "v"})
    assert sidecar.body() == {"keys": ["a", "b", "c"], "parallelism": 2, "metadata": {"m": "v"}}
    assert raw_path(sidecar.last) == "/v1.0/state/statestore/bulk"
    assert items == [
        dapr.BulkStateItem("a", {"x": 1}, "1", None, True),
        dapr.BulkStateItem("b", None, None, None, False),
        dapr.BulkStateItem("c", None, None, "boom", False),
    ]


async def test_transaction_body_shape(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    op = dapr.TransactionalStateOperation
    async with client_for(dapr, sidecar) as client:
        await client.execute_state_transaction(
            "statestore",
            [op.upsert("k1", {"a": 1}, etag="2", concurrency="first-write"), op.delete("k2", etag="5")],
            metadata={"partitionKey": "p1"},
        )
    assert raw_path(sidecar.last) == "/v1.0/state/statestore/transaction"
    assert sidecar.body() == {
        "operations": [
            {
                "operation": "upsert",
                "request": {"key": "k1", "etag": "2", "options": {"concurrency": "first-write"}, "value": {"a": 1}},
            },
            {"operation": "delete", "request": {"key": "k2", "etag": "5"}},
        ],
        "metadata": {"partitionKey": "p1"},
    }


async def test_query_state_uses_the_alpha_route_and_204_means_no_results(dapr: ModuleType) -> None:
    page = {"results": [{"key": "1", "data": {"a": 1}, "etag": "e"}], "token": "t2"}
    sidecar = Sidecar([json_response(page), httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        first = await client.query_state("statestore", {"filter": {"EQ": {"a": 1}}, "page": {"limit": 1}})
        empty = await client.query_state("statestore", '{"filter":{}}')
    assert raw_path(sidecar.requests[0]) == "/v1.0-alpha1/state/statestore/query"
    assert sidecar.body(0) == {"filter": {"EQ": {"a": 1}}, "page": {"limit": 1}}
    assert sidecar.requests[1].content == b'{"filter":{}}'
    assert first.results == [dapr.BulkStateItem("1", {"a": 1}, "e")]
    assert first.token == "t2"
    assert empty == dapr.QueryResponse(results=[])


# -- errors --------------------------------------------------------------------------------------------------------


async def test_json_error_bodies_are_parsed_with_details(dapr: ModuleType) -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "DAPR_STATE_NOT_FOUND"}]
    sidecar = Sidecar([dapr_error(400, "ERR_STATE_STORE_NOT_FOUND", "state store foo is not found", details=details)])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(dapr.DaprError) as caught:
            await client.get_state("foo", "k")
    error = caught.value
    assert (error.status_code, error.error_code, error.details) == (400, "ERR_STATE_STORE_NOT_FOUND", details)
    assert "ERR_STATE_STORE_NOT_FOUND" in str(error)
    assert b"state store foo" in error.body


async def test_plain_text_401_from_the_token_middleware(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(401, text="invalid api token", headers={"content-type": "text/plain"})])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(dapr.DaprError) as caught:
            await client.get_state("statestore", "k")
    assert (caught.value.status_code, caught.value.error_code, caught.value.message) == (401, None, "invalid api token")


async def test_status_specific_error_types(dapr: ModuleType) -> None:
    sidecar = Sidecar([dapr_error(404, "ERR_PUBSUB_NOT_FOUND", "pubsub nope is not found"), httpx.Response(500)])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(dapr.DaprNotFoundError):
            await client.publish_event("nope", "orders", {})
        with pytest.raises(dapr.DaprError) as caught:  # a missing job is 500, not 404 (§9.2)
            await client.get_job("missing")
    assert type(caught.value) is dapr.DaprError
    assert caught.value.message == "HTTP 500 with no body"


async def test_api_token_header_is_sent_only_when_configured(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    async with client_for(dapr, sidecar, api_token="s3cret") as client:
        await client.publish_event("pubsub", "t", {})
        await client.check_health()
    async with client_for(dapr, sidecar) as client:
        await client.publish_event("pubsub", "t", {})
    assert [r.headers.get("dapr-api-token") for r in sidecar.requests] == ["s3cret", "s3cret", None]


# -- retries -------------------------------------------------------------------------------------------------------


async def test_503_is_retried_honouring_retry_after(dapr: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "0"}, text="busy")
    sidecar = Sidecar([busy, httpx.Response(429), json_response({"ok": 1})])
    with caplog.at_level(logging.WARNING):
        async with client_for(dapr, sidecar) as client:
            assert await client.get_state("statestore", "k") == {"ok": 1}
    assert len(sidecar.requests) == 3
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.WARNING, logging.WARNING]
    assert "HTTP 503" in retries[0].getMessage()


async def test_retry_after_as_http_date_is_capped_by_backoff_max(dapr: ModuleType) -> None:
    later = "Wed, 21 Oct 2099 07:28:00 GMT"  # far future: capped at backoff_max_seconds
    sidecar = Sidecar([httpx.Response(503, headers={"Retry-After": later}), httpx.Response(204)])
    async with client_for(dapr, sidecar, backoff_max_seconds=0.01) as client:
        await client.publish_event("pubsub", "t", {})
    assert len(sidecar.requests) == 2


async def test_retries_are_bounded_and_the_last_error_is_raised(dapr: ModuleType) -> None:
    sidecar = Sidecar([dapr_error(503, "ERR_X", "unavailable")])
    async with client_for(dapr, sidecar, api_max_retries=2) as client:
        with pytest.raises(dapr.DaprError) as caught:
            await client.publish_event("pubsub", "t", {})
    assert caught.value.status_code == 503
    assert len(sidecar.requests) == 3
    sidecar = Sidecar([httpx.Response(503)])
    async with client_for(dapr, sidecar, api_max_retries=0) as client:
        with pytest.raises(dapr.DaprError):
            await client.publish_event("pubsub", "t", {})
    assert len(sidecar.requests) == 1


async def test_minus_one_retries_means_no_limit(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(503)] * 12 + [httpx.Response(204)])
    async with client_for(dapr, sidecar, api_max_retries=-1) as client:
        await client.publish_event("pubsub", "t", {})
    assert len(sidecar.requests) == 13


async def test_connect_errors_are_retried_even_for_posts(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        await client.publish_event("pubsub", "t", {"x": 1})
    assert len(sidecar.requests) == 3


async def test_unreachable_sidecar_raises_unavailable_after_the_retries(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.ConnectError("refused")])
    async with client_for(dapr, sidecar, api_max_retries=2) as client:
        with pytest.raises(dapr.DaprUnavailableError) as caught:
            await client.save_state("statestore", "k", 1)
    assert len(sidecar.requests) == 3
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert isinstance(caught.value, ConnectionError)
    assert isinstance(caught.value, dapr.DaprClientError)


async def test_read_errors_are_not_retried_for_non_idempotent_posts(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.ReadError("reset"), httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(dapr.DaprUnavailableError, match="not idempotent"):
            await client.publish_event("pubsub", "t", {"x": 1})
    assert len(sidecar.requests) == 1


async def test_read_errors_and_timeouts_are_retried_for_reads(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.ReadError("reset"), httpx.ReadTimeout("slow"), json_response([])])
    async with client_for(dapr, sidecar) as client:
        assert await client.get_bulk_state("statestore", ["a"]) == []
    assert len(sidecar.requests) == 3


async def test_invoke_post_503_comes_from_the_callee_and_is_not_retried(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(503, text="callee overloaded"), json_response({"ok": True})])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(dapr.DaprError) as caught:
            await client.invoke_method("orders", "create", {"x": 1})
        assert caught.value.message == "callee overloaded"
        assert len(sidecar.requests) == 1
        response = await client.invoke_method("orders", "list", http_verb="GET")  # 503 then 200: retried
    assert response.json() == {"ok": True}


# -- pub/sub -------------------------------------------------------------------------------------------------------


async def test_publish_sends_content_type_and_prefixed_metadata(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    async with client_for(dapr, sidecar) as client:
        await client.publish_event("pubsub", "orders", ORDER, metadata={"partitionKey": "k"}, ttl_in_seconds=60)
        await client.publish_event("pubsub", "orders", "hello", raw_payload=True)
        await client.publish_event("pubsub", "orders", b"\x00\x01")
        await client.publish_event("pubsub", "orders", {"a": 1}, data_content_type="application/cloudevents+json")
    json_req, text_req, bytes_req, ce_req = sidecar.requests
    assert raw_path(json_req) == "/v1.0/publish/pubsub/orders"
    assert json_req.headers["content-type"] == "application/json"
    assert sidecar.body(0) == ORDER_JSON
    assert query(json_req) == [("metadata.partitionKey", "k"), ("metadata.ttlInSeconds", "60")]
    assert (text_req.headers["content-type"], text_req.content) == ("text/plain", b"hello")
    assert query(text_req) == [("metadata.rawPayload", "true")]
    assert (bytes_req.headers["content-type"], bytes_req.content) == ("application/octet-stream", b"\x00\x01")
    assert ce_req.headers["content-type"] == "application/cloudevents+json"


async def test_metadata_values_that_are_not_scalars_are_rejected(dapr: ModuleType) -> None:
    async with client_for(dapr, Sidecar()) as client:
        with pytest.raises(TypeError, match="strings"):
            await client.publish_event("pubsub", "t", {}, metadata={"bad": ["list"]})


async def test_bulk_publish_entries_and_failed_entries(dapr: ModuleType) -> None:
    failure = {
        "failedEntries": [{"entryId": "1", "error": "broker said no"}],
        "errorCode": "ERR_PUBSUB_PUBLISH_MESSAGE",
    }
    sidecar = Sidecar([httpx.Response(204), json_response(failure, status=500)])
    async with client_for(dapr, sidecar) as client:
        await client.publish_events("pubsub", "orders", [ORDER, "text", b"hi"], metadata={"rawPayload": False})
        with pytest.raises(dapr.DaprBulkPublishError) as caught:
            await client.publish_events("pubsub", "orders", [{"a": 1}, {"a": 2}])
    assert raw_path(sidecar.requests[0]) == "/v1.0-alpha1/publish/bulk/pubsub/orders"
    assert query(sidecar.requests[0]) == [("metadata.rawPayload", "false")]
    assert sidecar.body(0) == [
        {"entryId": "0", "event": ORDER_JSON, "contentType": "application/json"},
        {"entryId": "1", "event": "text", "contentType": "text/plain"},
        {"entryId": "2", "event": "aGk=", "contentType": "application/octet-stream"},
    ]
    assert caught.value.failed_entries == [dapr.BulkPublishFailedEntry("1", "broker said no")]
    assert caught.value.error_code == "ERR_PUBSUB_PUBLISH_MESSAGE"


# -- invocation ----------------------------------------------------------------------------------------------------


async def test_invoke_method_any_verb_query_headers_and_response(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(201, text="made", headers={"X-Id": "9"})])
    async with client_for(dapr, sidecar) as client:
        response = await client.invoke_method(
            "orders", "/orders/42", {"qty": 2}, http_verb="put", headers={"X-Trace": "t"}, query={"dry": "1"}
        )
    request = sidecar.last
    assert (request.method, raw_path(request)) == ("PUT", "/v1.0/invoke/orders/method/orders/42")
    assert query(request) == [("dry", "1")]
    assert request.headers["x-trace"] == "t"
    assert request.headers["content-type"] == "application/json"
    assert (response.status_code, response.text, response.headers["x-id"]) == (201, "made", "9")


async def test_invoke_with_the_dapr_app_id_header_form(dapr: ModuleType) -> None:
    sidecar = Sidecar([json_response({"ok": True})])
    async with client_for(dapr, sidecar) as client:
        await client.invoke_method("orders", "orders/42", http_verb="GET", use_app_id_header=True)
    assert raw_path(sidecar.last) == "/orders/42"
    assert sidecar.last.headers["dapr-app-id"] == "orders"
    assert str(sidecar.last.url).startswith(SIDECAR)


async def test_invoke_errors_do_not_assume_json(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(418, text="<html>teapot</html>"), httpx.Response(404, json={"detail": "x"})])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(dapr.DaprError) as caught:
            await client.invoke_method("orders", "brew", http_verb="GET")
        assert (caught.value.status_code, caught.value.message) == (418, "<html>teapot</html>")
        with pytest.raises(dapr.DaprNotFoundError) as missing:
            await client.invoke_method("orders", "nope", http_verb="GET")
    assert missing.value.message == '{"detail":"x"}'


async def test_seed_invoke_service_posts_with_data_and_gets_without(dapr: ModuleType) -> None:
    sidecar = Sidecar([json_response({"id": 1}), httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        assert await client.invoke_service("orders", "create", {"x": 1}) == {"id": 1}
        assert await client.invoke_service("orders", "ping") is None
    assert [r.method for r in sidecar.requests] == ["POST", "GET"]


# -- bindings, secrets, configuration, lock ------------------------------------------------------------------------


async def test_invoke_binding_body_and_response_metadata(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(200, content=b'{"r":1}', headers={"metadata.blobname": "x.txt"})])
    async with client_for(dapr, sidecar) as client:
        response = await client.invoke_binding("blob", "create", {"a": 1}, metadata={"blobName": "x.txt"})
    assert raw_path(sidecar.last) == "/v1.0/bindings/blob"
    assert sidecar.body() == {"operation": "create", "data": {"a": 1}, "metadata": {"blobName": "x.txt"}}
    assert response.json() == {"r": 1}
    assert response.metadata == {"blobname": "x.txt"}


async def test_secrets_and_their_unusual_statuses(dapr: ModuleType) -> None:
    sidecar = Sidecar([json_response({"db": "pw"}), dapr_error(401, "ERR_SECRET_STORE_NOT_FOUND", "no store")])
    async with client_for(dapr, sidecar) as client:
        assert await client.get_secret("vault", "db", metadata={"namespace": "prod"}) == {"db": "pw"}
        with pytest.raises(dapr.DaprError) as caught:
            await client.get_bulk_secret("nope")
        with pytest.raises(ValueError, match="bulk"):
            await client.get_secret("vault", "bulk")
    assert query(sidecar.requests[0]) == [("metadata.namespace", "prod")]
    assert raw_path(sidecar.requests[1]) == "/v1.0/secrets/nope/bulk"
    assert caught.value.status_code == 401


async def test_configuration_repeats_key_and_204_is_empty(dapr: ModuleType) -> None:
    items = {"a": {"value": "1", "version": "v1"}, "b": {"value": "2", "metadata": {"m": "x"}}}
    sidecar = Sidecar([json_response(items), httpx.Response(204), json_response({"id": "sub-1"}),
                       json_response({"ok": True})])  # fmt: skip
    async with client_for(dapr, sidecar) as client:
        got = await client.get_configuration("config", ["a", "b"], metadata={"m": "v"})
        assert await client.get_configuration("config") == {}
        assert await client.subscribe_configuration("config", "a") == "sub-1"
        assert await client.unsubscribe_configuration("config", "sub-1") is True
    assert got == {"a": dapr.ConfigurationItem("1", "v1"), "b": dapr.ConfigurationItem("2", "", {"m": "x"})}
    assert query(sidecar.requests[0]) == [("key", "a"), ("key", "b"), ("metadata.m", "v")]
    assert [r.method for r in sidecar.requests] == ["GET"] * 4
    assert raw_path(sidecar.requests[2]) == "/v1.0/configuration/config/subscribe"
    assert query(sidecar.requests[2]) == [("key", "a")]
    assert raw_path(sidecar.requests[3]) == "/v1.0/configuration/config/sub-1/unsubscribe"


async def test_lock_and_numeric_unlock_status(dapr: ModuleType) -> None:
    sidecar = Sidecar([json_response({"success": False}), json_response({"status": 2}), json_response({"status": 0})])
    async with client_for(dapr, sidecar) as client:
        assert await client.try_lock("lockstore", "r1", "me", 60) is False
        assert await client.unlock("lockstore", "r1", "me") is dapr.UnlockStatus.LOCK_BELONGS_TO_OTHERS
        assert await client.unlock("lockstore", "r1", "me") == 0
        with pytest.raises(ValueError, match="expiry"):
            await client.try_lock("lockstore", "r1", "me", 0)
    assert raw_path(sidecar.requests[0]) == "/v1.0-alpha1/lock/lockstore"
    assert sidecar.body(0) == {"resourceId": "r1", "lockOwner": "me", "expiryInSeconds": 60}
    assert raw_path(sidecar.requests[1]) == "/v1.0-alpha1/unlock/lockstore"


# -- jobs ----------------------------------------------------------------------------------------------------------


async def test_schedule_job_body_never_has_a_name_and_always_has_data(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    async with client_for(dapr, sidecar) as client:
        await client.schedule_job("reminder-1", "10s")  # the seed's positional form
        await client.schedule_job(
            "reminder-2",
            timedelta(seconds=90),
            ORDER,
            repeats=3,
            ttl=datetime(2030, 1, 1, 12, tzinfo=UTC),
            overwrite=True,
            failure_policy=dapr.ConstantFailurePolicy(interval=0.5, max_retries=3),
        )
        await client.schedule_job(
            "reminder-3", schedule="0 30 * * * *", failure_policy=dapr.ConstantFailurePolicy(timedelta(seconds=5))
        )
        await client.schedule_job("reminder-4", schedule="@daily", failure_policy=dapr.DropFailurePolicy())
    assert raw_path(sidecar.requests[0]) == "/v1.0-alpha1/jobs/reminder-1"
    assert sidecar.body(0) == {"data": {}, "dueTime": "10s"}
    assert sidecar.body(1) == {
        "data": ORDER_JSON,
        "dueTime": "90s",
        "repeats": 3,
        "ttl": "2030-01-01T12:00:00Z",
        "overwrite": True,
        "failurePolicy": {"constant": {"interval": "0.5s", "maxRetries": 3}},
    }
    assert sidecar.body(2) == {
        "data": {},
        "schedule": "0 30 * * * *",
        "failurePolicy": {"constant": {"interval": "5s"}},
    }
    assert sidecar.body(3)["failurePolicy"] == {"drop": {}}
    assert all("name" not in sidecar.body(i) for i in range(4))


async def test_schedule_job_validates_times_client_side(dapr: ModuleType) -> None:
    async with client_for(dapr, Sidecar()) as client:
        with pytest.raises(ValueError, match=r"schedule.*due_time"):
            await client.schedule_job("j")
        with pytest.raises(ValueError, match="timezone-aware"):
            await client.schedule_job("j", datetime(2030, 1, 1))  # noqa: DTZ001 - a naive datetime is what is refused
        with pytest.raises(ValueError, match="negative"):
            await client.schedule_job("j", timedelta(seconds=-1))
        with pytest.raises(ValueError, match="repeats"):
            await client.schedule_job("j", "1s", repeats=-1)


async def test_get_job_unwraps_the_protobuf_value(dapr: ModuleType) -> None:
    wire = {
        "name": "reminder-1",
        "dueTime": "10s",
        "repeats": 2,
        "data": {"@type": "type.googleapis.com/google.protobuf.Value", "value": {"task": 42}},
        "failurePolicy": {"constant": {"interval": "1.5s", "maxRetries": 4}},
    }
    sidecar = Sidecar([json_response(wire), httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        job = await client.get_job("reminder-1")
        await client.delete_job("reminder-1")
    assert job == dapr.Job(
        name="reminder-1",
        due_time="10s",
        repeats=2,
        data={"task": 42},
        failure_policy=dapr.ConstantFailurePolicy(timedelta(seconds=1.5), 4),
    )
    assert sidecar.requests[1].method == "DELETE"


# -- workflow ------------------------------------------------------------------------------------------------------


async def test_workflow_lifecycle_with_202_answers(dapr: ModuleType) -> None:
    state = {
        "instanceID": "order-1",
        "workflowName": "OrderFlow",
        "createdAt": "2025-01-01T10:00:00.123456789Z",
        "lastUpdatedAt": "2025-01-01T10:00:01Z",
        "runtimeStatus": "RUNNING",
        "properties": {"dapr.workflow.input": '{"x":1}'},
    }
    sidecar = Sidecar([json_response({"instanceID": "order-1"}, status=202), json_response(state),
                       json_response({}, status=202)])  # fmt: skip
    async with client_for(dapr, sidecar) as client:
        assert await client.start_workflow("OrderFlow", {"x": 1}, instance_id="order-1") == "order-1"
        got = await client.get_workflow("order-1")
        await client.raise_workflow_event("order-1", "approved", {"by": "me"})
        for operation in ("terminate", "pause", "resume", "purge"):
            await getattr(client, f"{operation}_workflow")("order-1")
        with pytest.raises(ValueError, match="instance id"):
            await client.start_workflow("OrderFlow", instance_id="bad/id")
    start = sidecar.requests[0]
    assert raw_path(start) == "/v1.0/workflows/dapr/OrderFlow/start"
    assert query(start) == [("instanceID", "order-1")]
    assert sidecar.body(0) == {"x": 1}
    assert got.runtime_status == "RUNNING"
    assert got.created_at == datetime(2025, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert got.serialized_input == '{"x":1}'
    assert raw_path(sidecar.requests[2]) == "/v1.0/workflows/dapr/order-1/raiseEvent/approved"
    assert [raw_path(r).rsplit("/", 1)[1] for r in sidecar.requests[3:]] == ["terminate", "pause", "resume", "purge"]
    assert len(sidecar.requests) == 7


async def test_workflow_ids_not_made_by_start_are_managed_percent_encoded(dapr: ModuleType) -> None:
    """Dapr restricts the characters of an instance id only on start (reference §10); child workflows get
    ids such as `order-1:0001` from the workflow engine, and those must stay readable and terminable."""
    sidecar = Sidecar([json_response({"instanceID": "order-1:0001", "runtimeStatus": "RUNNING"}),
                       json_response({}, status=202)])  # fmt: skip
    async with client_for(dapr, sidecar) as client:
        assert (await client.get_workflow("order-1:0001")).instance_id == "order-1:0001"
        await client.terminate_workflow("a/b")
        await client.raise_workflow_event("order-1:0001", "approved")
        with pytest.raises(ValueError, match="instance id"):
            await client.get_workflow("")
    assert [raw_path(r) for r in sidecar.requests] == [
        "/v1.0/workflows/dapr/order-1%3A0001",
        "/v1.0/workflows/dapr/a%2Fb/terminate",
        "/v1.0/workflows/dapr/order-1%3A0001/raiseEvent/approved",
    ]


# -- metadata, health, tracing, lifecycle, settings ----------------------------------------------------------------


async def test_metadata_get_and_put_and_shutdown(dapr: ModuleType) -> None:
    sidecar = Sidecar([json_response({"id": "myapp"}), httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        assert (await client.get_metadata())["id"] == "myapp"
        await client.set_metadata("team", "payments")
        await client.shutdown()
    put = sidecar.requests[1]
    assert (put.method, raw_path(put), put.content) == ("PUT", "/v1.0/metadata/team", b"payments")
    assert put.headers["content-type"] == "text/plain"
    assert (sidecar.last.method, raw_path(sidecar.last)) == ("POST", "/v1.0/shutdown")


async def test_wait_for_sidecar_polls_outbound_health(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.ConnectError("refused"), dapr_error(500, "ERR_OUTBOUND_HEALTH_NOT_READY", "no"),
                       httpx.Response(204)])  # fmt: skip
    async with client_for(dapr, sidecar) as client:
        await client.wait_for_sidecar(timeout=5)
        assert await client.check_health() is True
    assert {raw_path(r) for r in sidecar.requests} == {"/v1.0/healthz/outbound"}
    assert len(sidecar.requests) == 4


async def test_wait_for_sidecar_gives_up_with_a_clear_error(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(500)])
    async with client_for(dapr, sidecar) as client:
        with pytest.raises(
            dapr.DaprUnavailableError, match=r"not ready after 0.2s \(Dapr answered 500: HTTP 500 with no body\)"
        ):
            await client.wait_for_sidecar(0.2)
        assert await client.check_health() is False


async def test_trace_headers_are_forwarded_inside_trace_context(dapr: ModuleType) -> None:
    sidecar = Sidecar()
    incoming = {"Traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "baggage": "k=v", "x": "y"}
    async with client_for(dapr, sidecar) as client:
        with dapr.trace_context(incoming):
            await client.publish_event("pubsub", "t", {})
        await client.publish_event("pubsub", "t", {})
    inside, outside = sidecar.requests
    assert inside.headers["traceparent"] == incoming["Traceparent"]
    assert inside.headers["baggage"] == "k=v"
    assert "x" not in inside.headers
    assert "traceparent" not in outside.headers


async def test_a_caller_supplied_http_client_is_never_closed(dapr: ModuleType) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(Sidecar()))
    async with dapr.DaprClient(dapr.DaprSettings(http_endpoint=SIDECAR), http_client=http):
        pass
    assert not http.is_closed
    await http.aclose()


@pytest.mark.parametrize("closing", ["close", "aclose"])
async def test_own_client_is_closed_by_close_and_aclose(dapr_by_transport: dict[str, ModuleType], closing: str) -> None:
    for module in dapr_by_transport.values():
        client = module.DaprClient(module.DaprSettings(http_endpoint="http://127.0.0.1:1"))
        await getattr(client, closing)()
        with pytest.raises(RuntimeError):
            await client.get_state("statestore", "k")


def test_settings_read_the_official_environment_variables(dapr: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DAPR_HTTP_ENDPOINT", "DAPR_RUNTIME_HOST", "DAPR_HTTP_PORT", "DAPR_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert dapr.DaprSettings().base_url == "http://127.0.0.1:3500"
    monkeypatch.setenv("DAPR_HTTP_PORT", "3601")
    monkeypatch.setenv("DAPR_RUNTIME_HOST", "::1")
    monkeypatch.setenv("DAPR_API_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("DAPR_API_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("DAPR_API_MAX_RETRIES", "0")
    monkeypatch.setenv("DAPR_HEALTH_TIMEOUT", "7")
    settings = dapr.DaprSettings()
    assert settings.base_url == "http://[::1]:3601"
    assert settings.api_token.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t" not in repr(settings)
    assert (settings.api_timeout_seconds, settings.api_max_retries, settings.health_timeout) == (2.5, 0, 7.0)
    monkeypatch.setenv("DAPR_HTTP_ENDPOINT", "https://dapr.example.com:443/")
    assert dapr.DaprSettings().base_url == "https://dapr.example.com:443"
    monkeypatch.setenv("DAPR_API_MAX_RETRIES", "-1")  # the official SDK's "no limit"
    assert dapr.DaprSettings().api_max_retries == -1
    monkeypatch.setenv("DAPR_API_MAX_RETRIES", "-2")
    with pytest.raises(ValueError, match="api_max_retries"):
        dapr.DaprSettings()


def test_settings_defaults_come_from_the_spec(tmp_path: Any) -> None:
    from tests.client.conftest import load_module, render_client

    module = load_module(
        render_client({"timeout_seconds": 2.5, "max_retries": 1, "health_timeout_seconds": 9, "max_connections": 8}),
        tmp_path,
    )
    fields = module.DaprSettings.model_fields
    assert fields["api_timeout_seconds"].default == 2.5
    assert fields["api_max_retries"].default == 1
    assert fields["health_timeout"].default == 9.0
    assert fields["max_connections"].default == 8


def test_a_seed_style_port_argument_is_a_clear_type_error(dapr: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"DaprSettings\(http_port=3501\)"):
        dapr.DaprClient(3500)
