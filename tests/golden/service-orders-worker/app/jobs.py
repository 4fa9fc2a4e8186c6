"""Jobs callbacks: when a job fires, Dapr posts the data it was scheduled with to
/job/<name>."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from . import handlers
from .contract import Dapr, read_json, require_dapr_token, run_job

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_dapr_token)])


@router.post("/job/nightly-report")
async def job_nightly_report(request: Request, dapr: Dapr) -> Response:
    """Job nightly-report fired."""
    return await run_job(
        request,
        "nightly-report",
        read_json,
        handlers.on_job_nightly_report,
        dapr,
    )
