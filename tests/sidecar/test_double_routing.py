"""Cross-cutting behaviour of the double: §0 routes, §1.3 token, §1.4 errors, §1.5 204s, §1.6 paths, §17, faults.

Section and pitfall numbers refer to references/dapr-contract.md.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest

from tools.standin import SidecarDouble

pytestmark = pytest.mark.anyio

NO_APP_ID = "failed getting app id either from the URL path or the header dapr-app-id"


async def test_asgi_transport_passes_escaped_raw_path_without_query() -> None:
    """The subtle premise of §1.6 routing: httpx.ASGITransport keeps %2F in raw_path and strips the query."""
    seen: list[tuple[bytes, str, bytes]] = []

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        seen.append((scope["raw_path"], scope["path"], scope["query_string"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:3500") as c:
        await c.get("/v1.0/state/s/a%2Fb?metadata.x=1+2")
    assert seen == [(b"/v1.0/state/s/a%2Fb", "/v1.0/state/s/a/b", b"metadata.x=1+2")]


async def test_escaped_slash_and_plus_are_query_unescaped_in_params(
    client: httpx.AsyncClient, double: SidecarDouble
) -> None:
    """§1.6: a key with %2F is one segment, then QueryUnescape turns %2F into / and + into a space."""
    r = await client.post("/v1.0/state/statestore", json=[{"key": "a/b c+d", "value": 1}])
    assert r.status_code == 204
    r = await client.get("/v1.0/state/statestore/a%2Fb+c%2Bd")
    assert r.status_code == 200
    assert r.json() == 1
    assert double.get_state("statestore", "a/b c+d") is not None


async def test_unencoded_slash_in_key_falls_through_to_invoke(client: httpx.AsyncClient) -> None:
    """Pitfall 24 / §1.6: /v1.0/state/s/a/b matches no route -> 404 ERR_DIRECT_INVOKE."""
    r = await client.get("/v1.0/state/statestore/a/b")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"errorCode": "ERR_DIRECT_INVOKE", "message": NO_APP_ID}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1.0/publish/pubsub/orders"), ("POST", "/v1.0/stat/statestore"), ("PATCH", "/v1.0/state/statestore")],
)
async def test_wrong_verb_or_typo_is_invoke_fallback(client: httpx.AsyncClient, method: str, path: str) -> None:
    """Pitfall 24: NotFound and MethodNotAllowed both run the invoke handler."""
    r = await client.request(method, path)
    assert (r.status_code, r.json()["errorCode"]) == (404, "ERR_DIRECT_INVOKE")
    assert r.json()["message"] == NO_APP_ID


async def test_bad_escape_in_param_is_400_text(client: httpx.AsyncClient) -> None:
    """server.go unescapeRequestParametersHandler: http.Error 400 text/plain."""
    r = await client.get("/v1.0/state/statestore/a%zz")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/plain")
    assert 'failed to unescape request parameter "key"' in r.text


async def test_double_slashes_are_cleaned(client: httpx.AsyncClient) -> None:
    """CleanPathMiddleware: path.Clean on the escaped path."""
    r = await client.post("/v1.0//state/statestore/", json=[{"key": "k", "value": "v"}])
    assert r.status_code == 204


async def test_api_token_required_with_text_plain_401() -> None:
    """§1.3: every route but GET healthz and healthz/outbound needs dapr-api-token; 401 text/plain."""
    double = SidecarDouble(api_token="s3cret")
    async with double.client() as c:
        r = await c.get("/v1.0/metadata")
        assert r.status_code == 401
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.text.strip() == "invalid api token"
        assert (await c.get("/v1.0/metadata", headers={"dapr-api-token": "wrong"})).status_code == 401
        assert (await c.get("/v1.0/metadata", headers={"dapr-api-token": "s3cret"})).status_code == 200
        assert (await c.get("/v1.0/healthz")).status_code == 204
        assert (await c.get("/v1.0/healthz/outbound")).status_code == 204
        assert (await c.post("/v1.0/healthz")).status_code == 401  # only GET is exempt
        assert (await c.get("/v1.0/no-such-route")).status_code == 401  # the token check runs before routing


async def test_api_token_is_not_forwarded_to_invoked_app() -> None:
    """§1.3: the middleware deletes dapr-api-token before the request goes on."""
    seen: list[dict[str, str]] = []

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    double = SidecarDouble(api_token="t", app=app)
    async with double.client() as c:
        r = await c.get("/v1.0/invoke/myapp/method/x", headers={"dapr-api-token": "t"})
    assert r.status_code == 200
    assert "dapr-api-token" not in seen[0]


async def test_204_has_no_body_and_no_content_type(client: httpx.AsyncClient) -> None:
    """§1.5 respondWithEmpty."""
    r = await client.get("/v1.0/state/statestore/missing")
    assert r.status_code == 204
    assert r.content == b""
    assert "content-type" not in r.headers


@pytest.mark.parametrize(
    ("version", "path", "exists"),
    [
        ("1.14", "/v1.0/workflows/dapr/wf/start", False),
        ("1.15", "/v1.0/workflows/dapr/wf/start", True),
        ("1.14", "/v1.0-beta1/workflows/dapr/wf/start", True),
        ("1.17", "/v1.0/jobs/j", False),
        ("1.18", "/v1.0/jobs/j", True),
        ("1.16", "/v1.0/publish/bulk/pubsub/orders", False),
        ("1.17", "/v1.0/publish/bulk/pubsub/orders", True),
    ],
)
async def test_version_gated_routes(version: str, path: str, exists: bool) -> None:
    """§17 route deltas. A missing v1.0 bulk route is a normal publish to pubsub 'bulk' (404 pubsub not found)."""
    double = SidecarDouble(dapr_version=version)
    body: Any = {"schedule": "@daily", "data": {}} if "jobs" in path else []
    async with double.client() as c:
        r = await c.post(path, json=body)
    if exists:
        assert r.status_code in (202, 204), r.text
    else:
        assert r.status_code == 404
        assert r.json()["errorCode"] in ("ERR_DIRECT_INVOKE", "ERR_PUBSUB_NOT_FOUND")


def test_unknown_version_is_rejected() -> None:
    with pytest.raises(ValueError, match="dapr_version"):
        SidecarDouble(dapr_version="1.13")


async def test_fault_injection_then_normal_handling(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    """The next N matching requests get the canned answer, then the double answers normally again."""
    fault = double.inject(method="GET", path=r"^/v1\.0/state/", status=503, times=2, headers={"Retry-After": "0"},
                          body={"errorCode": "X"})  # fmt: skip
    for _ in range(2):
        r = await client.get("/v1.0/state/statestore/k")
        assert (r.status_code, r.headers["retry-after"], r.json()) == (503, "0", {"errorCode": "X"})
    assert (await client.get("/v1.0/state/statestore/k")).status_code == 204
    assert fault.hits == 2
    assert [q.injected for q in double.requests] == [True, True, False]


async def test_fault_can_raise_transport_error_in_process(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    double.inject(path="^/v1.0/publish/", raise_exc=httpx.ReadError("connection reset"))
    with pytest.raises(httpx.ReadError):
        await client.post("/v1.0/publish/pubsub/t", json={})
    assert (await client.post("/v1.0/publish/pubsub/t", json={})).status_code == 204


async def test_request_log_keeps_raw_path_query_headers_body(client: httpx.AsyncClient, double: SidecarDouble) -> None:
    await client.put("/v1.0/state/statestore?metadata.ttlInSeconds=5", content=b"[]", headers={"x-a": "1"})
    rec = double.requests[-1]
    assert (rec.method, rec.raw_path, rec.query, rec.body, rec.status) == (
        "PUT", "/v1.0/state/statestore", "metadata.ttlInSeconds=5", b"[]", 204,
    )  # fmt: skip
    assert rec.headers["x-a"] == "1"
