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
from .events import CloudEvent, ReminderEvent, Task

_logger = logging.getLogger(__name__)


async def on_task_deleted(event: CloudEvent[Task], dapr: DaprClient) -> None:
    """Handle task-events events on /events/task-deleted."""
    data = event.payload()
    _logger.info("event %s (%s): %r", event.id, event.type, data)


async def on_job_task_reminder(data: ReminderEvent, dapr: DaprClient) -> None:
    """Handle job task-reminder firing."""
    _logger.info("job fired: %r", data)


async def on_task_import(
    data: Task, metadata: Mapping[str, str], dapr: DaprClient
) -> None:
    """Handle an event of binding task-import."""
    _logger.info("binding event: %r", data)


async def normalize_task(request: Task, dapr: DaprClient) -> Task:
    """Answer POST /normalize-task."""
    return request
