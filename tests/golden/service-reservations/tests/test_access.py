"""Invocation targets that name their callers: the app checks `dapr-caller-app-id`, the
header the sidecar stamps on every invoked request.

Regenerating the service rewrites this file (your edits in it are merged).
"""

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_invoke_reserve_answers_refuses_other_callers(
    client: httpx.AsyncClient,
) -> None:
    body = {"id": "id", "seat": "seat", "confirmed": True}
    for caller in ("not-checkout", None):
        headers = {"dapr-caller-app-id": caller} if caller else {}
        response = await client.request("POST", "/reserve", json=body, headers=headers)
        assert response.status_code == 403, (caller, response.text)
    allowed = await client.request(
        "POST",
        "/reserve",
        json=body,
        headers={"dapr-caller-app-id": "checkout"},
    )
    assert allowed.status_code == 200, allowed.text
    # Another app writing an allowed caller's id itself: its sidecar adds the real one
    # beside it, and with two values the request has no caller.
    forged = await client.request(
        "POST",
        "/reserve",
        json=body,
        headers=[
            ("dapr-caller-app-id", "checkout"),
            ("dapr-caller-app-id", "not-checkout"),
        ],
    )
    assert forged.status_code == 403, forged.text
