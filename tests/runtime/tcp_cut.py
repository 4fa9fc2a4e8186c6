"""A loopback TCP relay in front of a server that a test can cut: the broker "down for a moment".

While cut, every open connection is closed and new ones are closed as soon as they are accepted, so clients
see the server go away (not hang); afterwards the relay passes traffic again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator


class TcpCut:
    """Relays 127.0.0.1:`port` (`listen`: a free one unless given) to `target` (host:port) on a thread of its
    own."""

    def __init__(self, target: str, listen: int = 0) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self._listen = listen
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._cut_until = 0.0
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        assert self._server is not None
        self.port: int = int(self._server.sockets[0].getsockname()[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", self._listen))
        self._ready.set()
        self._loop.run_forever()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._cut_until:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}

    def cut(self, seconds: float) -> None:
        """Close every connection now and refuse new ones for `seconds`."""

        def _cut() -> None:
            self._cut_until = time.monotonic() + seconds
            for w in list(self._writers):
                w.close()

        self._loop.call_soon_threadsafe(_cut)

    def close(self) -> None:
        def _stop() -> None:
            if self._server is not None:
                self._server.close()
            for w in list(self._writers):
                w.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(_stop)
        self._thread.join(10)


@contextlib.contextmanager
def relay(target: str) -> Iterator[TcpCut]:
    cut = TcpCut(target)
    try:
        yield cut
    finally:
        cut.close()
