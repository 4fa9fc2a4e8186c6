"""State-backed CRUD resources. Each item is one state key, `<resource>:<key>`, so that
no item can overwrite another resource's item or this module's own keys (a resource
with a list route keeps an index key, `<resource>-index`, listing the item keys).

ETags are the state store's: GET returns one, PUT and DELETE honour If-Match (412 when
it is stale; `*` matches any current item). Items and the index are created
insert-only (insert_state) and changed by ETag (update_state), which holds on every
state store: on Redis a key created first-write takes no other writes. Each change is
published with CloudEvent type `<resource>.created|updated|deleted` and the item's key
as its partition key, so that one item's events keep their order on Kafka. The change
is saved before it is published: when the publish fails the request fails (5xx), and
the same request again publishes it (a create or action that finds its change already
made completes it instead of answering 409 or nothing; a deleted item is kept a day
for a DELETE again).

These routes are public: a Kubernetes Service exposes them to callers that are not
sidecars, so they do not check `dapr-api-token` (only the sidecar has it), and other
apps reach the same routes through Dapr service invocation. Put your own
authentication in front of them (a dependency, or the ingress) if they need one.
"""

import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, ValidationError

from .contract import Dapr, PublicRoute
from .dapr_client import UNCHANGED, DaprClient, DaprConflictError, StateItem
from .events import Reservation

_logger = logging.getLogger(__name__)
# How long a deleted item is kept for a retried DELETE to publish its event again.
_DELETED_SECONDS = 24 * 3600

_KEY_MAX = 256
router = APIRouter(route_class=PublicRoute)
IfMatch = Annotated[str | None, Header()]
IfNoneMatch = Annotated[str | None, Header()]


def _checked_key(key: str) -> str:
    """A key the state store can hold: Dapr refuses one holding `||`, its key-prefix
    separator (dapr/dapr pkg/components/state/state_config.go)."""
    if "||" in key or len(key) > _KEY_MAX or not key.isprintable():
        raise ValueError(
            f"must be 1-{_KEY_MAX} printable characters without '||' "
            "(Dapr's key-prefix separator)"
        )
    return key


ItemKey = Annotated[str, Path(min_length=1), AfterValidator(_checked_key)]


def _body_key(value: object, field: str) -> str:
    """An item's key from its body, held to the path key's rule (422 naming the
    field)."""
    try:
        return _checked_key(str(value))
    except ValueError as exc:
        error = {"type": "value_error", "loc": ("body", field), "msg": str(exc)}
        raise RequestValidationError([error]) from exc


def _etag(value: str | None) -> str | None:
    """An If-Match value as the state store spells it (HTTP quotes it, Dapr does not);
    None for `*`, which matches any current item (RFC 9110 section 13.1.1)."""
    if value is None or value.strip() == "*":
        return None
    return value.removeprefix("W/").strip('"')


def _quoted(etag: str | None) -> str:
    return f'"{etag}"' if etag is not None else ""


def _none_match(value: str | None, current: StateItem | None) -> bool:
    """Whether If-None-Match holds: `*` when there is no current item, a list of
    ETags when none is the current one's (RFC 9110 section 13.1.2)."""
    if value is None or current is None:
        return True
    if value.strip() == "*":
        return False
    tags = {_etag(tag) for tag in value.split(",")}
    return current.etag not in tags


async def _publish(
    dapr: DaprClient, pubsub: str, topic: str, event_type: str, key: str, item: object
) -> None:
    metadata = {"cloudevent.type": event_type, "partitionKey": key}
    await dapr.publish_event(pubsub, topic, item, metadata=metadata)


_RESERVATIONS_STORE = "statestore"
# + key: an item's state key. The ':' after the resource name keeps items apart from the
# other resources' items in the store and from the keys below, which no item key can
# spell (a resource name never holds '-' or ':').
_RESERVATIONS_ITEM = "reservations:"
_RESERVATIONS_DELETED = "reservations-deleted-"  # + key: a deleted item, for retries


def _reservation_item(
    value: object, etag: str | None, response: Response
) -> Reservation:
    response.headers["ETag"] = _quoted(etag)
    try:
        return Reservation.model_validate(value)
    except ValidationError as exc:
        _logger.exception("stored reservations item does not fit Reservation")
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR, "stored item is invalid"
        ) from exc


@router.get("/api/reservations/{key}")
async def get_reservation(key: ItemKey, response: Response, dapr: Dapr) -> Reservation:
    """One item with its ETag; 404 when missing."""
    stored = await dapr.get_state_item(_RESERVATIONS_STORE, _RESERVATIONS_ITEM + key)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
    return _reservation_item(stored.value, stored.etag, response)


