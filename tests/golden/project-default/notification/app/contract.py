"""The app side of Dapr's contract, shared by the routers.

Dapr reads a delivery's answer so (dapr/dapr
pkg/runtime/subscription/postman/http/http.go): HTTP 200 with {"status": "SUCCESS"}
acks the event, "RETRY" redelivers it and "DROP" drops it (to the dead-letter topic
when one is set). Any other status string, lower case included, means retry, and so
does any non-2xx answer but 404: a FastAPI 422 for a bad payload would come back for
ever, so payloads are validated here and a bad one is dropped with a log line.
"""

import asyncio
import dataclasses
import hashlib
import hmac
import itertools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, Protocol, TypeVar

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import JsonValue, TypeAdapter

from .dapr_client import DaprClient
from .events import CloudEvent

_logger = logging.getLogger(__name__)
_MAX_ERRORS = 20  # a 422 lists at most this many problems,
_MAX_MESSAGE = 300  # each message cut to this many characters

DeliveryStatus = Literal["SUCCESS", "RETRY", "DROP"]
_ANSWERS: dict[DeliveryStatus, bytes] = {
    "SUCCESS": b'{"status":"SUCCESS"}',
    "RETRY": b'{"status":"RETRY"}',
    "DROP": b'{"status":"DROP"}',
}
E = TypeVar("E", bound=CloudEvent[Any])
T = TypeVar("T")


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
    included (dapr/dapr pkg/channel/http/http_channel.go), so the routes only it calls
    check it; public routes do not, since their callers have no token. The constant-time
    compare alone decides: an early `!=` would leak how much of a guess was right.
    """
    expected: str | None = request.app.state.app_api_token
    if not expected:
        return
    given = request.headers.get("dapr-api-token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or wrong dapr-api-token"
        )


@dataclasses.dataclass(frozen=True)
class BodyLimits:
    """The largest request body, in bytes, a route reads; a larger one is refused before
    it is parsed (its Content-Length, else as soon as the stream passes the limit).

    `public`: routes any caller reaches, answered 413. `dapr`: what the sidecar sends
    (deliveries, jobs, bindings, invocations); 4 MiB is daprd's own default
    `--max-body-size`. An event, job or binding event over it is dropped rather than
    answered with an error, since a redelivery would be just as large; an invocation
    and a bulk delivery are answered 413.
    """

    public: int = 1_048_576
    dapr: int = 4_194_304


class BodyTooLargeError(Exception):
    """A request body over its route's limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or BodyTooLargeError as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(
            f"the body is {declared} bytes; at most {limit} are read"
        )
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def validation_failed(request: Request, exc: Exception) -> Response:
    """422 naming each field and the rule it breaks, without echoing the input
    (FastAPI's default answer repeats it, megabytes included)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"loc": list(e["loc"]), "msg": str(e["msg"])[:_MAX_MESSAGE], "type": e["type"]}
        for e in errors[:_MAX_ERRORS]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


class DropEvent(Exception):
    """Raise it in a handler to drop the event (to the dead-letter topic when one is
    set)."""


def answer(status: DeliveryStatus) -> Response:
    """HTTP 200 with the status Dapr reads."""
    return Response(_ANSWERS[status], media_type="application/json")


Claim = Literal["new", "done", "busy"]


class ProcessedEvents(Protocol):
    """Which CloudEvent ids were handled, so that a redelivered event runs once.

    `claim_seconds`: how long a claim holds. A delivery's handler is cut off (RETRY)
    when its claim runs out, so a claim is only ever held by a live handler or, for at
    most that long, by a process that stopped mid-delivery.
    """

    @property
    def claim_seconds(self) -> float:
        """How long a claim holds before it expires."""
        ...

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
    """Processed-event records in a Dapr state store: two keys per event.

    `<key>` records a handled event ("done"), saved last-write and kept
    `retain_seconds`; `claim-<key>` is taken by one delivery at a time with an
    insert-only write (insert_state) that expires after `claim_seconds`, so that a
    process stopped mid-handler (a restart, a crash) blocks the event only that long.
    Keep `claim_seconds` under the span of Dapr's inbound retries (the resiliency
    policy on the pub/sub component): a redelivery that finds the claim held answers
    RETRY, and once the retries run out daprd sends the event to the dead-letter topic
    (dapr/dapr pkg/runtime/subscription/subscription.go), so a longer claim loses it.
    A handled event's redelivery costs one read; a new event one read and two writes.
    The done record is never saved first-write, so its last-write save works on every
    store (on Redis a first-write key takes ETag writes only).
    """

    def __init__(
        self, dapr: DaprClient, store: str, claim_seconds: int, retain_seconds: int
    ) -> None:
        self._dapr = dapr
        self._store = store
        self.claim_seconds = claim_seconds
        self._retain_seconds = retain_seconds

    async def claim(self, key: str) -> Claim:
        if await self._dapr.get_state(self._store, key) == "done":
            return "done"
        # Raises on a store failure (the delivery answers RETRY); False: it is held.
        # Every store takes an expired key for new (state.redis by its TTL,
        # state.postgresql v1 and v2 by the first-write upsert's expiry condition).
        taken = await self._dapr.insert_state(
            self._store, f"claim-{key}", "claimed", ttl_in_seconds=self.claim_seconds
        )
        return "new" if taken else "busy"

    async def done(self, key: str) -> None:
        await self._dapr.save_state(
            self._store,
            key,
            "done",
            concurrency="last-write",
            ttl_in_seconds=self._retain_seconds,
        )

    async def release(self, key: str) -> None:
        await self._dapr.delete_state(self._store, f"claim-{key}")


class MemoryProcessedEvents:
    """Processed-event records in this process only: for one replica, tests and
    benchmarks.

    Two maps of key to expiry time (floats only, so the garbage collector never walks
    them); handled records expire in the order they were made, so the oldest are
    dropped first and memory stays bounded by what `retain_seconds` keeps.
    """

    def __init__(
        self, claim_seconds: float = 20.0, retain_seconds: float = 604800.0
    ) -> None:
        self.claim_seconds = claim_seconds
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
        self._busy[key] = now + self.claim_seconds
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
    event: E,
    handler: Callable[[E, DaprClient], Awaitable[None]],
    dapr: DaprClient,
    deadline: float | None = None,
) -> DeliveryStatus:
    cut = asyncio.timeout_at(deadline)  # None: no deadline
    try:
        async with cut:
            await handler(event, dapr)
    except DropEvent as exc:
        _logger.warning("event %s dropped by its handler: %s", event.id, exc)
        return "DROP"
    except Exception:
        if cut.expired():  # another delivery may take the event now
            _logger.error(
                "event %s outran its claim; Dapr will deliver it again", event.id
            )
        else:
            _logger.exception("event %s failed; Dapr will deliver it again", event.id)
        return "RETRY"
    return "SUCCESS"


# A claim is given up only while it has this long left, so that the delete lands
# before the claim could have expired and been taken by another delivery.
_RELEASE_MARGIN_SECONDS = 1.0


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
    # The handler may run until the claim expires, counted from before it was taken:
    # past that, another delivery may take the event, so this one stops (RETRY).
    deadline = asyncio.get_running_loop().time() + processed.claim_seconds
    try:
        claim = await processed.claim(key)
    except Exception:
        _logger.exception(
            "event %s: cannot claim it; Dapr will deliver it again", event.id
        )
        return "RETRY"
    if claim != "new":
        # "busy": another delivery holds the event (running, or stopped mid-delivery
        # until its claim expires); a later one finds it done or free.
        return "SUCCESS" if claim == "done" else "RETRY"
    status = await _outcome(event, handler, dapr, deadline)
    try:
        if status != "RETRY":
            await processed.done(key)
        elif asyncio.get_running_loop().time() < deadline - _RELEASE_MARGIN_SECONDS:
            await processed.release(key)
        # else: the claim runs out on its own, and another delivery may hold it
        # already: deleting it then would let a third run beside that one.
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
    try:
        body = await read_body(request, request.app.state.body_limits.dapr)
    except BodyTooLargeError as exc:
        _logger.warning("dropping an event on %s: %s", request.url.path, exc)
        return answer("DROP")
    try:
        event = adapter.validate_json(body)
        # the data must fit as well (a raw payload's data_base64 included)
        event.payload()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        _logger.warning("dropping a malformed event on %s: %s", request.url.path, exc)
        return answer("DROP")
    dapr, processed = _shared(request, idempotent)
    return answer(await _run(event, handler, dapr, processed, scope))


def read_json(body: bytes) -> JsonValue:
    """A job's data as scheduled: any JSON, or None when the job was scheduled without
    data."""
    return json.loads(body) if body else None


async def run_job(
    request: Request,
    name: str,
    read: Callable[[bytes], T],
    handler: Callable[[T, DaprClient], Awaitable[None]],
    dapr: DaprClient,
) -> Response:
    """A job's callback: 200 is done, 404 a failure that is not retried, 500 one that
    the job's failure policy retries (dapr/dapr
    pkg/runtime/scheduler/internal/cluster/streamer.go; from Dapr 1.15: 1.14 retries
    no failed job)."""
    try:
        data = read(await read_body(request, request.app.state.body_limits.dapr))
    except (ValueError, BodyTooLargeError) as exc:
        _logger.warning("job %s: its data does not fit; not retried: %s", name, exc)
        return Response(status_code=404)
    try:
        await handler(data, dapr)
    except Exception:
        _logger.exception("job %s failed; its failure policy decides on a retry", name)
        return Response(status_code=500)
    return Response(status_code=200)
