"""The inventory service's business logic (copied over the generated app/handlers.py by tests/runtime/real_system.py).

A reservation takes stock under the item's ETag: a concurrent reservation that saved first makes this save fail with
a conflict, and the reservation reads the item again and retries. An order's reservation is recorded, so that the same
order reserved twice (a redelivery after a failure further on) takes its stock once.
"""

import logging

from .dapr_client import DaprClient, DaprConflictError
from .events import Reservation, ReservationResult, StockItem
from .settings import get_settings

_logger = logging.getLogger(__name__)
_ATTEMPTS = 100


async def reserve(request: Reservation, dapr: DaprClient) -> ReservationResult:
    """Answer POST /reserve: take the quantity from the item's stock, or answer reserved=False."""
    store = get_settings().statestore_name
    record = f"reservation:{request.order_id}"
    earlier = await dapr.get_state(store, record)
    if earlier is not None:
        return ReservationResult.model_validate(earlier)
    key = f"stock:{request.sku}"  # the key the generated stock CRUD keeps the item under
    conflicts = 0
    for _ in range(_ATTEMPTS):
        stored = await dapr.get_state_item(store, key)
        if stored is None:
            return ReservationResult(
                order_id=request.order_id, sku=request.sku, reserved=False, remaining=0, conflicts=conflicts
            )
        item = StockItem.model_validate(stored.value)
        if item.available < request.quantity:
            return ReservationResult(
                order_id=request.order_id,
                sku=request.sku,
                reserved=False,
                remaining=item.available,
                conflicts=conflicts,
            )
        left = item.model_copy(update={"available": item.available - request.quantity})
        try:
            await dapr.save_state(store, key, left.model_dump(mode="json"), etag=stored.etag, concurrency="first-write")
        except DaprConflictError:
            conflicts += 1
            continue
        result = ReservationResult(
            order_id=request.order_id, sku=request.sku, reserved=True, remaining=left.available, conflicts=conflicts
        )
        await dapr.save_state(store, record, result.model_dump(mode="json"))
        _logger.info("order %s reserved %d of %s (%d conflicts)", request.order_id, request.quantity, request.sku,
                     conflicts)  # fmt: skip
        return result
    raise DaprConflictError(409, f"{key}: still conflicting after {_ATTEMPTS} attempts")
