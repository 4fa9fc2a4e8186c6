"""JSON as both doors read it from a caller: a key given twice in one object is an error, not "the last one wins"
(which would silently drop an option the caller believes they set)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DuplicateKeyError", "loads"]


class DuplicateKeyError(ValueError):
    """An object in the JSON text has the same key more than once."""

    def __init__(self, key: str) -> None:
        self.key = key
        shown = repr(key) if len(repr(key)) <= 80 else repr(key)[:77] + "..."  # the caller's text: keep it short
        super().__init__(f"the key {shown} appears more than once in one object")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKeyError(key)
        obj[key] = value
    return obj


def loads(text: str) -> Any:
    """`json.loads`, refusing duplicate keys (DuplicateKeyError, a ValueError); RecursionError when too deep."""
    return json.loads(text, object_pairs_hook=_unique)
