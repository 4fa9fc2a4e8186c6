"""Jobs callbacks: when a job fires, Dapr posts the data it was scheduled with to
/job/<name>."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from . import handlers
from .contract import Dapr, require_dapr_token, run_job
from .events import ReminderEvent

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_dapr_token)])


@router.post("/job/task-reminder")
async def job_task_reminder(request: Request, dapr: Dapr) -> Response:
    """Job task-reminder fired."""
    return await run_job(
        request,
        "task-reminder",
        ReminderEvent.model_validate_json,
        handlers.on_job_task_reminder,
        dapr,
    )
