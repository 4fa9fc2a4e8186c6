"""An SMTP server that keeps every message it is given, for the runtime tests to see what an email output binding
sent (Dapr's bindings.smtp, through gomail: EHLO, MAIL, RCPT, DATA, QUIT; no STARTTLS offered, so none is used;
no AUTH without a user). Plain asyncio, in a thread of its own, so that it serves while a scenario's event loop waits.

    with SmtpSink() as sink:   # sink.address: 'host:port'
        ... sink.messages()    # [{'sender': ..., 'recipients': [...], 'data': '...'}]
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any


class SmtpSink:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-sink", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self.address = f"{host}:{self.port}"

    async def _serve(self) -> asyncio.Server:
        return await asyncio.start_server(self._session, self.host, 0)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        sender, recipients = "", list[str]()
        try:
            await say("220 smtp-sink ready")
            while line := await reader.readline():
                command = line.decode("utf-8", "replace").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    await say("250-smtp-sink")
                    await say("250 8BITMIME")
                elif verb == "HELO":
                    await say("250 smtp-sink")
                elif verb == "MAIL":
                    sender, recipients = command.split(":", 1)[1].strip().split(" ")[0].strip("<>"), []
                    await say("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    await say("250 OK")
                elif verb == "DATA":
                    await say("354 end with <CRLF>.<CRLF>")
                    data: list[str] = []
                    while (body := await reader.readline()) not in (b".\r\n", b".\n", b""):
                        text = body.decode("utf-8", "replace").rstrip("\r\n")
                        data.append(text[1:] if text.startswith(".") else text)  # dot-stuffing undone
                    with self._lock:
                        self._messages.append({"sender": sender, "recipients": recipients, "data": "\n".join(data)})
                    await say("250 OK: queued")
                elif verb == "QUIT":
                    await say("221 bye")
                    break
                elif verb in ("RSET", "NOOP"):
                    await say("250 OK")
                else:
                    await say("502 command not implemented")
        finally:
            writer.close()

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)

    def close(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shut(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
        if not self._loop.is_closed() and not self._thread.is_alive():
            self._loop.close()

    async def _shut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> SmtpSink:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()
