"""The payments service's business logic (copied over the generated app/handlers.py by tests/runtime/real_system.py).

The bank reports each payment on the Kafka topic `bank-payments` (the `bank-payments` input binding): the payment
marks its booking paid through the bookings service's `pay` action (service invocation). A payment for a booking that
does not exist is logged and acknowledged: reading it again would not make the booking appear. Every tick of the
`ledger-tick` cron binding counts one ledger run in the state store (read-modify-write under the key's ETag).
"""

import logging
from collections.abc import Mapping

from .dapr_client import DaprClient, DaprError, StateItem
from .events import Payment
from .settings import get_settings

_logger = logging.getLogger(__name__)


async def on_payment(data: Payment, metadata: Mapping[str, str], dapr: DaprClient) -> None:
    """Mark the paid booking paid."""
    try:
        await dapr.invoke_method("bookings", f"api/bookings/{data.booking_id}/pay")
    except DaprError as exc:
        if exc.status_code == 404:
            _logger.warning("payment of %d for unknown booking %s", data.amount, data.booking_id)
            return
        raise
    _logger.info("booking %s paid (%d)", data.booking_id, data.amount)


def _next_run(current: StateItem | None) -> int:
    count = current.value if current is not None and isinstance(current.value, int) else 0
    return count + 1


async def on_tick(data: bytes, metadata: Mapping[str, str], dapr: DaprClient) -> None:
    """Count one ledger run."""
    await dapr.update_state(get_settings().statestore_name, "ledger-runs", _next_run)
