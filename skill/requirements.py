"""Requirement strings merged to one per distribution: the parts of a result (client, models, endpoint, each
service) each state theirs, and a distribution listed twice (`pydantic>=2.10,<3` and `pydantic>=2.7,<3`) becomes
the one bound all of them can live with."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["lower_bounds", "tightest"]

_REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?(?P<rest>.*)")
_SPECIFIER = re.compile(r"(?P<op>>=|<)\s*(?P<version>[0-9]+(?:\.[0-9]+)*)")

Version = tuple[int, ...]


@dataclass
class _Bounds:
    name: str
    extras: set[str] = field(default_factory=set)
    lower: tuple[Version, str] | None = None  # (parsed, as written)
    upper: tuple[Version, str] | None = None


def _merged(requirements: Iterable[str]) -> list[_Bounds]:
    found: dict[str, _Bounds] = {}
    for text in requirements:
        m = _REQUIREMENT.fullmatch(text.strip())
        if m is None:
            raise ValueError(f"not a requirement: {text!r}")
        key = m["name"].lower().replace("_", "-")
        bounds = found.setdefault(key, _Bounds(key))
        if m["extras"]:
            bounds.extras.update(e.strip() for e in m["extras"][1:-1].split(",") if e.strip())
        for part in filter(None, (p.strip() for p in m["rest"].split(","))):
            spec = _SPECIFIER.fullmatch(part)
            if spec is None:  # our generators write only these two; anything else is a slip to catch here
                raise ValueError(f"{text!r}: only '>=' and '<' bounds are merged (got {part!r})")
            version = (tuple(int(p) for p in spec["version"].split(".")), spec["version"])
            if spec["op"] == ">=" and (bounds.lower is None or version[0] > bounds.lower[0]):
                bounds.lower = version
            elif spec["op"] == "<" and (bounds.upper is None or version[0] < bounds.upper[0]):
                bounds.upper = version
    return list(found.values())


def _text(b: _Bounds, *, upper: bool) -> str:
    extras = f"[{','.join(sorted(b.extras))}]" if b.extras else ""
    parts = [f">={b.lower[1]}"] if b.lower else []
    if upper and b.upper:
        parts.append(f"<{b.upper[1]}")
    return f"{b.name}{extras}{','.join(parts)}"


def tightest(requirements: Iterable[str]) -> tuple[str, ...]:
    """One requirement per distribution, in the order first stated: the highest lower bound and the lowest upper
    bound stated."""
    return tuple(_text(b, upper=True) for b in _merged(requirements))


def lower_bounds(requirements: Iterable[str]) -> tuple[str, ...]:
    """One requirement per distribution, lower bound only (what a generated pyproject.toml states: an application
    pins the rest in its uv.lock)."""
    return tuple(_text(b, upper=False) for b in sorted(_merged(requirements), key=lambda b: b.name))
