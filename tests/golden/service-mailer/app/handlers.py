"""Business logic: yours to edit. The routers call these with typed input and the
shared client.

An event handler that returns acks the event (SUCCESS). Raise DropEvent (from
.contract) to drop a poison event, to the dead-letter topic when one is set; any other
exception means RETRY, so Dapr delivers the event again. Never block the event loop
here: await I/O, and run CPU-heavy work with asyncio.to_thread.
"""

import logging

from .dapr_client import DaprClient
from .events import CloudEvent, Signup

_logger = logging.getLogger(__name__)


async def on_signups(event: CloudEvent[Signup], dapr: DaprClient) -> None:
    """Handle signups events."""
    data = event.payload()
    _logger.info("event %s (%s): %r", event.id, event.type, data)
