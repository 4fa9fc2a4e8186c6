"""Serve the double on a real socket (uvicorn, same event loop) with an optional connection-reset proxy.

    async with serve_double(double, proxy=True) as running:
        running.proxy.drop_next_connections(1)     # accept, then reset before reading anything
        running.proxy.reset_next_requests(1)       # read the whole request, then reset without answering
        async with httpx.AsyncClient(base_url=running.base_url) as client: ...

Both faults surface in httpx as a :class:`httpx.TransportError` (``ReadError`` / ``RemoteProtocolError``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from tools.standin.core import ASGIApp


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0) so the peer sees a reset, not a clean FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP/1.1 request (headers plus a Content-Length or chunked body), or None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    parts = [head]
    lines = head.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    try:
        if "chunked" in fields.get("transfer-encoding", "").lower():
            while True:
                size_line = await reader.readuntil(b"\r\n")
                parts.append(size_line)
                size = int(size_line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while True:
                        trailer = await reader.readuntil(b"\r\n")
                        parts.append(trailer)
                        if trailer == b"\r\n":
                            break
                    break
                parts.append(await reader.readexactly(size + 2))
        elif int(fields.get("content-length", "0") or 0) > 0:
            parts.append(await reader.readexactly(int(fields["content-length"])))
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        return None
    return b"".join(parts)


class ResetProxy:
    """A tiny TCP proxy in front of the server that can drop connections or reset mid-request."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.connections = 0
        self.dropped = 0
        self.resets = 0
        self.forwarded = 0
        self._drop = 0
        self._reset = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def drop_next_connections(self, n: int = 1) -> None:
        """Accept the next ``n`` connections and reset them before reading anything."""
        self._drop += n

    def reset_next_requests(self, n: int = 1) -> None:
        """Read the next ``n`` requests completely, then reset the connection without answering."""
        self._reset += n

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.connections += 1
        try:
            if self._drop > 0:
                self._drop -= 1
                self.dropped += 1
                _abort(writer)
                return
            await self._relay(reader, writer)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _abort(writer)
            return
        back = asyncio.create_task(self._pipe(up_reader, writer))
        aborted = False
        try:
            while (request := await _read_request(reader)) is not None:
                if self._reset > 0:
                    self._reset -= 1
                    self.resets += 1
                    aborted = True
                    _abort(writer)
                    _abort(up_writer)
                    break
                up_writer.write(request)
                await up_writer.drain()
                self.forwarded += 1
        except ConnectionError:
            pass
        finally:
            back.cancel()
            await asyncio.gather(back, return_exceptions=True)
            if not aborted:
                for w in (up_writer, writer):
                    w.close()
                    with contextlib.suppress(Exception):
                        await w.wait_closed()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()


@dataclass(frozen=True, slots=True)
class RunningSidecar:
    """``base_url`` goes through the proxy when there is one; ``server_url`` is uvicorn itself."""

    base_url: str
    server_url: str
    proxy: ResetProxy | None


@contextlib.asynccontextmanager
async def serve_double(app: ASGIApp, *, proxy: bool = False, port: int = 0) -> AsyncIterator[RunningSidecar]:
    """Run ``app`` (usually a :class:`~tools.standin.double.SidecarDouble`) with uvicorn on 127.0.0.1, on ``port``
    (0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    reset_proxy: ResetProxy | None = None
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before starting")
            await asyncio.sleep(0.005)
        server_url = f"http://127.0.0.1:{port}"
        base_url = server_url
        if proxy:
            reset_proxy = ResetProxy(port)
            base_url = f"http://127.0.0.1:{await reset_proxy.start()}"
        yield RunningSidecar(base_url, server_url, reset_proxy)
    finally:
        if reset_proxy is not None:
            await reset_proxy.close()
        server.should_exit = True
        await task
        sock.close()
