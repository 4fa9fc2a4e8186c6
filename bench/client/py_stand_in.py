"""Fallback sidecar stand-in when nginx is not installed: `python -m bench.client.py_stand_in PORT`.

A bare asyncio.Protocol HTTP/1.1 keep-alive server serving the same three routes as the nginx config. It is
much slower than nginx and shares the interpreter's costs with nothing, so it caps fast clients: ratios measured
against it understate the gap between fast and slow clients. The runner says so in its output.
"""

from __future__ import annotations

import asyncio
import re
import sys

from bench.client.payloads import HEALTH_PATH, INVOKE_BODY, STATE_BODY, STATE_ETAG

_STATE = re.compile(rb"^/v1\.0/state/[^/]+/[^/]+$")
_INVOKE = re.compile(rb"^/v1\.0/invoke/[^/]+/method/.+$")
_HEALTH = HEALTH_PATH.encode()
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def _response(status: bytes, body: bytes = b"", extra: bytes = b"") -> bytes:
    head = b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n" + extra
    return head + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: keep-alive\r\n\r\n" + body


_STATE_RESPONSE = _response(b"200 OK", STATE_BODY, b'ETag: "' + STATE_ETAG.encode() + b'"\r\n')
_INVOKE_RESPONSE = _response(b"200 OK", INVOKE_BODY)
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n"
_NOT_FOUND = _response(b"404 Not Found", b'{"errorCode":"ERR_NOT_FOUND"}')


def route(method: bytes, target: bytes) -> bytes:
    path = target.split(b"?", 1)[0]
    if path == _HEALTH:
        return _NO_CONTENT
    if method == b"GET" and _STATE.match(path):
        return _STATE_RESPONSE
    if _INVOKE.match(path):
        return _INVOKE_RESPONSE
    return _NOT_FOUND


class _Http(asyncio.Protocol):
    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        out: list[bytes] = []
        while True:  # pipelined requests: answer every complete one in the buffer
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self._buffer[:end]
            match = _CONTENT_LENGTH.search(head)
            total = end + 4 + (int(match.group(1)) if match else 0)
            if len(self._buffer) < total:
                break
            method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            out.append(route(method, target))
            self._buffer = self._buffer[total:]
        if out and self._transport is not None:
            self._transport.write(b"".join(out))


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    asyncio.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
