"""Service invocation (references/dapr-contract.md §4, §12.11, §12.12, pitfall 24)."""

from __future__ import annotations

import base64

import pytest

from tests.sidecar.scripted_app import ScriptedApp, answer
from tools.standin import SidecarDouble

pytestmark = pytest.mark.anyio


async def test_invoke_forwards_verb_query_headers_body_and_returns_verbatim() -> None:
    app = ScriptedApp().on("PATCH", "/api/v1/add", answer(418, b"teapot", {"content-type": "text/x", "x-callee": "1"}))
    double = SidecarDouble(app=app, app_api_token="app-tok")
    async with double.client() as c:
        r = await c.patch("/v1.0/invoke/myapp/method/api/v1/add?x=1&y=a+b", content=b"payload",
                          headers={"x-custom": "c", "content-type": "text/plain"})  # fmt: skip
    assert (r.status_code, r.content, r.headers["content-type"], r.headers["x-callee"]) == (
        418,
        b"teapot",
        "text/x",
        "1",
    )
    (seen,) = app.seen
    assert (seen.method, seen.path, seen.query, seen.body) == ("PATCH", "/api/v1/add", b"x=1&y=a+b", b"payload")
    assert seen.headers["x-custom"] == "c"
    assert seen.headers["dapr-caller-app-id"] == "myapp"
    assert seen.headers["dapr-callee-app-id"] == "myapp"
    assert seen.headers["dapr-api-token"] == "app-tok"  # §12.12 on every sidecar->app call


async def test_dapr_app_id_header_form() -> None:
    """§4: with dapr-app-id any path is the method; the header is removed before forwarding."""
    app = ScriptedApp().on("POST", "/orders/42", answer(201, {"ok": True}))
    other = SidecarDouble(app=ScriptedApp(), remote_apps={"orders": app})
    async with other.client() as c:
        r = await c.post("/orders/42?x=1", json={}, headers={"dapr-app-id": "orders"})
    assert (r.status_code, r.json()) == (201, {"ok": True})
    assert app.seen[0].query == b"x=1"
    assert "dapr-app-id" not in app.seen[0].headers


async def test_escaped_method_is_forwarded_escaped() -> None:
    app = ScriptedApp().on("GET", "/items/a/b", answer(200))
    double = SidecarDouble(app=app)
    async with double.client() as c:
        await c.get("/v1.0/invoke/myapp/method/items/a%2Fb")
    assert app.seen[0].raw_path == b"/items/a%2Fb"


async def test_basic_auth_form() -> None:
    app = ScriptedApp().on("GET", "/ping", answer(200, b"pong"))
    double = SidecarDouble(app=app)
    token = base64.b64encode(b"dapr-app-id:myapp").decode()
    async with double.client() as c:
        r = await c.get("/ping", headers={"authorization": f"Basic {token}"})
    assert r.content == b"pong"


async def test_unknown_app_is_500_and_no_app_is_404() -> None:
    double = SidecarDouble()
    async with double.client() as c:
        r = await c.get("/v1.0/invoke/ghost/method/x")
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_DIRECT_INVOKE")
        assert r.json()["message"].startswith("failed to invoke, id: ghost")
        r = await c.get("/v1.0/invoke/ghost")
        assert (r.status_code, r.json()["errorCode"]) == (404, "ERR_DIRECT_INVOKE")


async def test_callee_error_body_is_not_rewrapped() -> None:
    """§4: a 4xx body is whatever the callee returned, not a Dapr JSON error."""
    app = ScriptedApp().on("GET", "/x", answer(400, b"<html>bad</html>", {"content-type": "text/html"}))
    double = SidecarDouble(app=app)
    async with double.client() as c:
        r = await c.get("/v1.0/invoke/myapp/method/x")
    assert (r.status_code, r.text) == (400, "<html>bad</html>")


async def test_app_exception_becomes_500() -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("boom")

    double = SidecarDouble(app=broken)
    async with double.client() as c:
        r = await c.get("/v1.0/invoke/myapp/method/x")
    assert r.status_code == 500
