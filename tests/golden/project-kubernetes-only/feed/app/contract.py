"""The app side of Dapr's contract, shared by the routers.

Dapr reads a delivery's answer so (dapr/dapr
pkg/runtime/subscription/postman/http/http.go): HTTP 200 with {"status": "SUCCESS"}
acks the event, "RETRY" redelivers it and "DROP" drops it (to the dead-letter topic
when one is set). Any other status string, lower case included, means retry, and so
does any non-2xx answer but 404: a FastAPI 422 for a bad payload would come back for
ever, so payloads are validated here and a bad one is dropped with a log line.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response

from .dapr_client import DaprClient

_logger = logging.getLogger(__name__)
T = TypeVar("T")


async def get_dapr(request: Request) -> DaprClient:
    """The one client the app's lifespan opened (never a client per request)."""
    dapr: DaprClient = request.app.state.dapr
    return dapr


Dapr = Annotated[DaprClient, Depends(get_dapr)]


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
    """An input binding event: exactly 200 is success; anything else is retried."""
    try:
        data = read(await request.body())
    except ValueError as exc:
        # Answering an error would bring the same bad event back again and again.
        _logger.warning(
            "binding %s: dropping an event that does not fit: %s", name, exc
        )
        return Response(status_code=200)
    try:
        await handler(data, dict(request.headers), dapr)
    except Exception:
        _logger.exception("binding %s: handler failed; the event will be retried", name)
        return Response(status_code=500)
    return Response(status_code=200)
