"""The only ways a user value reaches rendered text. Each emits a literal of the target language.

Spec types already reject hostile identifiers; these filters make literals safe whatever the string holds:
`repr` for Python (a str's repr is always a valid, inert literal), JSON for JSON/YAML/TOML strings (a JSON
string with ASCII escapes is also a valid YAML double-quoted scalar and TOML basic string).
"""

from __future__ import annotations

import json
import math
from urllib.parse import quote

__all__ = ["FILTERS", "json_str", "py_json", "py_literal", "py_str", "url_segment"]

_PY_SCALARS = (bool, int, float, str, type(None))


def py_str(value: object) -> str:
    """A Python string literal, ASCII only: non-ASCII characters are escaped, so no confusable or invisible
    character (which ruff's RUF001 refuses, and a reader cannot see) reaches the code."""
    if not isinstance(value, str):
        raise TypeError(f"py_str expects a str, got {type(value).__name__}")
    return ascii(value)


def py_literal(value: object) -> str:
    """A Python literal for a scalar, or a tuple/list of scalars."""
    if isinstance(value, float) and not math.isfinite(value):  # repr gives `nan`/`inf`: names, not literals
        raise ValueError(f"py_literal cannot emit {value!r}")
    if isinstance(value, _PY_SCALARS):
        return repr(value)
    if isinstance(value, tuple | list) and all(isinstance(v, _PY_SCALARS) for v in value):
        inner = ", ".join(py_literal(v) for v in value)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(f"py_literal cannot emit {type(value).__name__}")


def py_json(value: object) -> str:
    """A Python literal for a JSON value (dicts, lists, strings, numbers, booleans, None), ASCII only."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return py_literal(value)
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_json(v) for v in value) + "]"
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return "{" + ", ".join(f"{py_str(k)}: {py_json(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"py_json cannot emit {type(value).__name__}")


def json_str(value: object) -> str:
    """A JSON (and so YAML/TOML-safe) literal, ASCII only."""
    return json.dumps(value, ensure_ascii=True, allow_nan=False)


def url_segment(value: object) -> str:
    """One percent-encoded URL path segment (nothing is left unescaped but unreserved characters)."""
    if not isinstance(value, str):
        raise TypeError(f"url_segment expects a str, got {type(value).__name__}")
    return quote(value, safe="")


FILTERS = {
    "py_str": py_str,
    "py_literal": py_literal,
    "py_json": py_json,
    "json_str": json_str,
    "url_segment": url_segment,
}
