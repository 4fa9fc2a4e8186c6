"""Input bindings: Dapr posts each event to /<route> (it probes OPTIONS /<route> at
startup only for a component without `direction`)."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from . import handlers
from .contract import Dapr, require_dapr_token, run_binding
from .events import Task

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_dapr_token)])


@router.options("/task-import")
async def binding_task_import_probe() -> Response:
    """Tells the sidecar that this app reads binding task-import."""
    return Response(status_code=200)


@router.post("/task-import")
async def binding_task_import(request: Request, dapr: Dapr) -> Response:
    """An event of binding task-import (its metadata comes as headers)."""
    return await run_binding(
        request,
        "task-import",
        Task.model_validate_json,
        handlers.on_task_import,
        dapr,
    )
