"""Bindings §5, secrets §6, configuration §7/§12.9, lock §8, metadata/health/shutdown §11.

Section and pitfall numbers refer to references/dapr-contract.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sidecar.scripted_app import ScriptedApp, answer
from tools.standin import BindingInvocation, BindingResult, SidecarDouble

pytestmark = pytest.mark.anyio


async def test_output_binding_reserializes_data() -> None:
    """§5 pitfall 7: data is json.Marshal-ed, so a string arrives quoted; 204 without a component response."""
    double = SidecarDouble()
    async with double.client() as c:
        r = await c.post("/v1.0/bindings/mybinding", json={"data": "hi", "operation": "create", "metadata": {"k": "v"}})
        assert (r.status_code, r.content) == (204, b"")
        await c.put("/v1.0/bindings/mybinding", json={"data": {"b": 1, "a": 2}})
    first, second = double.bindings.invocations
    assert (first.data, first.operation, first.metadata) == (b'"hi"', "create", {"k": "v"})
    assert second.data == b'{"a":2,"b":1}'


async def test_output_binding_response_unknown_and_malformed() -> None:
    async def handler(inv: BindingInvocation) -> BindingResult:
        return BindingResult(b'{"id":1}', {"rowsAffected": "1"})

    double = SidecarDouble(bindings={"db": handler})
    async with double.client() as c:
        r = await c.post("/v1.0/bindings/db", json={"data": 1, "operation": "exec"})
        assert (r.status_code, r.json(), r.headers["metadata.rowsAffected"]) == (200, {"id": 1}, "1")
        assert r.headers["content-type"] == "application/json"
        r = await c.post("/v1.0/bindings/nope", json={"data": 1})
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_INVOKE_OUTPUT_BINDING")
        r = await c.post("/v1.0/bindings/db", json={"data": 1, "metadata": {"n": 1}})
        assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_MALFORMED_REQUEST")


async def test_secrets() -> None:
    """§6 pitfall 19: flat map; bulk is two-level; unknown store 401; missing secret 500; 'bulk' route first."""
    double = SidecarDouble(secret_stores={"localsecretstore": {"db:pw": "x", "bulk": "shadowed"}})
    async with double.client() as c:
        r = await c.get("/v1.0/secrets/localsecretstore/db%3Apw?metadata.version_id=1")
        assert (r.status_code, r.json()) == (200, {"db:pw": "x"})
        r = await c.get("/v1.0/secrets/localsecretstore/bulk")
        assert r.json() == {"db:pw": {"db:pw": "x"}, "bulk": {"bulk": "shadowed"}}
        r = await c.get("/v1.0/secrets/nope/x")
        assert (r.status_code, r.json()["errorCode"]) == (401, "ERR_SECRET_STORE_NOT_FOUND")
        r = await c.get("/v1.0/secrets/localsecretstore/missing")
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_SECRET_GET")


async def test_configuration_get_subscribe_unsubscribe() -> None:
    """§7 pitfall 18: repeated key params, 204 when empty, subscribe/unsubscribe are GETs."""
    app = ScriptedApp().on("POST", "/configuration/configstore/a", answer(200))
    stores: dict[str, dict[str, Any]] = {"configstore": {"a": {"value": "1", "version": "v1"}, "b": "2"}}
    double = SidecarDouble(configuration_stores=stores, app=app)
    async with double.client() as c:
        r = await c.get("/v1.0/configuration/configstore?key=a&key=b")
        assert r.json() == {"a": {"value": "1", "version": "v1"}, "b": {"value": "2"}}
        assert (await c.get("/v1.0-alpha1/configuration/configstore?key=zzz")).status_code == 204
        r = await c.get("/v1.0/configuration/nope")
        assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_CONFIGURATION_STORE_NOT_FOUND")
        sub_id = (await c.get("/v1.0/configuration/configstore/subscribe?key=a")).json()["id"]
        await double.update_configuration("configstore", {"a": {"value": "9"}})
        assert app.seen[0].json() == {"id": sub_id, "items": {"a": {"value": "9"}}}
        assert (await c.delete(f"/v1.0/configuration/configstore/{sub_id}/unsubscribe")).status_code == 404
        r = await c.get(f"/v1.0/configuration/configstore/{sub_id}/unsubscribe")
        assert (r.status_code, r.json()) == (200, {"ok": True})
        r = await c.get(f"/v1.0/configuration/configstore/{sub_id}/unsubscribe")
        assert r.status_code == 500
        assert r.json()["ok"] is False


async def test_configuration_subscribe_needs_app_channel() -> None:
    async with SidecarDouble().client() as c:
        r = await c.get("/v1.0/configuration/configstore/subscribe")
    assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_APP_CHANNEL_NIL")


async def test_lock_and_unlock() -> None:
    """§8 pitfall 20: alpha1 prefix, explicit success false, numeric unlock status, 400 on bad input."""
    double = SidecarDouble()
    lock = {"resourceId": "r1", "lockOwner": "o1", "expiryInSeconds": 60}
    async with double.client() as c:
        r = await c.post("/v1.0-alpha1/lock/lockstore", json=lock)
        assert (r.status_code, r.content) == (200, b'{"success":true}')
        r = await c.post("/v1.0-alpha1/lock/lockstore", json={**lock, "lockOwner": "o2"})
        assert r.content == b'{"success":false}'
        unlock = {"resourceId": "r1", "lockOwner": "o2"}
        assert (await c.post("/v1.0-alpha1/unlock/lockstore", json=unlock)).json() == {"status": 2}
        assert (await c.post("/v1.0-alpha1/unlock/lockstore", json={**unlock, "lockOwner": "o1"})).json() == {
            "status": 0
        }
        assert (await c.post("/v1.0-alpha1/unlock/lockstore", json=unlock)).json() == {"status": 1}
        for bad in ({**lock, "resourceId": ""}, {**lock, "lockOwner": ""}, {**lock, "expiryInSeconds": 0}):
            assert (await c.post("/v1.0-alpha1/lock/lockstore", json=bad)).status_code == 400
        r = await c.post("/v1.0-alpha1/lock/nope", json=lock)
        assert (r.status_code, r.json()["errorCode"]) == (400, "ERR_LOCK_STORE_NOT_FOUND")
        assert (await c.post("/v1.0-alpha/lock/lockstore", json=lock)).json()["errorCode"] == "ERR_DIRECT_INVOKE"


async def test_metadata_health_shutdown() -> None:
    """§11: GET metadata 200, PUT label 204 shown under extended, healthz 204, shutdown 204."""
    double = SidecarDouble()
    async with double.client() as c:
        r = await c.put("/v1.0/metadata/owner", content=b"team-a")
        assert (r.status_code, r.content) == (204, b"")
        body = (await c.get("/v1.0/metadata")).json()
        assert body["id"] == "myapp"
        assert body["extended"]["owner"] == "team-a"
        assert {"name": "statestore", "type": "state.redis"}.items() <= body["components"][0].items()
        assert (await c.get("/v1.0/healthz")).status_code == 204
        assert (await c.get("/v1.0/healthz?appid=other")).json()["errorCode"] == "ERR_HEALTH_APPID_NOT_MATCH"
        double.metadata.ready = False
        assert (await c.get("/v1.0/healthz")).json()["errorCode"] == "ERR_HEALTH_NOT_READY"
        assert (await c.get("/v1.0/healthz/outbound")).status_code == 204  # does not wait for the app (pitfall 17)
        r = await c.post("/v1.0/shutdown")
        assert (r.status_code, double.metadata.shutdown_requested) == (204, True)


@pytest.mark.parametrize(
    ("options_answer", "post_answer", "listening", "success"),
    [
        (answer(405), answer(200), True, True),  # a POST-only route answers OPTIONS with 405: enough
        (answer(200), answer(204), True, False),  # only 200 counts (pitfall 23)
        (answer(404), answer(200), False, False),  # 404 on the probe: the binding is never read
    ],
)
async def test_input_binding_probe_and_delivery(
    options_answer: Any, post_answer: Any, listening: bool, success: bool
) -> None:
    """§12.6 pitfall 23."""
    app = ScriptedApp().on("OPTIONS", "/checkout", options_answer).on("POST", "/checkout", post_answer)
    double = SidecarDouble(app=app)
    result = await double.send_input_binding_event("checkout", b'{"a":1}', {"k": "v"})
    assert (result.listening, result.success) == (listening, success)
    posts = app.requests_to("/checkout")[1:]
    assert len(posts) == (1 if listening else 0)
    if posts:
        assert (posts[0].body, posts[0].headers["k"], posts[0].headers["content-type"]) == (
            b'{"a":1}',
            "v",
            "application/json",
        )


async def test_input_binding_direction_input_skips_probe() -> None:
    app = ScriptedApp().on("POST", "/queue", answer(200))
    double = SidecarDouble(app=app)
    result = await double.send_input_binding_event("queue", b"x", direction="input, output")
    assert result.success
    assert [r.method for r in app.seen] == ["POST"]
