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
from .events import Task

_logger = logging.getLogger(__name__)
_INDEX_ATTEMPTS = 10
# How long a deleted item is kept for a retried DELETE to publish its event again.
_DELETED_SECONDS = 24 * 3600

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


async def _publish(
    dapr: DaprClient, pubsub: str, topic: str, event_type: str, key: str, item: object
) -> None:
    metadata = {"cloudevent.type": event_type, "partitionKey": key}
    await dapr.publish_event(pubsub, topic, item, metadata=metadata)


_TASKS_STORE = "statestore"
# + key: an item's state key. The ':' after the resource name keeps items apart from the
# other resources' items in the store and from the keys below, which no item key can
# spell (a resource name never holds '-' or ':').
_TASKS_ITEM = "tasks:"
_TASKS_INDEX = "tasks-index"
_TASKS_DELETED = "tasks-deleted-"  # + key: a deleted item, for retries


def _task_item(value: object, etag: str | None, response: Response) -> Task:
    response.headers["ETag"] = _quoted(etag)
    try:
        return Task.model_validate(value)
    except ValidationError as exc:
        _logger.exception("stored tasks item does not fit Task")
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR, "stored item is invalid"
        ) from exc


@router.post("/api/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(item: Task, response: Response, dapr: Dapr) -> Task:
    """Store a new item; 409 when its key holds another item.

    The same item again completes a create that failed after it was stored (index,
    event) and answers 201 again.
    """
    key = _body_key(item.id, "id")
    if not await dapr.insert_state(_TASKS_STORE, _TASKS_ITEM + key, item):
        existing = await dapr.get_state(_TASKS_STORE, _TASKS_ITEM + key)
        if existing != item.model_dump(
            mode="json", by_alias=True
        ):  # as the client stored it
            raise HTTPException(status.HTTP_409_CONFLICT, f"{key!r} exists")
    await _update_index(dapr, _TASKS_STORE, _TASKS_INDEX, key, add=True)
    stored = await dapr.get_state_item(_TASKS_STORE, _TASKS_ITEM + key)
    await _publish(
        dapr,
        "pubsub",
        "task-events",
        "tasks.created",
        key,
        item,
    )
    return _task_item(item, stored.etag if stored else None, response)


@router.get("/api/tasks")
async def list_tasks(dapr: Dapr) -> list[Task]:
    """Every item, in key order."""
    index = await dapr.get_state(_TASKS_STORE, _TASKS_INDEX)
    if not index:
        return []
    found = await dapr.get_bulk_state(_TASKS_STORE, [_TASKS_ITEM + k for k in index])
    return [Task.model_validate(i.value) for i in found if i.found and i.error is None]


@router.get("/api/tasks/{key}")
async def get_task(key: ItemKey, response: Response, dapr: Dapr) -> Task:
    """One item with its ETag; 404 when missing."""
    stored = await dapr.get_state_item(_TASKS_STORE, _TASKS_ITEM + key)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
    return _task_item(stored.value, stored.etag, response)


@router.put("/api/tasks/{key}")
async def update_task(
    key: ItemKey, item: Task, response: Response, dapr: Dapr, if_match: IfMatch = None
) -> Task:
    """Replace an item; 404 when missing, 412 when If-Match is stale, 409 when it kept
    changing meanwhile."""
    if str(item.id) != key:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "the item's key differs from the path"
        )
    wanted = _etag(if_match)
    previous: list[StateItem] = []

    def change(current: StateItem | None) -> object:
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
        if wanted is not None and wanted != current.etag:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "stale If-Match")
        previous[:] = [current]
        return item

    try:
        await dapr.update_state(_TASKS_STORE, _TASKS_ITEM + key, change)
    except DaprConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "changed meanwhile") from exc
    before = _task_item(previous[0].value, previous[0].etag, response)
    saved = await dapr.get_state_item(_TASKS_STORE, _TASKS_ITEM + key)
    event_type = "tasks.updated"
    if item.completed and not before.completed:
        event_type = "tasks.completed"
    await _publish(dapr, "pubsub", "task-events", event_type, key, item)
    return _task_item(item, saved.etag if saved else None, response)


@router.post("/api/tasks/{key}/complete")
async def complete_task(
    key: ItemKey, response: Response, dapr: Dapr, if_match: IfMatch = None
) -> Task:
    """Set `completed` and publish `tasks.completed`; 404 when missing, 412 when
    If-Match is stale. On an item that has it set already nothing changes and the
    event is published again: the call that set it may have failed to publish, and
    subscribers take events at least once anyway."""
    wanted = _etag(if_match)
    changed: list[Task] = []

    def change(current: StateItem | None) -> object:
        if current is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no item {key!r}")
        if wanted is not None and wanted != current.etag:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, "stale If-Match")
        item = _task_item(current.value, current.etag, response)
        changed[:] = [item.model_copy(update={"completed": True})]
        return UNCHANGED if item.completed else changed[0]

    try:
        await dapr.update_state(_TASKS_STORE, _TASKS_ITEM + key, change)
    except DaprConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "changed meanwhile") from exc
    saved = await dapr.get_state_item(_TASKS_STORE, _TASKS_ITEM + key)
    await _publish(dapr, "pubsub", "task-events", "tasks.completed", key, changed[0])
    return _task_item(changed[0], saved.etag if saved else None, response)


@router.delete("/api/tasks/{key}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(key: ItemKey, dapr: Dapr, if_match: IfMatch = None) -> None:
    """Delete an item; 404 when missing, 412 when If-Match is stale, 409 on a race.

    The deleted item is kept a day: a DELETE of it again (a retry after a failed
    publish) publishes its event again and answers 204.
    """
    deleted = _TASKS_DELETED + key
    stored = await dapr.get_state_item(_TASKS_STORE, _TASKS_ITEM + key)
    if stored is None:
        gone = await dapr.get_state(_TASKS_STORE, deleted)
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
            _TASKS_STORE,
            deleted,
            stored.value,
            concurrency="last-write",
            ttl_in_seconds=_DELETED_SECONDS,
        )
        try:
            await dapr.delete_state(_TASKS_STORE, _TASKS_ITEM + key, etag=stored.etag)
        except DaprConflictError as exc:
            code = (
                status.HTTP_412_PRECONDITION_FAILED
                if wanted
                else status.HTTP_409_CONFLICT
            )
            raise HTTPException(code, "changed meanwhile") from exc
    await _update_index(dapr, _TASKS_STORE, _TASKS_INDEX, key, add=False)
    await _publish(
        dapr,
        "pubsub",
        "task-events",
        "tasks.deleted",
        key,
        stored.value,
    )
