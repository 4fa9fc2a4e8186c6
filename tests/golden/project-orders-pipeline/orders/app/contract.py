"""The app side of Dapr's contract, shared by the routers.

Dapr reads a delivery's answer so (dapr/dapr
pkg/runtime/subscription/postman/http/http.go): HTTP 200 with {"status": "SUCCESS"}
acks the event, "RETRY" redelivers it and "DROP" drops it (to the dead-letter topic
when one is set). Any other status string, lower case included, means retry, and so
does any non-2xx answer but 404: a FastAPI 422 for a bad payload would come back for
ever, so payloads are validated here and a bad one is dropped with a log line.
"""

import hmac
import logging
import os
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from .dapr_client import DaprClient

_logger = logging.getLogger(__name__)


async def get_dapr(request: Request) -> DaprClient:
    """The one client the app's lifespan opened (never a client per request)."""
    dapr: DaprClient = request.app.state.dapr
    return dapr


Dapr = Annotated[DaprClient, Depends(get_dapr)]


def app_api_token_from_env() -> str | None:
    """APP_API_TOKEN from the environment: the value the sidecar was given."""
    return os.environ.get("APP_API_TOKEN") or None


async def require_dapr_token(request: Request) -> None:
    """401 unless `dapr-api-token` carries the app's APP_API_TOKEN (when it has one).

    The sidecar sends this header on every call it makes to the app, `/dapr/subscribe`
    included (dapr/dapr pkg/channel/http/http_channel.go).
    """
    expected: str | None = request.app.state.app_api_token
    if not expected:
        return
    given = request.headers.get("dapr-api-token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or wrong dapr-api-token"
        )
