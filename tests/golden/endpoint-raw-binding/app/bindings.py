"""Input bindings: Dapr posts each event to /<route> (it probes OPTIONS /<route> at
startup only for a component without `direction`)."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from . import handlers
from .contract import Dapr, read_bytes, require_dapr_token, run_binding

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_dapr_token)])


@router.options("/uploads/incoming")
async def binding_uploads_incoming_probe() -> Response:
    """Tells the sidecar that this app reads binding uploads."""
    return Response(status_code=200)


@router.post("/uploads/incoming")
async def binding_uploads_incoming(request: Request, dapr: Dapr) -> Response:
    """An event of binding uploads (its metadata comes as headers)."""
    return await run_binding(
        request,
        "uploads",
        read_bytes,
        handlers.on_uploads,
        dapr,
    )
