"""Service-invocation targets: other apps call these through
/v1.0/invoke/<app-id>/method/..."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from . import handlers
from .contract import Dapr, DaprRoute, require_dapr_token
from .events import Reservation

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(
    route_class=DaprRoute,
    include_in_schema=False,
    dependencies=[Depends(require_dapr_token)],
)


# The calling app's id, as the sidecar stamps it on every invoked request. It adds its
# value beside any the caller sent itself (daprd 1.18.3 keeps those: dapr/dapr
# pkg/messaging/direct_messaging.go), so a request carrying more than one has no
# trustworthy caller. Only the sidecar
# reaches these routes (they check its token).
def _caller_app_id(request: Request) -> str | None:
    values = request.headers.getlist("dapr-caller-app-id")
    return values[0] if len(values) == 1 else None


CallerAppId = Annotated[str | None, Depends(_caller_app_id)]


def _only(caller: str | None, allowed: frozenset[str]) -> None:
    """403 unless the calling app is one of `allowed` (its Kubernetes Configuration's
    accessControl says the same to the sidecar)."""
    if caller not in allowed:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"app {caller!r} may not call this method"
        )


_RESERVE_CALLERS = frozenset({"checkout"})


@router.post("/reserve")
async def reserve(body: Reservation, dapr: Dapr, caller: CallerAppId) -> Reservation:
    _only(caller, _RESERVE_CALLERS)
    return await handlers.reserve(body, dapr)
