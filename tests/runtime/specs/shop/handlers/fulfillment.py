"""The fulfillment service's business logic (copied over the generated app/handlers.py by
tests/runtime/real_system.py).

Each new order reserves its stock through the inventory service; a reserved order is published to `shipments` and
confirmed to the customer by email (the `mailer` output binding). An order whose stock is short is dropped to the
subscription's dead-letter topic (`orders-failed`), where a person looks at it.
"""

import logging

from .contract import DropEvent
from .dapr_client import DaprClient
from .events import CloudEvent, Order, Shipment
from .settings import get_settings

_logger = logging.getLogger(__name__)


async def on_order(event: CloudEvent[Order], dapr: DaprClient) -> None:
    """Reserve a new order's stock, announce the shipment and email the customer."""
    if event.type != "orders.created":
        return  # updates and deletions change no reservation here
    order = event.payload()
    answer = await dapr.invoke_method(
        "inventory", "reserve", {"order_id": order.id, "sku": order.sku, "quantity": order.quantity}
    )
    result = answer.json()
    if not isinstance(result, dict) or not result.get("reserved"):
        raise DropEvent(f"order {order.id}: {order.quantity} of {order.sku} not in stock ({result!r})")
    shipment = Shipment(order_id=order.id, sku=order.sku, quantity=order.quantity)
    await dapr.publish_event(get_settings().pubsub_name, "shipments", shipment, metadata={"partitionKey": order.id})
    await dapr.send_email(
        "mailer",
        to=order.customer_email,
        subject=f"Order {order.id} confirmed",
        body=f"<p>We reserved {order.quantity} x {order.sku} for your order {order.id}.</p>",
    )
    _logger.info("order %s reserved and confirmed", order.id)
