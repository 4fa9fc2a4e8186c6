"""Go time formats used by the sidecar: ``time.ParseDuration``, RFC3339 and trace ids."""

from __future__ import annotations

import datetime as dt
import re
import secrets

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float | None:
    """Go ``time.ParseDuration`` in seconds, or None when the text is not a Go duration."""
    if text in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if not body:
        return None
    total = 0.0
    pos = 0
    for match in _DURATION.finditer(body):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body) or pos == 0:
        return None
    return sign * total


_SIGNED_INTEGER = re.compile(r"[+-]?[0-9]+")
_UNSIGNED_INTEGER = re.compile(r"[0-9]+")


def parse_milliseconds_or_go_duration(text: str, *, signed: bool = True) -> float | None:
    """Seconds of a Dapr duration setting: a bare integer is milliseconds, anything else a Go duration; None when
    it is neither. dapr/kit config/decode.go (`strconv.Atoi`) and pkg/resiliency `parseDuration`
    (`strconv.ParseInt`) take a sign; components-contrib's Redis settings read the number with `ParseUint`
    (`signed=False`)."""
    if (_SIGNED_INTEGER if signed else _UNSIGNED_INTEGER).fullmatch(text):
        return int(text) / 1000
    return parse_go_duration(text)


def rfc3339(moment: dt.datetime) -> str:
    """``time.Format(time.RFC3339)`` in UTC: second precision, ``Z`` suffix."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_rfc3339() -> str:
    return rfc3339(dt.datetime.now(dt.UTC))


def parse_rfc3339(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def child_traceparent(incoming: str | None) -> str:
    """A W3C traceparent for a new span: a child of ``incoming`` when it is valid, else a new root."""
    span = secrets.token_hex(8)
    match = _TRACEPARENT.match(incoming or "")
    if match is not None:
        return f"00-{match.group(1)}-{span}-{match.group(3)}"
    return f"00-{secrets.token_hex(16)}-{span}-01"
