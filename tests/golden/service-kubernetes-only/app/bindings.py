"""Input bindings: Dapr posts each event to /<route> (it probes OPTIONS /<route> at
startup only for a component without `direction`)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from . import handlers
from .contract import Dapr, run_binding
from .events import Task

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False)


@router.options("/stock-feed")
async def binding_stock_feed_probe() -> Response:
    """Tells the sidecar that this app reads binding stock-feed."""
    return Response(status_code=200)


@router.post("/stock-feed")
async def binding_stock_feed(request: Request, dapr: Dapr) -> Response:
    """An event of binding stock-feed (its metadata comes as headers)."""
    return await run_binding(
        request,
        "stock-feed",
        Task.model_validate_json,
        handlers.on_stock_feed,
        dapr,
    )
