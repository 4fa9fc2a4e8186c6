"""Every public method of the generated client against the sidecar double (tests/sidecar), which follows
references/dapr-contract.md: in-process through httpx.ASGITransport, and over a real socket (uvicorn plus
the double's connection-reset proxy) for the aiohttp-based transports. Section and pitfall numbers refer to that file.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from tests.client.conftest import FAST, load_module, render_client
from tests.sidecar import (
    DEFAULT_BASE_URL,
    BindingInvocation,
    BindingResult,
    ScriptedApp,
    SidecarDouble,
    StateStoreOptions,
    answer,
    serve_double,
)

pytestmark = pytest.mark.anyio

AWKWARD_KEY = "a/b c+d?e#f%g"


class Order(BaseModel):
    id: uuid.UUID
    placed_at: datetime
    total: float


ORDER = Order(id=uuid.UUID(int=7), placed_at=datetime(2025, 1, 31, 9, 30, tzinfo=UTC), total=12.5)
ORDER_JSON = {"id": "00000000-0000-0000-0000-000000000007", "placed_at": "2025-01-31T09:30:00Z", "total": 12.5}


@contextlib.asynccontextmanager
async def connected(module: ModuleType, double: SidecarDouble, **settings: Any) -> AsyncIterator[Any]:
    """The generated client talking to the double in-process (the way a user's tests would wire it)."""
    config = module.DaprSettings(http_endpoint=DEFAULT_BASE_URL, **{**FAST, **settings})
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=double)) as http,
        module.DaprClient(config, http_client=http) as client,
    ):
        yield client


# -- state ---------------------------------------------------------------------------------------------------------


async def test_state_round_trip_with_etags(dapr: ModuleType) -> None:
    double = SidecarDouble()
    async with connected(dapr, double) as client:
        await client.save_state("statestore", "order-1", ORDER)
        assert await client.get_state("statestore", "order-1") == ORDER_JSON
        item = await client.get_state_item("statestore", "order-1")
        assert item.etag == "1"
        await client.save_state("statestore", "order-1", {"v": 2}, etag=item.etag, concurrency="first-write")
        with pytest.raises(dapr.DaprConflictError) as conflict:
            await client.save_state("statestore", "order-1", {"v": 3}, etag=item.etag)
        assert conflict.value.error_code == "ERR_STATE_SAVE"
        with pytest.raises(dapr.DaprConflictError):
            await client.delete_state("statestore", "order-1", etag="999")
        await client.delete_state("statestore", "order-1", etag="2")
        assert await client.get_state("statestore", "order-1") is None
        assert await client.get_state_item("statestore", "order-1") is None
        await client.delete_state("statestore", "never-there")  # a missing key deletes fine


async def test_awkward_keys_round_trip_and_are_stored_unescaped(dapr: ModuleType) -> None:
    double = SidecarDouble()
    async with connected(dapr, double) as client:
        await client.save_state("statestore", AWKWARD_KEY, "v", metadata={"ttlInSeconds": 60})
        assert await client.get_state("statestore", AWKWARD_KEY) == "v"
    stored = double.get_state("statestore", AWKWARD_KEY)
    assert stored is not None
    assert stored.data == b'"v"'  # the value itself, not a double-encoded string
    assert double.requests[1].raw_path == "/v1.0/state/statestore/a%2Fb%20c%2Bd%3Fe%23f%25g"


