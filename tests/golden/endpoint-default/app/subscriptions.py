"""Pub/sub subscriptions: the list Dapr reads at startup, and the routes it delivers
to."""

import json
import logging

from fastapi import APIRouter, Depends, Request, Response
from pydantic import TypeAdapter

from . import handlers
from .contract import answer, deliver, require_dapr_token
from .events import CloudEvent, Task

_logger = logging.getLogger(__name__)

# Exactly the keys the runtime reads (dapr/dapr pkg/runtime/pubsub/subscriptions.go):
# metadata values must be strings, or Dapr ignores every subscription of the app.
SUBSCRIPTIONS: list[dict[str, object]] = [
    {
        "pubsubname": "pubsub",
        "topic": "task-events",
        "routes": {
            "rules": [
                {
                    "match": 'event.type == "tasks.deleted"',
                    "path": "/events/task-deleted",
                },
            ],
            "default": "/events/task-events",
        },
        "deadLetterTopic": "task-events-dead",
    },
]
_SUBSCRIBE_BODY = json.dumps(SUBSCRIPTIONS).encode()
_TASK_EVENT = TypeAdapter(CloudEvent[Task])

# Only the sidecar calls these routes (with the token): not part of the public API docs.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_dapr_token)])


@router.get("/dapr/subscribe")
async def subscribe() -> Response:
    """The subscriptions, read once by the sidecar at startup."""
    return Response(_SUBSCRIBE_BODY, media_type="application/json")


async def deliver_events_task_deleted(request: Request) -> Response:
    """Events of pubsub/task-events for handlers.on_task_deleted."""
    return await deliver(
        request,
        _TASK_EVENT,
        handlers.on_task_deleted,
        "pubsub/task-events",
        idempotent=True,
    )


async def unmatched_events_task_events(request: Request) -> Response:
    """Events of pubsub/task-events that match no rule: dropped (or dead-lettered)."""
    await require_dapr_token(request)
    _logger.warning(
        "dropping an event on %s: it matches no routing rule", request.url.path
    )
    return answer("DROP")


# Deliveries are plain Starlette routes, the hot path: FastAPI's dependency solving was
# most of a delivery's cost, and they take the request as it is (the token is checked
# in `deliver`). They are left out of the OpenAPI schema: only the sidecar calls them.
router.add_route(
    "/events/task-deleted",
    deliver_events_task_deleted,
    methods=["POST"],
    include_in_schema=False,
)
router.add_route(
    "/events/task-events",
    unmatched_events_task_events,
    methods=["POST"],
    include_in_schema=False,
)
