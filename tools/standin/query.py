"""The state query language (references/dapr-contract.md §2.6): ``filter`` / ``sort`` / ``page`` over JSON values.

Supported filters: ``EQ``, ``NEQ``, ``GT``, ``GTE``, ``LT``, ``LTE``, ``IN``, ``AND``, ``OR`` over dotted paths into
the stored JSON value (a leading ``value.`` is accepted too). ``page.token`` is the offset of the next page, as the
in-memory and redis implementations do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_COMPARE = ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "IN")
_LOGICAL = ("AND", "OR")


class QueryError(ValueError):
    """The query JSON is not a valid ``query.Query``."""


@dataclass(frozen=True, slots=True)
class Query:
    filter: Mapping[str, Any] | None
    sort: list[tuple[str, bool]]
    limit: int
    token: int


def parse(text: str) -> Query:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QueryError(str(exc)) from exc
    if not isinstance(raw, dict):
        raise QueryError("query must be a JSON object")
    flt = raw.get("filter")
    if flt is not None:
        _validate(flt)
    sort: list[tuple[str, bool]] = []
    for item in raw.get("sort") or []:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise QueryError("sort items need a string key")
        order = str(item.get("order", "ASC")).upper()
        if order not in ("ASC", "DESC"):
            raise QueryError(f"invalid sort order {order!r}")
        sort.append((item["key"], order == "DESC"))
    page = raw.get("page") or {}
    if not isinstance(page, dict):
        raise QueryError("page must be an object")
    limit = page.get("limit", 0)
    token = page.get("token", "")
    if not isinstance(limit, int) or limit < 0:
        raise QueryError("page.limit must be a non-negative integer")
    try:
        offset = int(token) if token else 0
    except ValueError as exc:
        raise QueryError(f"invalid page token {token!r}") from exc
    return Query(flt or None, sort, limit, offset)


def _validate(flt: Any) -> None:
    if not isinstance(flt, dict) or len(flt) != 1:
        raise QueryError("a filter must be an object with exactly one operation")
    ((op, arg),) = flt.items()
    if op in _LOGICAL:
        if not isinstance(arg, list) or not arg:
            raise QueryError(f"{op} needs a non-empty list of filters")
        for sub in arg:
            _validate(sub)
    elif op in _COMPARE:
        if not isinstance(arg, dict) or len(arg) != 1:
            raise QueryError(f"{op} needs exactly one field")
        if op == "IN" and not isinstance(next(iter(arg.values())), list):
            raise QueryError("IN needs a list of values")
    else:
        raise QueryError(f"unsupported filter operation {op!r}")


_MISSING = object()


def lookup(value: Any, path: str) -> Any:
    """Follow a dotted path; ``_MISSING`` when a step is absent."""
    if path.startswith("value."):
        path = path[len("value.") :]
    current = value
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _cmp(left: Any, right: Any, op: str) -> bool:
    if left is _MISSING:
        return op == "NEQ"
    if op == "EQ":
        return bool(left == right)
    if op == "NEQ":
        return bool(left != right)
    if op == "IN":
        return left in right
    try:
        if op == "GT":
            return bool(left > right)
        if op == "GTE":
            return bool(left >= right)
        if op == "LT":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


def matches(flt: Mapping[str, Any] | None, value: Any) -> bool:
    if flt is None:
        return True
    ((op, arg),) = flt.items()
    if op == "AND":
        return all(matches(sub, value) for sub in arg)
    if op == "OR":
        return any(matches(sub, value) for sub in arg)
    ((path, expected),) = arg.items()
    return _cmp(lookup(value, path), expected, op)


def run(query: Query, rows: list[tuple[str, Any, Any]]) -> tuple[list[tuple[str, Any, Any]], str]:
    """Filter, sort and page ``(key, decoded value, extra)`` rows; returns the page and the next token."""
    selected = [row for row in rows if matches(query.filter, row[1])]
    for path, descending in reversed(query.sort):

        def sort_key(row: tuple[str, Any, Any], path: str = path) -> tuple[int, int, float, str]:
            found = lookup(row[1], path)
            if found is _MISSING:
                return (1, 0, 0.0, "")
            if isinstance(found, int | float) and not isinstance(found, bool):
                return (0, 0, float(found), "")
            if isinstance(found, str):
                return (0, 1, 0.0, found)
            return (0, 2, 0.0, json.dumps(found, sort_keys=True))

        selected.sort(key=sort_key, reverse=descending)
    start = query.token
    end = start + query.limit if query.limit else len(selected)
    page = selected[start:end]
    token = str(end) if query.limit and end < len(selected) else ""
    return page, token
