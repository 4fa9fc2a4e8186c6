"""What the stand-in sidecar answers and what every client must get back.

One module for both sides, so a client that drops a byte or talks to the wrong route fails verification
instead of looking fast.
"""

from __future__ import annotations

import json
from typing import Final, Literal

Workload = Literal["state", "invoke"]
WORKLOADS: Final[tuple[Workload, ...]] = ("state", "invoke")

STORE: Final = "statestore"
KEY: Final = "order-1"
APP_ID: Final = "orders"
METHOD: Final = "checkout"

# A small but realistic state value: the sidecar returns the stored JSON as the response body, with an ETag.
STATE_VALUE: Final[dict[str, object]] = {"id": "order-1", "status": "paid", "items": [1, 2, 3], "total": 42.5}
STATE_BODY: Final = json.dumps(STATE_VALUE, separators=(",", ":")).encode()
STATE_ETAG: Final = "7"

INVOKE_REQUEST: Final[dict[str, object]] = {"order": "order-1", "amount": 42}
INVOKE_REQUEST_BODY: Final = json.dumps(INVOKE_REQUEST, separators=(",", ":")).encode()
INVOKE_VALUE: Final[dict[str, object]] = {"accepted": True, "order": "order-1"}
INVOKE_BODY: Final = json.dumps(INVOKE_VALUE, separators=(",", ":")).encode()

STATE_PATH: Final = f"/v1.0/state/{STORE}/{KEY}"
INVOKE_PATH: Final = f"/v1.0/invoke/{APP_ID}/method/{METHOD}"
HEALTH_PATH: Final = "/v1.0/healthz/outbound"


class BadResponseError(RuntimeError):
    """A client returned something other than what the stand-in serves: its numbers must not count."""