@router.put("/api/reservations/{key}")
async def put_reservation(
    key: ItemKey,
    item: Reservation,
    response: Response,
    dapr: Dapr,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Reservation:
    """Create or replace an item: 201 when created, 200 when replaced. `If-Match`
    makes it replace-only (412 when missing or stale), `If-None-Match: *` create-only
    (412 when it exists), as RFC 9110 section 13.1 has them; 409 when it kept changing
    meanwhile."""
    if str(item.id) != key:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "the item's key differs from the path"
        )
    wanted = _etag(if_match)
    previous: list[StateItem | None] = []

    def change(current: StateItem | None) -> object:
        if current is None and if_match is not None:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, f"no item {key!r}")
        if current is not None and wanted is not None and wanted != current.etag:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "stale If-Match")
        if not _none_match(if_none_match, current):
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, f"{key!r} exists")
        previous[:] = [current]
        return item

    try:
        await dapr.update_state(_RESERVATIONS_STORE, _RESERVATIONS_ITEM + key, change)
    except DaprConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "changed meanwhile") from exc
    created = previous[0] is None
    if created:
        response.status_code = status.HTTP_201_CREATED
    saved = await dapr.get_state_item(_RESERVATIONS_STORE, _RESERVATIONS_ITEM + key)
    event_type = "reservations.created" if created else "reservations.updated"
    before = previous[0]
    if before is not None:
        was = _reservation_item(before.value, before.etag, response)
        if item.confirmed and not was.confirmed:
            event_type = "reservations.confirmed"
    await _publish(dapr, "pubsub", "reservation-events", event_type, key, item)
    return _reservation_item(item, saved.etag if saved else None, response)


@router.post("/api/reservations/{key}/confirm")
async def confirm_reservation(
    key: ItemKey, response: Response, dapr: Dapr, if_match: IfMatch = None
) -> Reservation:
    """Set `confirmed` and publish `reservations.confirmed`; 404 when missing, 412 when
    If-Match is stale. On an item that has it set already nothing changes and the
    event is published again: the call that set it may have failed to publish, and
    subscribers take events at least once anyway."""
    wanted = _etag(if_match)
    changed: list[Reservation] = []

    def change(current: StateItem | None) -> object:
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
        if wanted is not None and wanted != current.etag:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "stale If-Match")
        item = _reservation_item(current.value, current.etag, response)
        changed[:] = [item.model_copy(update={"confirmed": True})]
        return UNCHANGED if item.confirmed else changed[0]

    try:
        await dapr.update_state(_RESERVATIONS_STORE, _RESERVATIONS_ITEM + key, change)
    except DaprConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "changed meanwhile") from exc
    saved = await dapr.get_state_item(_RESERVATIONS_STORE, _RESERVATIONS_ITEM + key)
    await _publish(
        dapr, "pubsub", "reservation-events", "reservations.confirmed", key, changed[0]
    )
    return _reservation_item(changed[0], saved.etag if saved else None, response)


@router.delete("/api/reservations/{key}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_reservation(
    key: ItemKey, dapr: Dapr, if_match: IfMatch = None
) -> None:
    """Delete an item; 404 when missing, 412 when If-Match is stale, 409 on a race.

    The deleted item is kept a day: a DELETE of it again (a retry after a failed
    publish) publishes its event again and answers 204.
    """
    deleted = _RESERVATIONS_DELETED + key
    stored = await dapr.get_state_item(_RESERVATIONS_STORE, _RESERVATIONS_ITEM + key)
    if stored is None:
        gone = await dapr.get_state(_RESERVATIONS_STORE, deleted)
        if gone is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
        stored = StateItem(deleted, gone)
    else:
        wanted = _etag(if_match)
        if wanted is not None and wanted != stored.etag:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "stale If-Match")
        # Last-write: this key is never inserted first-write, so it takes it on every
        # store (Redis included).
        await dapr.save_state(
            _RESERVATIONS_STORE,
            deleted,
            stored.value,
            concurrency="last-write",
            ttl_in_seconds=_DELETED_SECONDS,
        )
        try:
            await dapr.delete_state(
                _RESERVATIONS_STORE, _RESERVATIONS_ITEM + key, etag=stored.etag
            )
        except DaprConflictError as exc:
            code = (
                status.HTTP_412_PRECONDITION_FAILED
                if wanted
                else status.HTTP_409_CONFLICT
            )
            raise HTTPException(code, "changed meanwhile") from exc
    await _publish(
        dapr,
        "pubsub",
        "reservation-events",
        "reservations.deleted",
        key,
        stored.value,
    )
