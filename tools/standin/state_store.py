"""An in-memory state store that behaves like ``state.redis`` (references/dapr-contract.md §2, §1.4).

* Stored keys are ``<appId>||<key>`` by default (``keyPrefix``: ``appid``, ``name``, ``namespace``, ``none`` or a
  literal); a key containing ``||`` is rejected.
* ETags are numeric strings, starting at ``"1"`` and incremented on every write (redis ``HINCRBY version``).
* Save with an ETag: non-numeric -> invalid (400); an existing key with another version -> mismatch (409); a
  missing key accepts any numeric ETag (the redis script's ``not var1`` branch). ``last-write`` ignores the ETag.
* Delete with an ETag: missing key is fine, another version is a mismatch (409).
* ``ttlInSeconds`` item metadata makes the key expire (``-1`` = never).
"""

from __future__ import annotations

import time
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
    queryable: bool = True
    key_prefix: str = "appid"
    max_multi: int = 0


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
        etag = op.etag if op.concurrency != "last-write" else None
        if etag:
            if not etag.lstrip("-").isdigit():
                raise ETagError("invalid", f'strconv.Atoi: parsing "{etag}": invalid syntax')
            if current is not None and current.etag != etag:
                raise ETagError("mismatch", f"failed to set key {op.key}")
        elif current is not None and current.first_write and op.concurrency != "last-write":
            raise ETagError("mismatch", f"failed to set key {op.key}")
        ttl = op.metadata.get("ttlInSeconds")
        if ttl is not None and not ttl.lstrip("-").isdigit():
            raise StoreError(f"incorrect value for metadata 'ttlInSeconds': {ttl}")

    def _apply_set(self, op: SetOp) -> None:
        version = self._versions.get(op.key, 0) + 1 if self.get(op.key) is not None else 1
        self._versions[op.key] = version
        ttl = op.metadata.get("ttlInSeconds")
        expires = None
        if ttl is not None and int(ttl) >= 0:
            expires = self._clock() + int(ttl)
        self.items[op.key] = StoredItem(
            op.data, str(version), dict(op.metadata), expires, op.concurrency == "first-write"
        )

    def _check_delete(self, op: DeleteOp) -> None:
        if not op.etag:
            return
        if not op.etag.lstrip("-").isdigit():
            raise ETagError("invalid", f'strconv.Atoi: parsing "{op.etag}": invalid syntax')
        current = self.get(op.key)
        if current is not None and current.etag != op.etag:
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
        """All-or-nothing: validate every operation against a snapshot, then apply (§2.5)."""
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
