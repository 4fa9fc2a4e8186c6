"""The live page of a `dapr-coder run`: one HTML file (page.html, plain JS, no build step) that polls `GET /flow`.

Served on 127.0.0.1 only, and only to requests whose Host is a loopback name (a page on another site cannot reach it
through DNS rebinding). `/flow?after=N` answers the events after N, every app and every stored key.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import MutableMapping
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.standin.run import Running

__all__ = ["FlowPage"]

_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def _page() -> bytes:
    return resources.files("tools.standin").joinpath("page.html").read_bytes()


class FlowPage:
    """ASGI app: `/` the page, `/flow` its data."""

    def __init__(self, running: Running) -> None:
        self.running = running
        self.html = _page()

    def snapshot(self, after: int) -> dict[str, Any]:
        flow, mesh = self.running.flow, self.running.mesh
        return {
            "seq": flow.seq,
            "events": flow.since(after),
            "apps": list(flow.apps.values()),
            "state": flow.state(mesh),
            "jobs": {app_id: sorted(double.jobs.jobs) for app_id, double in mesh.sidecars.items() if double.jobs.jobs},
        }

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").rsplit(":", 1)[0] if not headers.get("host", "").startswith("[") else "[::1]"
        if host not in _LOOPBACK:
            await _answer(send, 403, "text/plain; charset=utf-8", b"loopback only")
            return
        if scope["method"] != "GET":
            await _answer(send, 405, "text/plain; charset=utf-8", b"GET only")
            return
        path = scope["path"]
        if path == "/":
            await _answer(send, 200, "text/html; charset=utf-8", self.html)
        elif path == "/flow":
            query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
            try:
                after = int(query.get("after", ["0"])[0])
            except ValueError:
                after = 0
            body = json.dumps(self.snapshot(after)).encode()
            await _answer(send, 200, "application/json", body)
        else:
            await _answer(send, 404, "text/plain; charset=utf-8", b"not found")


async def _answer(send: Any, status: int, content_type: str, body: bytes) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
