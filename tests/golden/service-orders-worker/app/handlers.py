"""Business logic: yours to edit. The routers call these with typed input and the
shared client.

An event handler that returns acks the event (SUCCESS). Raise DropEvent (from
.contract) to drop a poison event, to the dead-letter topic when one is set; any other
exception means RETRY, so Dapr delivers the event again. Never block the event loop
here: await I/O, and run CPU-heavy work with asyncio.to_thread.
"""

import logging

from pydantic import JsonValue

from .dapr_client import DaprClient
from .events import CloudEvent, Order, Shipment

_logger = logging.getLogger(__name__)


async def on_orders(event: CloudEvent[Order], dapr: DaprClient) -> None:
    """Handle orders events."""
    data = event.payload()
    _logger.info("event %s (%s): %r", event.id, event.type, data)


async def on_job_nightly_report(data: JsonValue, dapr: DaprClient) -> None:
    """Handle job nightly-report firing."""
    _logger.info("job fired: %r", data)


async def ship(request: Order, dapr: DaprClient) -> Shipment:
    """Answer POST /ship."""
    # An example answer, so the route works from the start: replace it with yours.
    return Shipment.model_validate({"order_id": "order_id", "carrier": "carrier"})
