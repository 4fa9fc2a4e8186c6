"""Workflow management (references/dapr-contract.md §10, §17; pitfall 15)."""

from __future__ import annotations

import pytest

from tools.standin import SidecarDouble

pytestmark = pytest.mark.anyio

BASE = "/v1.0-beta1/workflows/dapr"


async def test_start_get_and_lifecycle() -> None:
    double = SidecarDouble()
    async with double.client() as c:
        r = await c.post(f"{BASE}/OrderWorkflow/start?instanceID=order-1", json={"n": 1})
        assert (r.status_code, r.json()) == (202, {"instanceID": "order-1"})
        body = (await c.get(f"{BASE}/order-1")).json()
        assert (body["instanceID"], body["workflowName"], body["runtimeStatus"]) == (
            "order-1",
            "OrderWorkflow",
            "RUNNING",
        )
        assert body["properties"]["dapr.workflow.input"] == '{"n":1}'
        for action, status in (("pause", "SUSPENDED"), ("resume", "RUNNING")):
            r = await c.post(f"{BASE}/order-1/{action}")
            assert (r.status_code, r.json()) == (202, {})
            assert (await c.get(f"{BASE}/order-1")).json()["runtimeStatus"] == status
        r = await c.post(f"{BASE}/order-1/raiseEvent/approved", json={"ok": True})
        assert (r.status_code, r.json()) == (202, {})
        assert double.workflows.instances["order-1"].events == [("approved", b'{"ok":true}')]
        assert (await c.post(f"{BASE}/order-1/purge")).status_code == 500  # still running
        assert (await c.post(f"{BASE}/order-1/terminate")).status_code == 202
        assert (await c.post(f"{BASE}/order-1/purge")).status_code == 202
        r = await c.get(f"{BASE}/order-1")
        assert (r.status_code, r.json()["errorCode"]) == (404, "ERR_INSTANCE_ID_NOT_FOUND")


async def test_generated_id_and_invalid_ids() -> None:
    async with SidecarDouble().client() as c:
        generated = (await c.post(f"{BASE}/wf/start")).json()["instanceID"]
        assert len(generated) == 36
        r = await c.post(f"{BASE}/wf/start?instanceID=has.dot")
        assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_INSTANCE_ID_INVALID")
        r = await c.post(f"{BASE}/wf/start?instanceID={'a' * 65}")
        assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_INSTANCE_ID_TOO_LONG")
        assert (await c.post(f"{BASE}/wf/start?instanceID={'a' * 64}")).status_code == 202
        assert (await c.post(f"{BASE}/ghost/terminate")).status_code == 404


async def test_completion_by_test() -> None:
    double = SidecarDouble()
    async with double.client() as c:
        await c.post("/v1.0/workflows/dapr/wf/start?instanceID=i1")
        double.workflows.set_status("i1", "COMPLETED", output={"total": 3})
        body = (await c.get("/v1.0/workflows/dapr/i1")).json()
    assert body["runtimeStatus"] == "COMPLETED"
    assert body["properties"]["dapr.workflow.output"] == '{"total":3}'
