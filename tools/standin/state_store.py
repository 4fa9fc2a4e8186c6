"""In-memory state stores that answer like daprd over ``state.redis``, ``state.postgresql`` v1 (profile
``postgresql``) or v2 (``postgresql-v2``) or ``state.in-memory`` (references/dapr-contract.md §2, §1.4; the save rules
are read from components-contrib, per ``profile``, and held to daprd 1.18.3's answers by tests/differential).

* Stored keys are ``<appId>||<key>`` by default (``keyPrefix``: ``appid``, ``name``, ``namespace``, ``none`` or a
  literal); a key containing ``||`` is rejected.
* ETags: redis counts a key's writes from ``"1"`` (``HINCRBY version``); PostgreSQL v1 gives the row's ``xmin``, a
  transaction id (a number, never 1 or 2); PostgreSQL v2 and in-memory a random UUID.
* daprd answers 409 only for a ``state.ETagError`` (mismatch) and 400 for an invalid ETag; any other store error is
  500 ``ERR_STATE_SAVE``. Which failure is which differs per store:

  - ``redis`` (state/redis/redis.go ``setDefaultQuery``): a missing key accepts any numeric ETag; an existing key
    accepts its own version, or no ETag unless the key was ever written with ``first-write`` (the hash keeps a
    ``first-write`` field for good, so afterwards even ``last-write`` without an ETag fails). A failure is a 409 when
    an ETag was sent (even with ``last-write``, which otherwise ignores it) and a 500 ``failed to set key`` when not.
  - ``postgresql`` (state/postgresql/v1/postgresql.go, common/component/postgresql/v1 ``doSet``): with an ETag, an
    ``UPDATE ... WHERE xmin = etag``: a missing key or another version is a 409; without one, ``first-write`` is an
    insert that fails on a live key with a 500 ``no item was updated`` and ``last-write`` an upsert.
  - ``in-memory`` (state/in-memory/in_memory.go ``doValidateEtag``): ``first-write`` without an ETag on an existing
    key, and an ETag on a missing key or of another version, are 409s.
* Delete with an ETag: another version is a mismatch (409) on every store; a missing key is fine on redis only
  (PostgreSQL's ``DELETE ... WHERE xmin/etag`` deletes nothing, in-memory finds no item: 409).
* A transaction (``Multi``) is atomic on PostgreSQL and in-memory; on redis it is a ``MULTI`` of scripts, which Redis
  does not roll back: a refused operation fails the transaction (500) while the others stay applied.
* ``ttlInSeconds`` item metadata makes the key expire (``-1`` = never).
* The query API: answered on ``redis`` (as Redis with RedisJSON; daprd with plain Redis answers 500
  ``ERR_STATE_QUERY``, which this does not model) and ``postgresql``; ``postgresql-v2`` and ``in-memory`` refuse it
  (500 ``ERR_STATE_STORE_NOT_SUPPORTED``), unless ``queryable`` says otherwise.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

SEPARATOR = "||"


class ETagError(Exception):
    """``state.ETagError``: ``kind`` is ``mismatch`` (409) or ``invalid`` (400)."""

    def __init__(self, kind: Literal["mismatch", "invalid"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


class StoreError(Exception):
    """Any other store failure (500)."""


class IllegalKeyError(ValueError):
    """A key containing the ``||`` separator."""


@dataclass(frozen=True, slots=True)
class StateStoreOptions:
    """Capabilities of one state store component."""

    transactional: bool = True
    queryable: bool | None = None  # None: as the profile's component (redis taken as with RedisJSON, postgresql v1)
    key_prefix: str = "appid"
    max_multi: int = 0
    profile: Literal["redis", "postgresql", "postgresql-v2", "in-memory"] = "redis"

    @property
    def answers_queries(self) -> bool:
        """The query API: PostgreSQL v1 answers it, Redis only with RedisJSON (assumed here), PostgreSQL v2 and
        in-memory do not (500 ERR_STATE_STORE_NOT_SUPPORTED, seen on daprd 1.18.3)."""
        if self.queryable is not None:
            return self.queryable
        return self.profile in ("redis", "postgresql")


@dataclass(slots=True)
class StoredItem:
    """One stored key: the exact bytes Dapr would keep (``json.Marshal(value)``) and the numeric ETag."""

    data: bytes
    etag: str
    metadata: dict[str, str] = field(default_factory=dict)
    expires_at: float | None = None
    first_write: bool = False

    def json(self) -> Any:
        import json

        return json.loads(self.data)


@dataclass(slots=True)
class SetOp:
    key: str
    data: bytes
    etag: str | None
    metadata: dict[str, str]
    concurrency: str = ""


@dataclass(slots=True)
class DeleteOp:
    key: str
    etag: str | None
    metadata: dict[str, str]
    concurrency: str = ""


def modified_key(key: str, store: str, app_id: str, namespace: str, prefix: str) -> str:
    """``GetModifiedStateKey`` (§2 key prefixing)."""
    if SEPARATOR in key:
        raise IllegalKeyError(f"input key/keyPrefix '{key}' can't contain '{SEPARATOR}'")
    mode = prefix.lower()
    if mode == "none":
        return key
    if mode == "appid":
        return f"{app_id}{SEPARATOR}{key}" if app_id else key
    if mode == "name":
        return f"{store}{SEPARATOR}{key}"
    if mode == "namespace":
        owner = f"{namespace}.{app_id}" if namespace else app_id
        return f"{owner}{SEPARATOR}{key}"
    return f"{prefix}{SEPARATOR}{key}"


def original_key(key: str) -> str:
    """``GetOriginalStateKey``: what follows the last ``||``."""
    return key.rsplit(SEPARATOR, 1)[-1]


class MemoryStateStore:
    """Items of one store, keyed by the *modified* key."""

    def __init__(self, name: str, options: StateStoreOptions, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.options = options
        self.items: dict[str, StoredItem] = {}
        self._versions: dict[str, int] = {}
        self._clock = clock
        self._xid = 730  # PostgreSQL v1's last transaction id: its first normal one is 3, initdb uses hundreds

    # -- reads ---------------------------------------------------------------------------------------------------
    def get(self, key: str) -> StoredItem | None:
        item = self.items.get(key)
        if item is not None and item.expires_at is not None and item.expires_at <= self._clock():
            del self.items[key]
            self._versions.pop(key, None)
            return None
        return item

    def live_items(self) -> Iterable[tuple[str, StoredItem]]:
        for key in list(self.items):
            item = self.get(key)
            if item is not None:
                yield key, item

    # -- writes --------------------------------------------------------------------------------------------------
    def _check_set(self, op: SetOp) -> None:
        current = self.get(op.key)
        sent = op.etag or None  # daprd's req.HasETag(): an empty ETag is none
        # redis parses the ETag unless last-write (parseETag), postgresql v1 always (ParseUint), v2 as a UUID (a
        # malformed one is a mismatch), in-memory never.
        parsed = self.options.profile == "postgresql" or (
            self.options.profile == "redis" and op.concurrency != "last-write"
        )
        if parsed and sent is not None and not sent.lstrip("-").isdigit():
            raise ETagError("invalid", f'strconv.Atoi: parsing "{sent}": invalid syntax')
        check = {
            "redis": self._redis_rule,
            "postgresql": self._postgresql_rule,
            "postgresql-v2": self._postgresql_rule,
            "in-memory": self._memory_rule,
        }
        check[self.options.profile](op, current, sent)
        ttl = op.metadata.get("ttlInSeconds")
        if ttl is not None and not ttl.lstrip("-").isdigit():
            raise StoreError(f"incorrect value for metadata 'ttlInSeconds': {ttl}")

    @staticmethod
    def _redis_rule(op: SetOp, current: StoredItem | None, sent: str | None) -> None:
        version = "0" if op.concurrency == "last-write" or sent is None else sent
        if current is None or current.etag == version or (not current.first_write and version == "0"):
            return
        if sent is not None:
            raise ETagError("mismatch", f"failed to set key {op.key}")
        raise StoreError(f"failed to set key {op.key}: ERR failed to set key {op.key}")

    @staticmethod
    def _postgresql_rule(op: SetOp, current: StoredItem | None, sent: str | None) -> None:
        if sent is not None:
            if current is None or current.etag != sent:
                raise ETagError("mismatch", "possible etag mismatch or item not found")
        elif current is not None and op.concurrency == "first-write":
            raise StoreError("no item was updated")

    @staticmethod
    def _memory_rule(op: SetOp, current: StoredItem | None, sent: str | None) -> None:
        if sent is None:
            if op.concurrency == "first-write" and current is not None:
                raise ETagError("mismatch", "item already exists and no etag was passed")
        elif current is None or current.etag != sent:
            raise ETagError("mismatch", f"state etag not match for key={op.key}")

    def _next_etag(self, key: str) -> str:
        if self.options.profile == "redis":
            version = self._versions.get(key, 0) + 1 if self.get(key) is not None else 1
            self._versions[key] = version
            return str(version)
        if self.options.profile == "postgresql":
            self._xid += 1
            return str(self._xid)
        return str(uuid.uuid4())

    def _apply_set(self, op: SetOp) -> None:
        etag = self._next_etag(op.key)
        ttl = op.metadata.get("ttlInSeconds")
        expires = None
        if ttl is not None and int(ttl) >= 0:
            expires = self._clock() + int(ttl)
        previous = self.items.get(op.key)
        # redis keeps the hash's `first-write` field once set; the other stores keep no such mark.
        sticky = self.options.profile == "redis" and previous is not None and previous.first_write
        self.items[op.key] = StoredItem(
            op.data, etag, dict(op.metadata), expires, sticky or op.concurrency == "first-write"
        )

    def _check_delete(self, op: DeleteOp) -> None:
        profile = self.options.profile
        current = self.get(op.key)
        if profile == "in-memory" and op.concurrency == "first-write" and not op.etag and current is not None:
            raise ETagError("mismatch", "item already exists and no etag was passed")
        if not op.etag:
            return
        if profile in ("redis", "postgresql") and not op.etag.lstrip("-").isdigit():
            raise ETagError("invalid", f'strconv.Atoi: parsing "{op.etag}": invalid syntax')
        if current is None and profile == "redis":
            return
        if current is None or current.etag != op.etag:
            raise ETagError("mismatch", f"failed to delete {op.key}")

    def _apply_delete(self, op: DeleteOp) -> None:
        self.items.pop(op.key, None)
        self._versions.pop(op.key, None)

    def set(self, op: SetOp) -> None:
        self._check_set(op)
        self._apply_set(op)

    def delete(self, op: DeleteOp) -> None:
        self._check_delete(op)
        self._apply_delete(op)

    def multi(self, ops: list[SetOp | DeleteOp]) -> None:
        """All-or-nothing (§2.5), except on redis: every operation runs, the first refusal is raised after."""
        if self.options.profile == "redis":
            refused: Exception | None = None
            for op in ops:
                try:
                    self.set(op) if isinstance(op, SetOp) else self.delete(op)
                except (ETagError, StoreError) as exc:
                    refused = refused or exc
            if refused is not None:
                raise refused
            return
        snapshot_items = dict(self.items)
        snapshot_versions = dict(self._versions)
        try:
            for op in ops:
                if isinstance(op, SetOp):
                    self.set(op)
                else:
                    self.delete(op)
        except Exception:
            self.items = snapshot_items
            self._versions = snapshot_versions
            raise
