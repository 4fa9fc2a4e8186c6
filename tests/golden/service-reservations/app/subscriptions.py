"""Pub/sub subscriptions: the list Dapr reads at startup, and the routes it delivers
to."""

import json

from fastapi import APIRouter, Depends, Response

from .contract import require_dapr_token

# Exactly the keys the runtime reads (dapr/dapr pkg/runtime/pubsub/subscriptions.go):
# metadata values must be strings, or Dapr ignores every subscription of the app.
SUBSCRIPTIONS: list[dict[str, object]] = []
_SUBSCRIBE_BODY = json.dumps(SUBSCRIPTIONS).encode()

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_dapr_token)])


@router.get("/dapr/subscribe")
async def subscribe() -> Response:
    """The subscriptions, read once by the sidecar at startup."""
    return Response(_SUBSCRIBE_BODY, media_type="application/json")
