"""Metadata, health and shutdown (references/dapr-contract.md §11, pitfall 17)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tools.standin import gojson, wire
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response


class MetadataBlock:
    """``describe`` builds the component/subscription parts of ``GET /v1.0/metadata`` from the double."""

    def __init__(self, app_id: str, runtime_version: str, describe: Callable[[], dict[str, Any]]) -> None:
        self.app_id = app_id
        self.runtime_version = runtime_version
        self.describe = describe
        self.extended: dict[str, str] = {"daprRuntimeVersion": runtime_version}
        self.ready = True
        self.outbound_ready = True
        self.shutdown_requested = False

    def routes(self) -> list[Route]:
        return [
            route(["GET"], "/v1.0/metadata", self.get, "GetMetadata"),
            route(["PUT"], "/v1.0/metadata/{key}", self.put, "PutMetadata"),
            route(["GET"], "/v1.0/healthz", self.healthz, "Healthz"),
            route(["GET"], "/v1.0/healthz/outbound", self.outbound, "HealthzOutbound"),
            route(["POST"], "/v1.0/shutdown", self.shutdown, "Shutdown"),
        ]

    async def get(self, req: Request, params: dict[str, str]) -> Response:
        body = gojson.Struct(id=self.app_id, runtimeVersion=self.runtime_version)
        body.update(self.describe())
        body["extended"] = dict(self.extended)
        return wire.json_line(200, body)

    async def put(self, req: Request, params: dict[str, str]) -> Response:
        self.extended[params["key"]] = req.body.decode("utf-8", "replace")
        return wire.empty()

    async def healthz(self, req: Request, params: dict[str, str]) -> Response:
        appid = req.query_first("appid")
        if not self.ready:
            return wire.error(500, "ERR_HEALTH_NOT_READY", "dapr is not ready")
        if appid and appid != self.app_id:
            return wire.error(500, "ERR_HEALTH_APPID_NOT_MATCH", "dapr app-id does not match")
        return wire.empty()

    async def outbound(self, req: Request, params: dict[str, str]) -> Response:
        if not self.outbound_ready:
            return wire.error(500, "ERR_OUTBOUND_HEALTH_NOT_READY", "dapr outbound is not ready")
        return wire.empty()

    async def shutdown(self, req: Request, params: dict[str, str]) -> Response:
        self.shutdown_requested = True
        return wire.empty()
