"""Output bindings (references/dapr-contract.md §5, pitfall 7: ``data`` is re-serialized) and input-binding
delivery (§12.6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tools.standin import gojson, wire
from tools.standin.core import AppChannel, SidecarConfig
from tools.standin.gojson import GoJSONError
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response


@dataclass(slots=True)
class BindingInvocation:
    """What the binding component received: ``data`` is the exact bytes (a string arrives quoted)."""

    name: str
    operation: str
    data: bytes
    metadata: dict[str, str]


@dataclass(slots=True)
class BindingResult:
    """A component response: ``data=None`` means "no response" (the sidecar answers 204)."""

    data: bytes | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    error: str | None = None


BindingHandler = Callable[[BindingInvocation], Awaitable[BindingResult | None]]


class BindingsBlock:
    """``POST|PUT /v1.0/bindings/{name}``."""

    def __init__(self, config: SidecarConfig, bindings: Iterable[str] | Mapping[str, BindingHandler | None]) -> None:
        self.config = config
        if isinstance(bindings, Mapping):
            self.handlers: dict[str, BindingHandler | None] = dict(bindings)
        else:
            self.handlers = dict.fromkeys(bindings)
        self.invocations: list[BindingInvocation] = []

    def routes(self) -> list[Route]:
        return [route(["POST", "PUT"], "/v1.0/bindings/{name}", self.invoke, "InvokeBinding")]

    async def invoke(self, req: Request, params: dict[str, str]) -> Response:
        name = params["name"]
        try:
            raw = gojson.decode_first(req.body)
            if raw is not None and not isinstance(raw, dict):
                raise GoJSONError("json: cannot unmarshal into Go value of type http.OutputBindingRequest")
            raw = raw or {}
            metadata = gojson.opt_str_map(raw, "metadata", "OutputBindingRequest") or {}
            operation = gojson.opt_str(raw, "operation", "OutputBindingRequest") or ""
        except GoJSONError as exc:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {exc}")
        payload = gojson.marshal(gojson.field(raw, "data"))
        if name not in self.handlers:
            return wire.error(
                500, "ERR_INVOKE_OUTPUT_BINDING",
                f"error invoking output binding {name}: couldn't find output binding {name}",
            )  # fmt: skip
        invocation = BindingInvocation(name, operation, payload, metadata)
        self.invocations.append(invocation)
        handler = self.handlers[name]
        result = await handler(invocation) if handler is not None else None
        headers = [(f"metadata.{k}", v) for k, v in (result.metadata if result else {}).items()]
        if result is not None and result.error is not None:
            resp = wire.error(500, "ERR_INVOKE_OUTPUT_BINDING", f"error invoking output binding {name}: {result.error}")
            resp.headers += headers
            return resp
        resp = wire.empty() if result is None or result.data is None else wire.data(200, result.data)
        resp.headers += headers
        return resp


@dataclass(slots=True)
class InputBindingDelivery:
    """One input-binding event (§12.6): ``listening`` comes from the ``OPTIONS`` probe."""

    name: str
    route: str
    listening: bool
    status: int | None = None
    success: bool = False


class InputBindings:
    """Input bindings (§12.6, pitfall 23): probe ``OPTIONS /{route}`` once (2xx or 405 = listening) unless the
    component ``direction`` includes ``input``; deliver with ``POST /{route}``; only 200 counts as success."""

    def __init__(self, channel: AppChannel) -> None:
        self.channel = channel
        self._listening: dict[str, bool] = {}
        self.deliveries: list[InputBindingDelivery] = []

    async def send(
        self, name: str, data: bytes, metadata: Mapping[str, str] | None = None, *, route: str = "", direction: str = ""
    ) -> InputBindingDelivery:
        path = route or name
        if path not in self._listening:
            if "input" in [d.strip() for d in direction.split(",")]:
                self._listening[path] = True
            else:
                probe = await self.channel.call("OPTIONS", f"/{path}", [], b"")
                self._listening[path] = 200 <= probe.status <= 299 or probe.status == 405
        delivery = InputBindingDelivery(name, path, self._listening[path])
        if delivery.listening:
            headers = [("content-type", "application/json"), *(metadata or {}).items()]
            answer = await self.channel.call("POST", f"/{path}", headers, data)
            delivery.status = answer.status
            delivery.success = answer.status == 200
        self.deliveries.append(delivery)
        return delivery
