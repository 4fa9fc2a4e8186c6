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
from .events import ReminderEvent

_logger = logging.getLogger(__name__)
_INDEX_ATTEMPTS = 10

_KEY_MAX = 256
router = APIRouter(route_class=PublicRoute)
IfMatch = Annotated[str | None, Header()]


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


async def _update_index(
    dapr: DaprClient, store: str, index: str, key: str, *, add: bool
) -> None:
    """Add `key` to (or remove it from) the index by ETag, so that concurrent creates
    and deletes all keep their change."""

    def change(current: StateItem | None) -> object:
        keys = set(current.value) if current is not None and current.value else set()
        if (key in keys) == add:
            return UNCHANGED
        return sorted(keys | {key} if add else keys - {key})

    try:
        await dapr.update_state(store, index, change, attempts=_INDEX_ATTEMPTS)
    except DaprConflictError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "index busy; try again"
        ) from exc


_REMINDERS_STORE = "statestore"
# + key: an item's state key. The ':' after the resource name keeps items apart from the
# other resources' items in the store and from the keys below, which no item key can
# spell (a resource name never holds '-' or ':').
_REMINDERS_ITEM = "reminders:"
_REMINDERS_INDEX = "reminders-index"


def _reminder_item(
    value: object, etag: str | None, response: Response
) -> ReminderEvent:
    response.headers["ETag"] = _quoted(etag)
    try:
        return ReminderEvent.model_validate(value)
    except ValidationError as exc:
        _logger.exception("stored reminders item does not fit ReminderEvent")
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR, "stored item is invalid"
        ) from exc


@router.post("/api/reminders", status_code=status.HTTP_201_CREATED)
async def create_reminder(
    item: ReminderEvent, response: Response, dapr: Dapr
) -> ReminderEvent:
    """Store a new item; 409 when its key holds another item.

    The same item again completes a create that failed after it was stored (index,
    event) and answers 201 again.
    """
    key = _body_key(item.task_id, "task_id")
    if not await dapr.insert_state(_REMINDERS_STORE, _REMINDERS_ITEM + key, item):
        existing = await dapr.get_state(_REMINDERS_STORE, _REMINDERS_ITEM + key)
        if existing != item.model_dump(
            mode="json", by_alias=True
        ):  # as the client stored it
            raise HTTPException(status.HTTP_409_CONFLICT, f"{key!r} exists")
    await _update_index(dapr, _REMINDERS_STORE, _REMINDERS_INDEX, key, add=True)
    stored = await dapr.get_state_item(_REMINDERS_STORE, _REMINDERS_ITEM + key)
    return _reminder_item(item, stored.etag if stored else None, response)


@router.get("/api/reminders")
async def list_reminders(dapr: Dapr) -> list[ReminderEvent]:
    """Every item, in key order."""
    index = await dapr.get_state(_REMINDERS_STORE, _REMINDERS_INDEX)
    if not index:
        return []
    found = await dapr.get_bulk_state(
        _REMINDERS_STORE, [_REMINDERS_ITEM + k for k in index]
    )
    return [
        ReminderEvent.model_validate(i.value)
        for i in found
        if i.found and i.error is None
    ]


@router.get("/api/reminders/{key}")
async def get_reminder(key: ItemKey, response: Response, dapr: Dapr) -> ReminderEvent:
    """One item with its ETag; 404 when missing."""
    stored = await dapr.get_state_item(_REMINDERS_STORE, _REMINDERS_ITEM + key)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
    return _reminder_item(stored.value, stored.etag, response)


@router.put("/api/reminders/{key}")
async def update_reminder(
    key: ItemKey,
    item: ReminderEvent,
    response: Response,
    dapr: Dapr,
    if_match: IfMatch = None,
) -> ReminderEvent:
    """Replace an item; 404 when missing, 412 when If-Match is stale, 409 when it kept
    changing meanwhile."""
    if str(item.task_id) != key:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "the item's key differs from the path"
        )
    wanted = _etag(if_match)

    def change(current: StateItem | None) -> object:
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
        if wanted is not None and wanted != current.etag:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "stale If-Match")
        return item

    try:
        await dapr.update_state(_REMINDERS_STORE, _REMINDERS_ITEM + key, change)
    except DaprConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "changed meanwhile") from exc
    saved = await dapr.get_state_item(_REMINDERS_STORE, _REMINDERS_ITEM + key)
    return _reminder_item(item, saved.etag if saved else None, response)


@router.delete("/api/reminders/{key}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_reminder(key: ItemKey, dapr: Dapr, if_match: IfMatch = None) -> None:
    """Delete an item; 404 when missing, 412 when If-Match is stale, 409 on a race."""
    stored = await dapr.get_state_item(_REMINDERS_STORE, _REMINDERS_ITEM + key)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
    wanted = _etag(if_match)
    if wanted is not None and wanted != stored.etag:
        raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "stale If-Match")
    try:
        await dapr.delete_state(
            _REMINDERS_STORE, _REMINDERS_ITEM + key, etag=stored.etag
        )
    except DaprConflictError as exc:
        code = (
            status.HTTP_412_PRECONDITION_FAILED if wanted else status.HTTP_409_CONFLICT
        )
        raise HTTPException(code, "changed meanwhile") from exc
    await _update_index(dapr, _REMINDERS_STORE, _REMINDERS_INDEX, key, add=False)
