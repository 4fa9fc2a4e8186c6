"""Service-invocation targets: other apps call these through
/v1.0/invoke/<app-id>/method/..."""

from fastapi import APIRouter, Depends

from . import handlers
from .contract import Dapr, require_dapr_token
from .events import Order, Shipment

router = APIRouter(dependencies=[Depends(require_dapr_token)])


@router.post("/ship")
async def ship(body: Order, dapr: Dapr) -> Shipment:
    return await handlers.ship(body, dapr)
