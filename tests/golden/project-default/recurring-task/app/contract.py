"""The app side of Dapr's contract, shared by the routers.

Dapr reads a delivery's answer so (dapr/dapr
pkg/runtime/subscription/postman/http/http.go): HTTP 200 with {"status": "SUCCESS"}
acks the event, "RETRY" redelivers it and "DROP" drops it (to the dead-letter topic
when one is set). Any other status string, lower case included, means retry, and so
does any non-2xx answer but 404: a FastAPI 422 for a bad payload would come back for
ever, so payloads are validated here and a bad one is dropped with a log line.
"""

import hashlib
import hmac
import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, Protocol, TypeVar

from fastapi import Depends, HTTPException, Request, Response, status
from pydantic import TypeAdapter

from .dapr_client import DaprClient, DaprConflictError
from .events import CloudEvent

_logger = logging.getLogger(__name__)

DeliveryStatus = Literal["SUCCESS", "RETRY", "DROP"]
_ANSWERS: dict[DeliveryStatus, bytes] = {
    "SUCCESS": b'{"status":"SUCCESS"}',
    "RETRY": b'{"status":"RETRY"}',
    "DROP": b'{"status":"DROP"}',
}
E = TypeVar("E", bound=CloudEvent[Any])


async def get_dapr(request: Request) -> DaprClient:
    """The one client the app's lifespan opened (never a client per request)."""
    dapr: DaprClient = request.app.state.dapr
    return dapr


Dapr = Annotated[DaprClient, Depends(get_dapr)]


def app_api_token_from_env() -> str | None:
    """APP_API_TOKEN from the environment: the value the sidecar was given."""
    return os.environ.get("APP_API_TOKEN") or None


async def require_dapr_token(request: Request) -> None:
    """401 unless `dapr-api-token` carries the app's APP_API_TOKEN (when it has one).

    The sidecar sends this header on every call it makes to the app, `/dapr/subscribe`
    included (dapr/dapr pkg/channel/http/http_channel.go).
    """
    expected: str | None = request.app.state.app_api_token
    if not expected:
        return
    given = request.headers.get("dapr-api-token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or wrong dapr-api-token"
        )


class DropEvent(Exception):
    """Raise it in a handler to drop the event (to the dead-letter topic when one is
    set)."""


def answer(status: DeliveryStatus) -> Response:
    """HTTP 200 with the status Dapr reads."""
    return Response(_ANSWERS[status], media_type="application/json")


Claim = Literal["new", "done", "busy"]


class ProcessedEvents(Protocol):
    """Which CloudEvent ids were handled, so that a redelivered event runs once."""

    async def claim(self, key: str) -> Claim:
        """Take `key` for one delivery: "new" (run it), "done" (handled) or "busy"."""
        ...

    async def done(self, key: str) -> None:
        """Mark `key` handled."""
        ...

    async def release(self, key: str) -> None:
        """Give `key` up after a failure, so that a redelivery runs the handler
        again."""
        ...


def processed_key(scope: str, event: CloudEvent[Any]) -> str:
    """A state key per subscription and event (CloudEvents are unique by source and
    id)."""
    digest = hashlib.sha256(f"{scope}\n{event.source}\n{event.id}".encode()).hexdigest()
    return f"processed-{digest[:40]}"


class StateProcessedEvents:
    """Processed-event records in a Dapr state store.

    A claim is an insert-only write (first-write concurrency, no ETag) that expires
    after `claim_seconds`, so two deliveries of one event never run at the same time.
    It becomes "done" when the handler returns and is kept `retain_seconds`. After a
    crash between the two, the claim expires and the event runs again: at least once,
    never lost.
    """

    def __init__(
        self, dapr: DaprClient, store: str, claim_seconds: int, retain_seconds: int
    ) -> None:
        self._dapr = dapr
        self._store = store
        self._claim_seconds = claim_seconds
        self._retain_seconds = retain_seconds

    async def claim(self, key: str) -> Claim:
        try:
            await self._dapr.save_state(
                self._store,
                key,
                "claimed",
                concurrency="first-write",
                ttl_in_seconds=self._claim_seconds,
            )
        except DaprConflictError:
            state = await self._dapr.get_state(self._store, key)
            return "done" if state == "done" else "busy"
        return "new"

    async def done(self, key: str) -> None:
        # Still first-write (with the claim's ETag), so that a later claim stays
        # insert-only.
        claim = await self._dapr.get_state_item(self._store, key)
        await self._dapr.save_state(
            self._store,
            key,
            "done",
            etag=claim.etag if claim is not None else None,
            concurrency="first-write",
            ttl_in_seconds=self._retain_seconds,
        )

    async def release(self, key: str) -> None:
        await self._dapr.delete_state(self._store, key)


