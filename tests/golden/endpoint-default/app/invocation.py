"""Service-invocation targets: other apps call these through
/v1.0/invoke/<app-id>/method/..."""

from fastapi import APIRouter, Depends

from . import handlers
from .contract import Dapr, DaprRoute, require_dapr_token
from .events import Task

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(
    route_class=DaprRoute,
    include_in_schema=False,
    dependencies=[Depends(require_dapr_token)],
)


@router.post("/normalize-task")
async def normalize_task(body: Task, dapr: Dapr) -> Task:
    return await handlers.normalize_task(body, dapr)
