"""Service-invocation targets: other apps call these through
/v1.0/invoke/<app-id>/method/..."""

from fastapi import APIRouter, Depends

from . import handlers
from .contract import Dapr, DaprRoute, require_dapr_token
from .events import Order, Shipment

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(
    route_class=DaprRoute,
    include_in_schema=False,
    dependencies=[Depends(require_dapr_token)],
)


@router.post("/ship")
async def ship(body: Order, dapr: Dapr) -> Shipment:
    return await handlers.ship(body, dapr)
