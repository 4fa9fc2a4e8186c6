"""Fault injection for client tests: the next N matching requests get a canned answer (or an exception).

Raising works in-process only: ``httpx.ASGITransport`` re-raises exceptions from the app, so
``raise_exc=httpx.ReadError("reset")`` reaches the client as that transport error. Over a real socket use the
reset proxy of :mod:`tools.standin.server` instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.standin.wire import Request, Response


@dataclass(slots=True)
class Fault:
    method: str | None
    path: re.Pattern[str]
    remaining: int
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    raise_exc: BaseException | None = None
    delay: float = 0.0
    hits: int = 0

    def matches(self, req: Request) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != req.method.upper():
            return False
        return self.path.search(req.raw_path) is not None

    def response(self) -> Response:
        return Response(self.status, list(self.headers), b"" if self.status == 204 else self.body)


@dataclass(slots=True)
class FaultInjector:
    faults: list[Fault] = field(default_factory=list)

    def add(
        self,
        *,
        method: str | None = None,
        path: str = "",
        status: int = 500,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
        raise_exc: BaseException | None = None,
        delay: float = 0.0,
    ) -> Fault:
        out_headers = [(k.lower(), v) for k, v in (headers or {}).items()]
        if isinstance(body, Mapping | list):
            payload = json.dumps(body, separators=(",", ":")).encode()
            if not any(k == "content-type" for k, _ in out_headers):
                out_headers.append(("content-type", "application/json"))
        elif isinstance(body, str):
            payload = body.encode()
        else:
            payload = body or b""
        fault = Fault(method, re.compile(path), times, status, out_headers, payload, raise_exc, delay)
        self.faults.append(fault)
        return fault

    def take(self, req: Request) -> Fault | None:
        for fault in self.faults:
            if fault.matches(req):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()
