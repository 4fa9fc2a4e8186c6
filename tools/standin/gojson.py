"""Go ``encoding/json`` semantics that the sidecar double must reproduce.

Dapr decodes request bodies with Go's ``json.NewDecoder(r.Body).Decode`` and encodes with ``json.Marshal``.
The visible consequences (references/dapr-contract.md §2.1, §3.1, §5) are:

* only the *first* JSON value of a body is read; trailing bytes are ignored; an empty body is an error (EOF);
* struct fields match JSON keys case-insensitively (``concurrency`` / ``Concurrency``), the last one wins;
* a ``string`` field or a ``map[string]string`` value given a non-string is an error (400 in Dapr);
* ``interface{}`` numbers become float64 unless ``UseNumber`` is on (publish keeps full precision, state does not);
* ``json.Marshal`` sorts object keys, escapes ``<``, ``>``, ``&``, U+2028 and U+2029, and formats floats like Go.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "GoJSONError",
    "Number",
    "Raw",
    "Struct",
    "decode_first",
    "field",
    "has_field",
    "marshal",
    "marshal_line",
    "opt_str",
    "opt_str_map",
    "to_float64",
]


class GoJSONError(ValueError):
    """A decode error, worded like Go's ``encoding/json`` errors."""


@dataclass(frozen=True, slots=True)
class Number:
    """A JSON number kept as its literal text (Go ``json.Number``, i.e. ``Decoder.UseNumber``)."""

    literal: str

    def to_python(self) -> int | float:
        """The number as a Python int when it is integral text, else a float."""
        try:
            return int(self.literal)
        except ValueError:
            return float(self.literal)


class Struct(dict[str, Any]):
    """A Go struct: marshalled in insertion (field) order instead of sorted like a map."""


@dataclass(frozen=True, slots=True)
class Raw:
    """A ``json.RawMessage``: bytes inserted verbatim."""

    data: bytes


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Duplicate keys: the last value wins, as in Go.
    return dict(pairs)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs_hook,
    parse_float=Number,
    parse_int=Number,
    parse_constant=lambda name: (_ for _ in ()).throw(GoJSONError(f"invalid character '{name[0]}'")),
)
_WS = " \t\r\n"


def decode_first(body: bytes, *, use_number: bool = False) -> Any:
    """Decode the first JSON value of ``body`` like ``json.NewDecoder(bytes).Decode(&v)``.

    Numbers are :class:`Number` when ``use_number`` is true, float64 otherwise (precision is lost exactly as in Go).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GoJSONError(f"invalid UTF-8 in request body: {exc}") from exc
    start = len(text) - len(text.lstrip(_WS))
    if start == len(text):
        raise GoJSONError("EOF")
    try:
        value, _end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise GoJSONError(f"invalid character at offset {exc.pos}: {exc.msg}") from exc
    return value if use_number else to_float64(value)


def to_float64(value: Any) -> Any:
    """Turn every :class:`Number` into a float, like decoding into ``interface{}`` without ``UseNumber``."""
    if isinstance(value, Number):
        result = float(value.literal)
        if math.isinf(result):
            raise GoJSONError(f"json: cannot unmarshal number {value.literal} into Go value of type float64")
        return result
    if isinstance(value, dict):
        return {k: to_float64(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_float64(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------------
# Struct-field helpers (Go matches keys case-insensitively; the last matching key wins).


def _fold_key(obj: Mapping[str, Any], name: str) -> str | None:
    found: str | None = None
    lowered = name.lower()
    for key in obj:
        if key == name or key.lower() == lowered:
            found = key
    return found


def has_field(obj: Mapping[str, Any], name: str) -> bool:
    """Whether a Go struct field ``name`` would be set from ``obj``."""
    return _fold_key(obj, name) is not None


def field(obj: Mapping[str, Any], name: str) -> Any:
    """The value Go would decode into struct field ``name`` (``None`` when absent or null)."""
    key = _fold_key(obj, name)
    return None if key is None else obj[key]


def opt_str(obj: Mapping[str, Any], name: str, struct: str) -> str | None:
    """A ``string`` / ``*string`` struct field: a JSON string or null, anything else is a decode error."""
    value = field(obj, name)
    if value is None or isinstance(value, str):
        return value
    raise GoJSONError(f"json: cannot unmarshal {_kind(value)} into Go struct field {struct}.{name} of type string")


def opt_str_map(obj: Mapping[str, Any], name: str, struct: str) -> dict[str, str] | None:
    """A ``map[string]string`` struct field; a non-string value fails the whole decode, as in Go."""
    value = field(obj, name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise GoJSONError(
            f"json: cannot unmarshal {_kind(value)} into Go struct field {struct}.{name} of type map[string]string"
        )
    out: dict[str, str] = {}
    for key, item in value.items():
        if item is None:
            out[key] = ""
        elif isinstance(item, str):
            out[key] = item
        else:
            raise GoJSONError(
                f"json: cannot unmarshal {_kind(item)} into Go struct field {struct}.{name} of type string"
            )
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Number | int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


# ---------------------------------------------------------------------------------------------------------------
# Encoding like json.Marshal.

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


_NO_HTML = {k: v for k, v in _ESCAPES.items() if k not in "<>&"}


def _string(text: str, escapes: Mapping[str, str] = _ESCAPES) -> str:
    parts = ['"']
    for ch in text:
        esc = escapes.get(ch)
        if esc is not None:
            parts.append(esc)
        elif ord(ch) < 0x20:
            parts.append(f"\\u{ord(ch):04x}")
        else:
            parts.append(ch)
    parts.append('"')
    return "".join(parts)


def _float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise GoJSONError(f"json: unsupported value: {value}")
    if value == 0:
        return "0"
    magnitude = abs(value)
    if 1e-6 <= magnitude < 1e21:
        text = format(Decimal(repr(value)), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    text = repr(value)
    # strconv 'e' format, then Go's clean-up of "e-09" to "e-9" (positive exponents keep two digits).
    if "e-0" in text:
        text = text.replace("e-0", "e-")
    return text


def _encode(value: Any, out: list[str], escapes: Mapping[str, str] = _ESCAPES) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Number):
        out.append(value.literal)
    elif isinstance(value, Raw):
        out.append(value.data.decode("utf-8"))
    elif isinstance(value, Struct):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(_string(key, escapes))
            out.append(":")
            _encode(item, out, escapes)
        out.append("}")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, str):
        out.append(_string(value, escapes))
    elif isinstance(value, bytes):
        import base64

        out.append(_string(base64.b64encode(value).decode("ascii")))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, key in enumerate(sorted(value)):
            if i:
                out.append(",")
            out.append(_string(str(key), escapes))
            out.append(":")
            _encode(value[key], out, escapes)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, escapes)
        out.append("]")
    else:
        raise GoJSONError(f"json: unsupported type: {type(value).__name__}")


def marshal(value: Any) -> bytes:
    """``json.Marshal(value)``: compact, sorted keys, HTML-safe escapes, Go float formatting."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")


def marshal_proto_value(value: Any) -> bytes:
    """protojson of a ``google.protobuf.Value``: like :func:`marshal` but without HTML escaping."""
    out: list[str] = []
    _encode(value, out, _NO_HTML)
    return "".join(out).encode("utf-8")


def marshal_line(value: Any) -> bytes:
    """``json.NewEncoder(w).Encode(value)``: like :func:`marshal` plus the trailing newline."""
    return marshal(value) + b"\n"
