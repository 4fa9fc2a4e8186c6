"""Service-invocation targets: other apps call these through
/v1.0/invoke/<app-id>/method/..."""

from fastapi import APIRouter, Depends

from . import handlers
from .contract import Dapr, require_dapr_token
from .events import Task

router = APIRouter(dependencies=[Depends(require_dapr_token)])


@router.post("/normalize-task")
async def normalize_task(body: Task, dapr: Dapr) -> Task:
    return await handlers.normalize_task(body, dapr)
