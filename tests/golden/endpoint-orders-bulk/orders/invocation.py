"""Service-invocation targets: other apps call these through
/v1.0/invoke/<app-id>/method/..."""

from fastapi import APIRouter

from . import handlers
from .contract import Dapr
from .events import Order

router = APIRouter()


@router.post("/order-total")
async def order_total(body: Order, dapr: Dapr) -> Order:
    return await handlers.order_total(body, dapr)