async def test_state_ttl_bulk_transaction_and_query(dapr: ModuleType) -> None:
    double = SidecarDouble(state_stores={"statestore": StateStoreOptions(transactional=True, queryable=True)})
    op = dapr.TransactionalStateOperation
    async with connected(dapr, double) as client:
        await client.save_state("statestore", "t", 1, ttl_in_seconds=60)
        await client.save_bulk_state(
            "statestore", [dapr.StateItem("a", {"n": 1}), dapr.StateItem("b", {"n": 2})], consistency="strong"
        )
        items = await client.get_bulk_state("statestore", ["a", "b", "zzz"])
        assert [(i.key, i.value, i.found) for i in items] == [("a", {"n": 1}, True), ("b", {"n": 2}, True),
                                                            ("zzz", None, False)]  # fmt: skip
        assert all(i.etag for i in items[:2])
        await client.execute_state_transaction(
            "statestore", [op.upsert("c", {"n": 3}), op.delete("a")], metadata={"partitionKey": "p"}
        )
        assert await client.get_state("statestore", "a") is None
        page = await client.query_state("statestore", {"filter": {"GTE": {"n": 2}}, "sort": [{"key": "n"}]})
        assert [(r.key, r.value) for r in page.results] == [("b", {"n": 2}), ("c", {"n": 3})]
        assert (await client.query_state("statestore", {"filter": {"EQ": {"n": 99}}})).results == []
        with pytest.raises(dapr.DaprError) as caught:
            await client.get_state("nostore", "k")
    assert (caught.value.status_code, caught.value.error_code) == (400, "ERR_STATE_STORE_NOT_FOUND")
    stored = double.get_state("statestore", "t")
    assert stored is not None
    assert stored.metadata.get("ttlInSeconds") == "60"


# -- pub/sub -------------------------------------------------------------------------------------------------------


async def test_publish_content_types_become_the_right_cloudevents(dapr: ModuleType) -> None:
    double = SidecarDouble()
    async with connected(dapr, double) as client:
        await client.publish_event("pubsub", "orders", ORDER, metadata={"cloudevent.type": "order.placed"})
        await client.publish_event("pubsub", "orders", "hello")
        await client.publish_event("pubsub", "orders", b"\x00\x01")
        await client.publish_event("pubsub", "orders", {"raw": True}, raw_payload=True)
        await client.publish_event("pubsub", "orders", {"n": 1}, ttl_in_seconds=30)
        with pytest.raises(dapr.DaprNotFoundError) as missing:
            await client.publish_event("nope", "orders", {})
    assert missing.value.error_code == "ERR_PUBSUB_NOT_FOUND"
    model, text, binary, raw, ttl = (message.json() for message in double.published)
    assert model["data"] == ORDER_JSON
    assert model["datacontenttype"] == "application/json"
    assert model["type"] == "order.placed"
    assert (text["data"], text["datacontenttype"]) == ("hello", "text/plain")
    assert base64.b64decode(binary["data_base64"]) == b"\x00\x01"
    assert double.published[3].raw_payload
    assert raw == {"raw": True}
    assert "expiration" in ttl


async def test_bulk_publish(dapr: ModuleType) -> None:
    double = SidecarDouble()
    async with connected(dapr, double) as client:
        await client.publish_events("pubsub", "orders", [ORDER, "text", b"bin"])
    assert [m.entry_id for m in double.published] == ["0", "1", "2"]
    events = [m.json() for m in double.published]
    assert [e["data"] for e in events[:2]] == [ORDER_JSON, "text"]
    assert base64.b64decode(events[2]["data_base64"]) == b"bin"


# -- invocation ----------------------------------------------------------------------------------------------------


