"""An app process reached over HTTP, as an ASGI app: what the double's app channel calls when `dapr-coder run`
serves it for apps running in their own processes (daprd's app channel is plain HTTP to the app port too)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import httpx

from tools.standin.wire import read_body

__all__ = ["HttpApp"]

# Hop-by-hop headers and those httpx sets itself.
_DROP_REQUEST = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive"})
_DROP_RESPONSE = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"})


class HttpApp:
    """Forwards each request to `base_url`; an unreachable app answers 502 (delivery then counts it as RETRY)."""

    def __init__(self, base_url: str, *, timeout: float = 60.0) -> None:
        self.base_url = base_url
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, trust_env=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if body is None:  # the client went away
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        target = raw + (b"?" + query if query else b"")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in _DROP_REQUEST
        ]
        request = self._client.build_request(scope["method"], "/", headers=headers, content=body)
        request.url = request.url.copy_with(raw_path=target)  # the path as the sidecar received it, escapes kept
        try:
            response = await self._client.send(request)
        except httpx.TransportError as exc:
            text = f"app at {self.base_url} unreachable: {type(exc).__name__}".encode()
            await send({"type": "http.response.start", "status": 502, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": text})
            return
        out = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.lower() not in _DROP_RESPONSE
        ]
        out.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": response.content})
