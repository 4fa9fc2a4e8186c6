"""Reference clients: what a Dapr user could write by hand, from the slowest pattern to the keep-alive floor.

Each sends the same request the generated client sends for the workload (state GET, JSON POST invoke) and checks
status and body; none of them parses JSON, so their numbers are an upper bound for a client that must.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from typing import Any

import aiohttp
import httpx

from bench.client.contender import Contender, Op
from bench.client.payloads import (
    APP_ID,
    INVOKE_BODY,
    INVOKE_PATH,
    INVOKE_REQUEST_BODY,
    METHOD,
    STATE_BODY,
    STATE_PATH,
    BadResponseError,
    Workload,
)

_JSON_HEADERS = {"content-type": "application/json"}


def _urls(base_url: str) -> dict[Workload, str]:
    # Full URLs built once: joining a base URL per call is a cost a hand-written hot loop would not pay.
    return {"state": base_url + STATE_PATH, "invoke": base_url + INVOKE_PATH}


def _check(workload: Workload, status: int, body: bytes) -> None:
    expected = STATE_BODY if workload == "state" else INVOKE_BODY
    if status != 200 or body != expected:
        raise BadResponseError(f"{workload}: got {status} {body[:80]!r}")


class HttpxPooled(Contender):
    """One shared httpx.AsyncClient with default settings: the issue's 'httpx 0.28 AsyncClient' row."""

    key = "httpx"
    label = "httpx AsyncClient (pooled)"

    async def open(self, base_url: str) -> None:
        self._client = httpx.AsyncClient()
        self._urls = _urls(base_url)

    def op(self, workload: Workload) -> Op:
        client, url = self._client, self._urls[workload]
        if workload == "state":

            async def state() -> None:
                r = await client.get(url)
                _check(workload, r.status_code, r.content)

            return state

        async def invoke() -> None:
            r = await client.post(url, content=INVOKE_REQUEST_BODY, headers=_JSON_HEADERS)
            _check(workload, r.status_code, r.content)

        return invoke

    async def close(self) -> None:
        await self._client.aclose()


class HttpxOverAiohttp(HttpxPooled):
    """httpx API, aiohttp underneath (httpx-aiohttp): what the generated client's transport='auto' builds on."""

    key = "httpx-aiohttp"
    label = "httpx + httpx-aiohttp transport"

    async def open(self, base_url: str) -> None:
        from httpx_aiohttp import AiohttpTransport

        self._client = httpx.AsyncClient(transport=AiohttpTransport())
        self._urls = _urls(base_url)


class AiohttpSession(Contender):
    """One shared aiohttp.ClientSession: the floor the generated client's transport='aiohttp' is held to."""

    key = "aiohttp"
    label = "aiohttp ClientSession"

    async def open(self, base_url: str) -> None:
        self._session = aiohttp.ClientSession()
        self._urls = _urls(base_url)

    def op(self, workload: Workload) -> Op:
        session, url = self._session, self._urls[workload]
        if workload == "state":

            async def state() -> None:
                async with session.get(url) as r:
                    _check(workload, r.status, await r.read())

            return state

        async def invoke() -> None:
            async with session.post(url, data=INVOKE_REQUEST_BODY, headers=_JSON_HEADERS) as r:
                _check(workload, r.status, await r.read())

        return invoke

    async def close(self) -> None:
        await self._session.close()


class RawStreams(Contender):
    """Hand-written HTTP/1.1 over asyncio streams with a keep-alive pool: what asyncio itself costs per request.

    Not a usable client (no chunked bodies, no errors, no timeouts); it shows how much of every other row is
    HTTP-library overhead rather than the event loop and the socket.
    """

    key = "raw"
    label = "raw asyncio streams (floor)"

    async def open(self, base_url: str) -> None:
        host_port = base_url.removeprefix("http://")
        host, port = host_port.rsplit(":", 1)
        self._host, self._port = host, int(port)
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._all: list[asyncio.StreamWriter] = []
        self._requests: dict[Workload, bytes] = {
            "state": f"GET {STATE_PATH} HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode(),
            "invoke": (
                f"POST {INVOKE_PATH} HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(INVOKE_REQUEST_BODY)}\r\n\r\n"
            ).encode()
            + INVOKE_REQUEST_BODY,
        }

    def op(self, workload: Workload) -> Op:
        request = self._requests[workload]

        async def call() -> None:
            if self._idle:
                reader, writer = self._idle.pop()
            else:
                reader, writer = await asyncio.open_connection(self._host, self._port)
                self._all.append(writer)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            start = head.lower().find(b"\r\ncontent-length:")
            length = int(head[start + 17 : head.index(b"\r\n", start + 2)]) if start >= 0 else 0
            body = await reader.readexactly(length)
            self._idle.append((reader, writer))
            _check(workload, status, body)

        return call

    async def close(self) -> None:
        for writer in self._all:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in self._all), return_exceptions=True)


class SeedPattern(Contender):
    """The seed's pattern: a new httpx.AsyncClient per call (a fresh SSL context and connection every time)."""

    key = "seed"
    label = "seed: new httpx client per call"
    workloads = ("state",)
    once = True

    async def open(self, base_url: str) -> None:
        self._base_url = base_url

    def op(self, workload: Workload) -> Op:
        async def state() -> None:
            async with httpx.AsyncClient(base_url=self._base_url) as client:
                r = await client.get(STATE_PATH)
                _check(workload, r.status_code, r.content)

        return state

    async def close(self) -> None:
        return None


class OfficialSdk(Contender):
    """dapr.aio.clients.DaprClient (the official SDK) invoking a method over HTTP.

    Its state API is gRPC-only, so it takes part in the invoke workload alone. It opens a new aiohttp session
    per call, which is why it is slower than a pooled aiohttp session; that is the SDK as shipped.
    """

    key = "dapr-sdk"
    label = "official dapr SDK (aio, HTTP invoke)"
    workloads = ("invoke",)

    @staticmethod
    def available() -> str | None:
        """None when importable, else why not (the SDK lives in the `bench` dependency group)."""
        try:
            importlib.import_module("dapr.aio.clients")
        except ImportError as exc:
            return f"official dapr SDK not installed ({exc}); run with `uv run --group bench python -m bench`"
        return None

    async def open(self, base_url: str) -> None:
        # The SDK reads its settings from the environment on every access; the runner has already pointed
        # DAPR_RUNTIME_HOST/DAPR_HTTP_PORT at the stand-in and DAPR_GRPC_PORT at a closed port (the gRPC channel
        # is lazy, so nothing connects there). Construction blocks on a synchronous health probe: untimed here.
        assert os.environ.get("DAPR_API_METHOD_INVOCATION_PROTOCOL") == "http"
        module: Any = importlib.import_module("dapr.aio.clients")
        self._client: Any = module.DaprClient()

    def op(self, workload: Workload) -> Op:
        client = self._client

        async def invoke() -> None:
            resp = await client.invoke_method(
                APP_ID, METHOD, data=INVOKE_REQUEST_BODY, content_type="application/json", http_verb="POST"
            )
            _check(workload, resp.status_code, resp.data)

        return invoke

    async def close(self) -> None:
        await self._client.close()


def reference_contenders() -> list[Contender]:
    return [SeedPattern(), HttpxPooled(), HttpxOverAiohttp(), AiohttpSession(), RawStreams(), OfficialSdk()]