async def test_service_invocation_in_both_forms(dapr: ModuleType) -> None:
    orders = (
        ScriptedApp()
        .on("POST", "/orders", answer(201, {"id": 42}))
        .on("GET", "/orders/42", answer(200, {"id": 42, "state": "new"}))
        .on("DELETE", "/orders/42", answer(500, b"database on fire", {"content-type": "text/plain"}))
    )
    double = SidecarDouble(remote_apps={"orders": orders})
    async with connected(dapr, double) as client:
        assert await client.invoke_service("orders", "orders", ORDER) == {"id": 42}
        assert await client.invoke_service("orders", "orders/42") == {"id": 42, "state": "new"}
        response = await client.invoke_method("orders", "orders/42", http_verb="GET", use_app_id_header=True,
                                               query={"verbose": "1"}, headers={"x-tenant": "t1"})  # fmt: skip
        assert response.json()["state"] == "new"
        with pytest.raises(dapr.DaprError) as failed:
            await client.invoke_method("orders", "orders/42", http_verb="DELETE")
        with pytest.raises(dapr.DaprError) as unknown:
            await client.invoke_method("nobody", "x")
    assert (failed.value.status_code, failed.value.message) == (500, "database on fire")
    assert (unknown.value.status_code, unknown.value.error_code) == (500, "ERR_DIRECT_INVOKE")
    posted = orders.requests_to("/orders")[0]
    assert posted.json() == ORDER_JSON
    assert posted.headers["content-type"] == "application/json"
    header_form = orders.seen[2]
    assert (header_form.query, header_form.headers["x-tenant"]) == (b"verbose=1", "t1")
    assert "dapr-app-id" not in header_form.headers  # the sidecar strips it


# -- bindings, secrets, configuration, lock ------------------------------------------------------------------------


async def test_output_binding(dapr: ModuleType) -> None:
    async def blob(invocation: BindingInvocation) -> BindingResult:
        return BindingResult(data=b'{"stored":true}', metadata={"blobURL": "https://b/x"})

    double = SidecarDouble(bindings={"blob": blob, "queue": None})
    async with connected(dapr, double) as client:
        result = await client.invoke_binding("blob", "create", {"a": 1}, metadata={"blobName": "x"})
        empty = await client.invoke_binding("queue", "create", "hi")
        with pytest.raises(dapr.DaprError) as unknown:
            await client.invoke_binding("nope", "create")
    assert result.json() == {"stored": True}
    assert {k.lower(): v for k, v in result.metadata.items()} == {"bloburl": "https://b/x"}
    assert (empty.data, empty.json()) == (b"", None)
    first, second = double.bindings.invocations
    assert (first.operation, first.data, first.metadata) == ("create", b'{"a":1}', {"blobName": "x"})
    assert second.data == b'"hi"'  # Dapr re-serializes data: a str arrives quoted (pitfall 7)
    assert (unknown.value.status_code, unknown.value.error_code) == (500, "ERR_INVOKE_OUTPUT_BINDING")


async def test_secrets(dapr: ModuleType) -> None:
    double = SidecarDouble(secret_stores={"vault": {"db": "pw", "api": {"key": "k1"}}})
    async with connected(dapr, double) as client:
        assert await client.get_secret("vault", "db") == {"db": "pw"}
        bulk = await client.get_bulk_secret("vault")
        with pytest.raises(dapr.DaprError) as unknown_store:
            await client.get_secret("nope", "db")
        with pytest.raises(dapr.DaprError) as missing:
            await client.get_secret("vault", "missing")
    assert bulk["db"] == {"db": "pw"}
    assert unknown_store.value.status_code == 401  # sic (§6)
    assert missing.value.status_code == 500


async def test_configuration(dapr: ModuleType) -> None:
    app = ScriptedApp().on("POST", "/configuration/configstore/a", answer(200))
    double = SidecarDouble(app=app, configuration_stores={"configstore": {"a": "1", "b": {"value": "2"}}})
    async with connected(dapr, double) as client:
        assert await client.get_configuration("configstore", ["a"]) == {"a": dapr.ConfigurationItem("1", "")}
        assert set(await client.get_configuration("configstore")) == {"a", "b"}
        assert await client.get_configuration("configstore", ["zzz"]) == {}
        subscription = await client.subscribe_configuration("configstore", ["a"])
        await double.update_configuration("configstore", {"a": "10"})
        assert await client.unsubscribe_configuration("configstore", subscription) is True
    assert app.requests_to("/configuration/configstore/a")[0].json()["id"] == subscription


