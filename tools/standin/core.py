"""Shared configuration of the double and the sidecar->app channel (references/dapr-contract.md §12, §12.12, §17)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tools.standin.acl import AccessControl
from tools.standin.wire import Headers

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[MutableMapping[str, Any]]], Callable[..., Awaitable[None]]],
    Awaitable[None],
]

SUPPORTED_VERSIONS = ("1.14", "1.15", "1.16", "1.17", "1.18")


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.16"`` -> (1, 16, 999) (latest patch); ``"1.18.2"`` -> (1, 18, 2)."""
    match = re.fullmatch(r"1\.(1[4-8])(?:\.(\d+))?", text)
    if match is None:
        raise ValueError(f"dapr_version must be one of {SUPPORTED_VERSIONS} (optionally with a patch), got {text!r}")
    patch = int(match.group(2)) if match.group(2) is not None else 999
    return (1, int(match.group(1)), patch)


@dataclass(slots=True)
class SidecarConfig:
    """Settings every building block reads."""

    app_id: str
    version: tuple[int, int, int]
    namespace: str = ""
    tracing: bool = False

    def at_least(self, minor: int, patch: int = 0) -> bool:
        return self.version[1:] >= (minor, patch)


@dataclass(frozen=True, slots=True)
class AppResponse:
    """What an app answered to a sidecar->app call."""

    status: int
    headers: Headers
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass(slots=True)
class AppCall:
    """A recorded sidecar->app call (subscriptions, events, jobs, invocations, config updates)."""

    target_app_id: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    response_body: bytes = b""


class NoAppError(LookupError):
    """The target app id is not known to the double (Dapr: 500 ERR_DIRECT_INVOKE)."""


@dataclass(slots=True)
class AppChannel:
    """Calls ASGI apps in-process through ``httpx.ASGITransport``.

    ``app_api_token`` (APP_API_TOKEN) is sent as ``dapr-api-token`` on *every* sidecar->app call (§12.12);
    there is no ``app-api-token`` header.

    ``peers`` are the app channels of the other sidecars of a mesh (tools/standin/mesh.py): an invocation of a peer's
    app id goes through the callee's channel, so the callee's own APP_API_TOKEN is sent and the call is recorded there
    (§4, §12.12).
    """

    app_id: str
    app: ASGIApp | None
    remote_apps: Mapping[str, ASGIApp]
    app_api_token: str | None
    calls: list[AppCall] = field(default_factory=list)
    peers: Mapping[str, AppChannel] = field(default_factory=dict)
    # The Configuration's accessControl this sidecar applies to invocations from other sidecars (tools/standin/acl.py).
    access_control: AccessControl | None = None

    @property
    def has_app(self) -> bool:
        return self.app is not None

    def _route(self, app_id: str) -> tuple[AppChannel, ASGIApp]:
        if app_id == self.app_id and self.app is not None:
            return self, self.app
        if app_id in self.remote_apps:
            return self, self.remote_apps[app_id]
        peer = self.peers.get(app_id)
        if peer is not None and peer is not self and peer.app is not None:
            return peer, peer.app
        base = app_id.split(".", 1)[0]
        if base != app_id:
            return self._route(base)
        raise NoAppError(app_id)

    def resolve(self, app_id: str) -> ASGIApp:
        return self._route(app_id)[1]

    def callee(self, app_id: str) -> AppChannel:
        """The channel an invocation of `app_id` goes through: this one, or a peer sidecar's."""
        return self._route(app_id)[0]

    async def call(
        self,
        method: str,
        path_and_query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        app_id: str | None = None,
    ) -> AppResponse:
        """Send one request to the app (``app_id`` defaults to this sidecar's own app)."""
        target = app_id or self.app_id
        channel, asgi = self._route(target)
        if channel is not self:
            return await channel.call(method, path_and_query, headers, body)
        out_headers = [(k, v) for k, v in headers if k.lower() != "dapr-api-token"]
        if self.app_api_token:
            out_headers.append(("dapr-api-token", self.app_api_token))
        record = AppCall(target, method, path_and_query, {k.lower(): v for k, v in out_headers}, body)
        self.calls.append(record)
        transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            request = client.build_request(method, path_and_query, headers=out_headers, content=body)
            # The method path is forwarded as escaped by the caller: keep it byte for byte.
            raw_target = path_and_query.encode()
            request.url = request.url.copy_with(raw_path=raw_target)
            response = await client.send(request)
        record.status = response.status_code
        record.response_body = response.content
        return AppResponse(response.status_code, Headers.of(response.headers.multi_items()), response.content)
