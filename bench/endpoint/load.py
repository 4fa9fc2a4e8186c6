"""The load generator's connection pool: HTTP/1.1 keep-alive over asyncio streams, written by hand.

aiohttp spends ~150 us of the load generator's core per request; at 64 concurrent deliveries that made the client,
not the app, the side that saturated. This pool does only what the benchmark needs (POST a body, read a
Content-Length answer; uvicorn sends one for every response these apps give), and every answer is still checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit

from bench.endpoint.payloads import delivery, is_success


class DeliveryFailedError(Exception):
    """An answer Dapr would not read as SUCCESS: the app is out of the run."""


class Pool:
    def __init__(self, url: str, headers: Mapping[str, str]) -> None:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"need http://host:port/path, got {url!r}")
        self.url = url
        self._host, self._port = parts.hostname, parts.port
        lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._all: list[asyncio.StreamWriter] = []

    async def post(self) -> None:
        """One delivery with a fresh event id; raises DeliveryFailedError unless the answer is SUCCESS."""
        body = delivery()
        while self._idle and self._idle[-1][0].at_eof():  # closed by the server while idle
            self._idle.pop()[1].close()
        if self._idle:
            reader, writer = self._idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self._host, self._port)
            self._all.append(writer)
        writer.write(b"%s%d\r\n\r\n%s" % (self._head, len(body), body))
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        start = head.lower().find(b"\r\ncontent-length:")
        if start < 0:
            raise DeliveryFailedError(f"{self.url}: HTTP {status} without Content-Length: {head[:200]!r}")
        answer = await reader.readexactly(int(head[start + 17 : head.index(b"\r\n", start + 2)]))
        if b"\r\nconnection: close" in head.lower():
            writer.close()
        else:
            self._idle.append((reader, writer))
        if not is_success(status, answer):
            raise DeliveryFailedError(f"{self.url}: HTTP {status} {answer[:120]!r}")

    async def close(self) -> None:
        for writer in self._all:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in self._all), return_exceptions=True)