async def test_distributed_lock(dapr: ModuleType) -> None:
    double = SidecarDouble()
    status = dapr.UnlockStatus
    async with connected(dapr, double) as client:
        assert await client.try_lock("lockstore", "r1", "me", 30) is True
        assert await client.try_lock("lockstore", "r1", "you", 30) is False
        assert await client.unlock("lockstore", "r1", "you") is status.LOCK_BELONGS_TO_OTHERS
        assert await client.unlock("lockstore", "r1", "me") is status.SUCCESS
        assert await client.unlock("lockstore", "r1", "me") is status.LOCK_DOES_NOT_EXIST


# -- jobs ----------------------------------------------------------------------------------------------------------


async def test_jobs_schedule_get_trigger_and_delete(dapr: ModuleType) -> None:
    app = ScriptedApp().on("POST", "/job/reminder", answer(200))
    double = SidecarDouble(app=app, dapr_version="1.16")
    async with connected(dapr, double) as client:
        await client.schedule_job("reminder", timedelta(seconds=90), {"task": 7},
                                  failure_policy=dapr.ConstantFailurePolicy(0.5, max_retries=2))  # fmt: skip
        job = await client.get_job("reminder")
        assert (job.name, job.due_time, job.data) == ("reminder", "90s", {"task": 7})
        assert job.failure_policy == dapr.ConstantFailurePolicy(timedelta(seconds=0.5), 2)
        with pytest.raises(dapr.DaprConflictError):
            await client.schedule_job("reminder", "10s")
        await client.schedule_job("reminder", "10s", {"task": 8}, overwrite=True)
        await double.trigger_job("reminder")
        await client.schedule_job("no-data", schedule="@every 1m")  # data {} is sent, so it is deliverable
        await double.trigger_job("no-data")
        await client.delete_job("no-data")
        with pytest.raises(dapr.DaprError) as missing:
            await client.get_job("no-data")
    assert app.requests_to("/job/reminder")[0].json() == {"task": 8}
    assert app.requests_to("/job/no-data")[0].json() == {}
    assert missing.value.status_code == 500  # not 404 (§9.2)


async def test_jobs_on_the_stable_route_with_a_1_18_client(tmp_path: Any) -> None:
    module = load_module(render_client({"dapr_version": "1.18", "blocks": ["jobs"]}), tmp_path)
    double = SidecarDouble(dapr_version="1.18")
    async with connected(module, double) as client:
        await client.schedule_job("j", datetime(2030, 1, 1, tzinfo=UTC), {"x": 1})
        assert (await client.get_job("j")).due_time == "2030-01-01T00:00:00Z"
    assert double.requests[0].raw_path == "/v1.0/jobs/j"


# -- workflow ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.15", "1.18"])
async def test_workflow_management(dapr: ModuleType, version: str) -> None:
    double = SidecarDouble(dapr_version=version)
    async with connected(dapr, double) as client:
        instance = await client.start_workflow("OrderFlow", ORDER, instance_id="order-7")
        assert instance == "order-7"
        generated = await client.start_workflow("OrderFlow")
        state = await client.get_workflow(instance)
        assert (state.workflow_name, state.runtime_status) == ("OrderFlow", "RUNNING")
        assert state.created_at is not None
        assert state.serialized_input is not None
        await client.raise_workflow_event(instance, "approved", {"by": "me"})
        await client.pause_workflow(instance)
        assert (await client.get_workflow(instance)).runtime_status == "SUSPENDED"
        await client.resume_workflow(instance)
        await client.terminate_workflow(instance)
        await client.purge_workflow(instance)
        with pytest.raises(dapr.DaprNotFoundError):
            await client.get_workflow(instance)
    assert uuid.UUID(generated)
    assert double.workflows.instances[generated].input == ""
    assert double.requests[0].raw_path == "/v1.0/workflows/dapr/OrderFlow/start"


# -- metadata, health, token, faults -------------------------------------------------------------------------------


