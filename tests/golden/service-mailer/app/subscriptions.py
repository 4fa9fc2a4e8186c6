"""Pub/sub subscriptions: the list Dapr reads at startup, and the routes it delivers
to."""

import json

from fastapi import APIRouter, Depends, Request, Response
from pydantic import TypeAdapter

from . import handlers
from .contract import deliver, require_dapr_token
from .events import CloudEvent, Signup

# Exactly the keys the runtime reads (dapr/dapr pkg/runtime/pubsub/subscriptions.go):
# metadata values must be strings, or Dapr ignores every subscription of the app.
SUBSCRIPTIONS: list[dict[str, object]] = [
    {
        "pubsubname": "pubsub",
        "topic": "signups",
        "route": "/events/pubsub/signups",
        "deadLetterTopic": "signups-dlq",
    },
]
_SUBSCRIBE_BODY = json.dumps(SUBSCRIPTIONS).encode()
_SIGNUP_EVENT = TypeAdapter(CloudEvent[Signup])

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_dapr_token)])


@router.get("/dapr/subscribe")
async def subscribe() -> Response:
    """The subscriptions, read once by the sidecar at startup."""
    return Response(_SUBSCRIBE_BODY, media_type="application/json")


async def deliver_events_pubsub_signups(request: Request) -> Response:
    """Events of pubsub/signups for handlers.on_signups."""
    return await deliver(
        request,
        _SIGNUP_EVENT,
        handlers.on_signups,
        "pubsub/signups",
        idempotent=False,
    )


# Deliveries are plain Starlette routes, the hot path: FastAPI's dependency solving was
# most of a delivery's cost, and they take the request as it is (the token is checked
# in `deliver`). They are left out of the OpenAPI schema: only the sidecar calls them.
router.add_route(
    "/events/pubsub/signups",
    deliver_events_pubsub_signups,
    methods=["POST"],
    include_in_schema=False,
)
