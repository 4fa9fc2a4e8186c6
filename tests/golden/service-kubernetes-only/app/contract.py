"""The app side of Dapr's contract, shared by the routers.

Dapr reads a delivery's answer so (dapr/dapr
pkg/runtime/subscription/postman/http/http.go): HTTP 200 with {"status": "SUCCESS"}
acks the event, "RETRY" redelivers it and "DROP" drops it (to the dead-letter topic
when one is set). Any other status string, lower case included, means retry, and so
does any non-2xx answer but 404: a FastAPI 422 for a bad payload would come back for
ever, so payloads are validated here and a bad one is dropped with a log line.
"""

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Message, Receive

from .dapr_client import DaprClient

_logger = logging.getLogger(__name__)
_MAX_ERRORS = 20  # a 422 lists at most this many problems,
_MAX_MESSAGE = 300  # each message cut to this many characters
T = TypeVar("T")


async def get_dapr(request: Request) -> DaprClient:
    """The one client the app's lifespan opened (never a client per request)."""
    dapr: DaprClient = request.app.state.dapr
    return dapr


Dapr = Annotated[DaprClient, Depends(get_dapr)]


@dataclasses.dataclass(frozen=True)
class BodyLimits:
    """The largest request body, in bytes, a route reads; a larger one is refused before
    it is parsed (its Content-Length, else as soon as the stream passes the limit).

    `public`: routes any caller reaches, answered 413. `dapr`: what the sidecar sends
    (deliveries, jobs, bindings, invocations); 4 MiB is daprd's own default
    `--max-body-size`. An event, job or binding event over it is dropped rather than
    answered with an error, since a redelivery would be just as large; an invocation
    and a bulk delivery are answered 413.
    """

    public: int = 1_048_576
    dapr: int = 4_194_304


class BodyTooLargeError(Exception):
    """A request body over its route's limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or BodyTooLargeError as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(
            f"the body is {declared} bytes; at most {limit} are read"
        )
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out `body` once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class PublicRoute(APIRoute):
    """An API route whose body is read within `BodyLimits.public` (413 past it) before
    FastAPI parses it."""

    def body_limit(self, limits: BodyLimits) -> int:
        return limits.public

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = self.body_limit(request.app.state.body_limits)
            try:
                body = await read_body(request, limit)
            except BodyTooLargeError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=413)
            return await handle(Request(request.scope, _replay(body, request.receive)))

        return limited


class DaprRoute(PublicRoute):
    """A route the sidecar calls (an invocation target): within `BodyLimits.dapr`."""

    def body_limit(self, limits: BodyLimits) -> int:
        return limits.dapr


async def validation_failed(request: Request, exc: Exception) -> Response:
    """422 naming each field and the rule it breaks, without echoing the input
    (FastAPI's default answer repeats it, megabytes included)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"loc": list(e["loc"]), "msg": str(e["msg"])[:_MAX_MESSAGE], "type": e["type"]}
        for e in errors[:_MAX_ERRORS]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def read_bytes(body: bytes) -> bytes:
    """An input binding's event as it came."""
    return body


async def run_binding(
    request: Request,
    name: str,
    read: Callable[[bytes], T],
    handler: Callable[[T, Mapping[str, str], DaprClient], Awaitable[None]],
    dapr: DaprClient,
) -> Response:
    """An input binding event: exactly 200 is success. daprd retries anything else only
    under the binding's inbound resiliency policy (dapr/dapr
    pkg/runtime/processor/binding/send.go); the component itself does not redeliver."""
    try:
        data = read(await read_body(request, request.app.state.body_limits.dapr))
    except (ValueError, BodyTooLargeError) as exc:
        # Answering an error would bring the same bad event back again and again.
        _logger.warning(
            "binding %s: dropping an event that does not fit: %s", name, exc
        )
        return Response(status_code=200)
    try:
        await handler(data, dict(request.headers), dapr)
    except Exception:
        _logger.exception("binding %s: handler failed (500)", name)
        return Response(status_code=500)
    return Response(status_code=200)
