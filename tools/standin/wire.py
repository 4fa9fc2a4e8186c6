"""Request/response values and the wire-level conventions of the Dapr HTTP API (references/dapr-contract.md §1).

* §1.2 ``metadata.*`` query parameters: prefix stripped, first value kept, names case-sensitive.
* §1.4 legacy errors ``{"errorCode","message"}`` and rich errors (same keys plus ``details``), always
  ``Content-Type: application/json``.
* §1.5 204 responses carry no body.
* §1.6 routing runs on the escaped path cleaned by Go's ``path.Clean``; parameters are then
  ``url.QueryUnescape``-d.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.standin import gojson

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Headers:
    """An ordered multi-map of HTTP headers with case-insensitive lookup."""

    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        return cls(tuple(pairs))

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of ``name`` (Go ``Header.Get``)."""
        lowered = name.lower()
        for key, value in self.items:
            if key.lower() == lowered:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.items if key.lower() == lowered]

    def has(self, name: str) -> bool:
        lowered = name.lower()
        return any(key.lower() == lowered for key, _ in self.items)

    def without(self, *names: str) -> Headers:
        drop = {n.lower() for n in names}
        return Headers(tuple((k, v) for k, v in self.items if k.lower() not in drop))

    def as_dict(self) -> dict[str, str]:
        """Lower-cased names, first value wins (convenient for assertions)."""
        out: dict[str, str] = {}
        for key, value in self.items:
            out.setdefault(key.lower(), value)
        return out


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the sidecar saw it."""

    method: str
    raw_path: str
    query_string: str
    headers: Headers
    body: bytes

    @property
    def query(self) -> dict[str, list[str]]:
        """Go ``url.ParseQuery`` (``+`` is a space; repeated keys keep every value in order)."""
        out: dict[str, list[str]] = {}
        for key, value in urllib.parse.parse_qsl(self.query_string, keep_blank_values=True):
            out.setdefault(key, []).append(value)
        return out

    def query_first(self, name: str) -> str:
        values = self.query.get(name)
        return values[0] if values else ""

    def metadata(self) -> dict[str, str]:
        """``getMetadataFromRequest`` (§1.2): every ``metadata.<k>`` query parameter, first value."""
        return {k[len("metadata.") :]: v[0] for k, v in self.query.items() if k.startswith("metadata.")}

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type") or ""


@dataclass(slots=True)
class Response:
    """What the double answers. ``body`` is empty for 204 (§1.5)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return Headers(tuple(self.headers)).get(name)


def empty() -> Response:
    """``respondWithEmpty``: 204, no body, no content type (§1.5)."""
    return Response(204)


def data(status: int, body: bytes, content_type: str = JSON) -> Response:
    """``respondWithData``: the given bytes, ``application/json`` unless told otherwise."""
    return Response(status, [("content-type", content_type)], body)


def json_line(status: int, obj: Any) -> Response:
    """``respondWithJSON``: ``json.NewEncoder(w).Encode(obj)``, so the body ends with a newline."""
    return data(status, gojson.marshal_line(obj))


def proto_json(status: int, obj: Any) -> Response:
    """``respondWithProto``: protojson output, no trailing newline."""
    return data(status, gojson.marshal(obj))


def error(
    status: int,
    code: str,
    message: str,
    *,
    reason: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Response:
    """A JSON error body (§1.4). With ``reason``, the kit-style ``details`` ErrorInfo is added."""
    body: dict[str, Any] = {"errorCode": code, "message": message}
    if reason is not None:
        info: dict[str, Any] = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "dapr.io",
        }
        if metadata:
            info["metadata"] = dict(metadata)
        body["details"] = [info]
    # json.Marshal of the error struct keeps field order errorCode, message, details.
    parts = [b'{"errorCode":', gojson.marshal(code), b',"message":', gojson.marshal(message)]
    if "details" in body:
        parts += [b',"details":', gojson.marshal(body["details"])]
    parts.append(b"}")
    return data(status, b"".join(parts))


def go_http_error(status: int, message: str) -> Response:
    """Go ``http.Error``: ``text/plain; charset=utf-8``, the message plus a newline (§1.3 401 body)."""
    return Response(
        status,
        [("content-type", "text/plain; charset=utf-8"), ("x-content-type-options", "nosniff")],
        (message + "\n").encode(),
    )


# ---------------------------------------------------------------------------------------------------------------
# Paths (§1.6)


def go_path_clean(path: str) -> str:
    """Go ``path.Clean``: collapse ``//``, resolve ``.`` and ``..``, drop a trailing slash."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class UnescapeError(ValueError):
    """``url.QueryUnescape`` failed (the sidecar answers 400 text/plain)."""


def query_unescape(value: str) -> str:
    """Go ``url.QueryUnescape``: ``%XX`` decoded, ``+`` becomes a space, a bad escape is an error."""
    bad = _BAD_ESCAPE.search(value)
    if bad is not None:
        raise UnescapeError(f'invalid URL escape "{value[bad.start() : bad.start() + 3]}"')
    return urllib.parse.unquote_plus(value, errors="surrogateescape")


async def read_body(receive: Any) -> bytes | None:
    """An ASGI request's whole body, or None when the client disconnected first."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return bytes(body)
