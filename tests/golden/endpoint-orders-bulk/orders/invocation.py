"""Service-invocation targets: other apps call these through
/v1.0/invoke/<app-id>/method/..."""

from fastapi import APIRouter

from . import handlers
from .contract import Dapr, DaprRoute
from .events import Order

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(route_class=DaprRoute, include_in_schema=False)


@router.post("/order-total")
async def order_total(body: Order, dapr: Dapr) -> Order:
    return await handlers.order_total(body, dapr)