async def test_metadata_health_and_shutdown(dapr: ModuleType) -> None:
    double = SidecarDouble()
    async with connected(dapr, double) as client:
        await client.wait_for_sidecar(timeout=1)
        assert await client.check_health() is True
        await client.set_metadata("team", "payments")
        meta = await client.get_metadata()
        assert meta["id"] == "myapp"
        assert meta["extended"]["team"] == "payments"
        double.metadata.outbound_ready = False
        assert await client.check_health() is False
        with pytest.raises(dapr.DaprUnavailableError, match="ERR_OUTBOUND_HEALTH_NOT_READY"):
            await client.wait_for_sidecar(timeout=0.2)
        await client.shutdown()
    assert double.metadata.shutdown_requested


async def test_api_token(dapr: ModuleType) -> None:
    double = SidecarDouble(api_token="s3cret")
    async with connected(dapr, double, api_token="s3cret") as client:
        await client.save_state("statestore", "k", 1)
    async with connected(dapr, double) as client:
        await client.wait_for_sidecar(timeout=1)  # health is exempt from the token
        with pytest.raises(dapr.DaprError) as caught:
            await client.get_state("statestore", "k")
    assert (caught.value.status_code, caught.value.error_code, caught.value.message) == (401, None, "invalid api token")


async def test_injected_503_and_429_are_retried(dapr: ModuleType) -> None:
    double = SidecarDouble()
    double.inject(method="POST", path="/publish/", status=503, headers={"Retry-After": "0"}, times=2)
    double.inject(method="GET", path="/state/", status=429, times=1)
    async with connected(dapr, double) as client:
        await client.publish_event("pubsub", "orders", {"n": 1})
        assert await client.get_state("statestore", "k") is None
    assert len(double.published) == 1
    assert [r.status for r in double.requests] == [503, 503, 204, 429, 204]


async def test_injected_read_errors_are_retried_only_for_reads(dapr: ModuleType) -> None:
    double = SidecarDouble()
    double.inject(method="POST", path="/publish/", raise_exc=httpx.ReadError("reset"), times=1)
    double.inject(method="GET", path="/state/", raise_exc=httpx.ReadError("reset"), times=1)
    async with connected(dapr, double) as client:
        with pytest.raises(dapr.DaprUnavailableError):
            await client.publish_event("pubsub", "orders", {"n": 1})
        assert await client.get_state("statestore", "k") is None
    assert double.published == []
    assert [r.method for r in double.requests] == ["POST", "GET", "GET"]


# -- real socket: the aiohttp-based transports ---------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["auto", "aiohttp", "httpx"])
async def test_over_a_real_socket_with_connection_resets(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    module = dapr_by_transport[transport]
    double = SidecarDouble(api_token="tok")
    async with serve_double(double, proxy=True) as running:
        assert running.proxy is not None
        settings = module.DaprSettings(http_endpoint=running.base_url, api_token="tok", **FAST)
        async with module.DaprClient(settings) as client:
            await client.wait_for_sidecar(timeout=5)
            await client.save_state("statestore", AWKWARD_KEY, ORDER)
            assert await client.get_state("statestore", AWKWARD_KEY) == ORDER_JSON

            running.proxy.reset_next_requests(1)  # the request was sent: a POST must not be repeated
            with pytest.raises(module.DaprUnavailableError, match="not idempotent"):
                await client.publish_event("pubsub", "orders", {"n": 1})
            assert double.published == []

            running.proxy.reset_next_requests(1)  # a read is safe to repeat
            assert (await client.get_state_item("statestore", AWKWARD_KEY)).value == ORDER_JSON

            await client.publish_event("pubsub", "orders", {"n": 2})
        # Let the proxy finish relaying the connections our client just closed: ResetProxy.close() cancels
        # relays mid-cleanup, which leaves sockets unclosed (ResourceWarning) otherwise.
        await asyncio.sleep(0.2)
    assert [m.json()["data"] for m in double.published] == [{"n": 2}]
    assert running.proxy.resets == 2
