"""Health routes. No token check: the kubelet's probes send no `dapr-api-token`.

Liveness answers while the process serves requests; Dapr's app health check calls it
too and stops deliveries while it fails. Readiness also asks the sidecar
(`/v1.0/healthz/outbound`, which does not wait for this app, so the two cannot wait
on each other), so Kubernetes sends no traffic before Dapr can serve the app's calls.
"""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .dapr_client import DaprClient

router = APIRouter()


@router.get("/healthz", status_code=204)
async def liveness() -> Response:
    """The process is alive."""
    return Response(status_code=204)


@router.get("/readyz", status_code=204, responses={503: {}})
async def readiness(request: Request) -> Response:
    """Ready when the shared client is open and the sidecar answers; otherwise 503 with
    `{"waiting_for": ...}` saying what is missing."""
    dapr: DaprClient | None = request.app.state.dapr
    if dapr is None:
        return _waiting("the app's lifespan to open its Dapr client")
    if not await dapr.check_health():
        where = dapr.settings.base_url
        return _waiting(f"the Dapr sidecar at {where} (GET /v1.0/healthz/outbound)")
    return Response(status_code=204)


def _waiting(what: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"waiting_for": what})
