"""A scripted ASGI app standing in for the user's service in tests: canned answers per route, every request kept."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


@dataclass(slots=True)
class SeenRequest:
    method: str
    path: str
    raw_path: bytes
    query: bytes
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def answer(status: int = 200, body: Any = b"", headers: dict[str, str] | None = None) -> Answer:
    """A canned answer; a non-bytes ``body`` is sent as JSON."""
    out_headers = dict(headers or {})
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
        out_headers.setdefault("content-type", "application/json")
    return status, out_headers, body


@dataclass
class ScriptedApp:
    """``routes[(METHOD, path)]`` is a queue of answers (the last one repeats) or a callable."""

    routes: dict[tuple[str, str], deque[Answer] | Callable[[SeenRequest], Awaitable[Answer]]] = field(
        default_factory=dict
    )
    seen: list[SeenRequest] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Answer) -> ScriptedApp:
        self.routes[(method.upper(), path)] = deque(answers)
        return self

    def handle(self, method: str, path: str, fn: Callable[[SeenRequest], Awaitable[Answer]]) -> ScriptedApp:
        self.routes[(method.upper(), path)] = fn
        return self

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [r for r in self.seen if r.path == path]

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        req = SeenRequest(
            scope["method"], scope["path"], scope.get("raw_path") or b"", scope["query_string"],
            {k.decode().lower(): v.decode() for k, v in scope["headers"]}, body,
        )  # fmt: skip
        self.seen.append(req)
        script = self.routes.get((req.method, req.path))
        if script is None:
            status, headers, payload = 404, {"content-type": "text/plain"}, b"Not Found"
        elif callable(script):
            status, headers, payload = await script(req)
        else:
            status, headers, payload = script[0] if len(script) == 1 else script.popleft()
        raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": payload})
