"""Business logic: yours to edit. The routers call these with typed input and the
shared client.

An event handler that returns acks the event (SUCCESS). Raise DropEvent (from
.contract) to drop a poison event, to the dead-letter topic when one is set; any other
exception means RETRY, so Dapr delivers the event again. Never block the event loop
here: await I/O, and run CPU-heavy work with asyncio.to_thread.
"""

import logging
from collections.abc import Mapping

from .dapr_client import DaprClient
from .events import Task

_logger = logging.getLogger(__name__)


async def on_stock_feed(
    data: Task, metadata: Mapping[str, str], dapr: DaprClient
) -> None:
    """Handle an event of binding stock-feed."""
    _logger.info("binding event: %r", data)