class MemoryProcessedEvents:
    """Processed-event records in this process only: for one replica, tests and
    benchmarks.

    Two maps of key to expiry time (floats only, so the garbage collector never walks
    them); handled records expire in the order they were made, so the oldest are
    dropped first and memory stays bounded by what `retain_seconds` keeps.
    """

    def __init__(
        self, claim_seconds: float = 300.0, retain_seconds: float = 604800.0
    ) -> None:
        self._claim_seconds = claim_seconds
        self._retain_seconds = retain_seconds
        self._busy: dict[str, float] = {}
        self._done: dict[str, float] = {}

    async def claim(self, key: str) -> Claim:
        now = time.monotonic()
        done = self._done.get(key)
        if done is not None and done > now:
            return "done"
        busy = self._busy.get(key)
        if busy is not None and busy > now:
            return "busy"
        self._busy[key] = now + self._claim_seconds
        return "new"

    async def done(self, key: str) -> None:
        now = time.monotonic()
        self._busy.pop(key, None)
        self._done.pop(key, None)  # re-inserted last: the map stays in expiry order
        self._done[key] = now + self._retain_seconds
        for oldest in list(itertools.islice(self._done, 2)):  # a few per call: O(1)
            if self._done[oldest] > now:
                break
            del self._done[oldest]

    async def release(self, key: str) -> None:
        self._busy.pop(key, None)


async def _outcome(
    event: E, handler: Callable[[E, DaprClient], Awaitable[None]], dapr: DaprClient
) -> DeliveryStatus:
    try:
        await handler(event, dapr)
    except DropEvent as exc:
        _logger.warning("event %s dropped by its handler: %s", event.id, exc)
        return "DROP"
    except Exception:
        _logger.exception("event %s failed; Dapr will deliver it again", event.id)
        return "RETRY"
    return "SUCCESS"


async def _run(
    event: E,
    handler: Callable[[E, DaprClient], Awaitable[None]],
    dapr: DaprClient,
    processed: ProcessedEvents | None,
    scope: str,
) -> DeliveryStatus:
    """Run `handler` for `event` (once per event id with `processed`); what Dapr should
    do."""
    if processed is None:
        return await _outcome(event, handler, dapr)
    key = processed_key(scope, event)
    try:
        claim = await processed.claim(key)
    except Exception:
        _logger.exception(
            "event %s: cannot claim it; Dapr will deliver it again", event.id
        )
        return "RETRY"
    if claim != "new":
        # "busy": another delivery of this event is running; a later one will find it
        # done.
        return "SUCCESS" if claim == "done" else "RETRY"
    status = await _outcome(event, handler, dapr)
    try:
        if status == "RETRY":
            await processed.release(key)
        else:
            await processed.done(key)
    except Exception:
        # The outcome stands; at worst a redelivery after the claim expires runs it
        # again.
        _logger.exception("event %s: cannot record its outcome", event.id)
    return status


def _shared(
    request: Request, idempotent: bool
) -> tuple[DaprClient, ProcessedEvents | None]:
    """The lifespan's client and, for an idempotent route, the processed-event records.

    Read from app.state here, not through FastAPI dependencies: resolving those was the
    largest cost of a delivery, and deliveries are the hot path.
    """
    state = request.app.state
    dapr: DaprClient = state.dapr
    processed: ProcessedEvents | None = state.processed if idempotent else None
    return dapr, processed


async def deliver(
    request: Request,
    adapter: TypeAdapter[E],
    handler: Callable[[E, DaprClient], Awaitable[None]],
    scope: str,
    *,
    idempotent: bool,
) -> Response:
    """One delivery: a bad payload is DROP (with a log line), never a 422 that loops."""
    await require_dapr_token(request)  # delivery routes are plain Starlette routes
    body = await request.body()
    try:
        event = adapter.validate_json(body)
        # the data must fit as well (a raw payload's data_base64 included)
        event.payload()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        _logger.warning("dropping a malformed event on %s: %s", request.url.path, exc)
        return answer("DROP")
    dapr, processed = _shared(request, idempotent)
    return answer(await _run(event, handler, dapr, processed, scope))
