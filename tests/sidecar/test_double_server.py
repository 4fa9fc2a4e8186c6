"""The double over a real socket (uvicorn) and the connection-reset proxy."""

from __future__ import annotations

import httpx
import pytest

from tools.standin import SidecarDouble, serve_double

pytestmark = pytest.mark.anyio


async def test_real_socket_round_trip_keeps_escaped_path() -> None:
    double = SidecarDouble()
    async with serve_double(double) as running, httpx.AsyncClient(base_url=running.base_url) as c:
        assert running.base_url.startswith("http://127.0.0.1:")
        r = await c.post("/v1.0/state/statestore", json=[{"key": "a/b", "value": {"x": 1}}])
        assert r.status_code == 204
        r = await c.get("/v1.0/state/statestore/a%2Fb")
        assert (r.status_code, r.json(), r.headers["etag"]) == (200, {"x": 1}, "1")
        r = await c.get("/v1.0/state/statestore/a/b")
        assert r.json()["errorCode"] == "ERR_DIRECT_INVOKE"
    assert double.requests[1].raw_path == "/v1.0/state/statestore/a%2Fb"


async def test_dropped_connection_is_a_transport_error() -> None:
    double = SidecarDouble()
    async with serve_double(double, proxy=True) as running:
        assert running.proxy is not None
        running.proxy.drop_next_connections(1)
        async with httpx.AsyncClient(base_url=running.base_url) as c:
            with pytest.raises(httpx.TransportError):
                await c.get("/v1.0/healthz")
        async with httpx.AsyncClient(base_url=running.base_url) as c:
            assert (await c.get("/v1.0/healthz")).status_code == 204
        assert running.proxy.dropped == 1
    assert len(double.requests) == 1  # the dropped request never reached the sidecar


async def test_reset_after_request_received() -> None:
    """The proxy reads the whole request, then resets: the sidecar never sees it, the client gets an error."""
    double = SidecarDouble()
    async with serve_double(double, proxy=True) as running, httpx.AsyncClient(base_url=running.base_url) as c:
        assert running.proxy is not None
        assert (await c.get("/v1.0/healthz")).status_code == 204  # a kept-alive connection
        running.proxy.reset_next_requests(1)
        with pytest.raises(httpx.TransportError):
            await c.post("/v1.0/publish/pubsub/orders", json={"big": "x" * 100_000})
        assert double.published == []
        assert (await c.post("/v1.0/publish/pubsub/orders", json={"n": 1})).status_code == 204
        assert running.proxy.resets == 1
    assert len(double.published) == 1
