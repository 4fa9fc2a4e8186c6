"""Pub/sub subscriptions: the list Dapr reads at startup, and the routes it delivers
to."""

import json

from fastapi import APIRouter, Depends, Request, Response
from pydantic import TypeAdapter

from . import handlers
from .contract import deliver, require_dapr_token
from .events import CloudEvent, ReminderEvent

# Exactly the keys the runtime reads (dapr/dapr pkg/runtime/pubsub/subscriptions.go):
# metadata values must be strings, or Dapr ignores every subscription of the app.
SUBSCRIPTIONS: list[dict[str, object]] = [
    {
        "pubsubname": "pubsub-kafka",
        "topic": "reminders",
        "route": "/events/pubsub-kafka/reminders",
        "deadLetterTopic": "reminders-dlq",
    },
]
_SUBSCRIBE_BODY = json.dumps(SUBSCRIPTIONS).encode()
_REMINDEREVENT_EVENT = TypeAdapter(CloudEvent[ReminderEvent])

router = APIRouter(dependencies=[Depends(require_dapr_token)])


@router.get("/dapr/subscribe")
async def subscribe() -> Response:
    """The subscriptions, read once by the sidecar at startup."""
    return Response(_SUBSCRIBE_BODY, media_type="application/json")


@router.post("/events/pubsub-kafka/reminders")
async def deliver_events_pubsub_kafka_reminders(request: Request) -> Response:
    """Events of pubsub-kafka/reminders for handlers.on_reminder."""
    return await deliver(
        request,
        _REMINDEREVENT_EVENT,
        handlers.on_reminder,
        "pubsub-kafka/reminders",
        idempotent=True,
    )
