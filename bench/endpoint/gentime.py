"""Warm generation time of each generator tool: `skill.generate` with its defaults, a fresh spec per call.

Each call changes one option (line length, or a resiliency timeout for components) so that nothing cached on the
spec can answer: every call parses, plans, renders and runs the checks (ruff included) again.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skill.pipeline import generate

GENERATORS = ("client", "models", "endpoint", "components")


def _line_length(i: int) -> dict[str, Any]:
    return {"line_length": 80 + i % 200}


def _timeout(i: int) -> dict[str, Any]:
    return {"resiliency": {"timeout_seconds": 1 + i % 300}}


_FRESH: dict[str, Callable[[int], dict[str, Any]]] = {
    "client": _line_length,
    "models": _line_length,
    "endpoint": _line_length,
    "components": _timeout,
}


@dataclass(frozen=True)
class GenTime:
    generator: str
    median: float  # seconds
    low: float
    high: float
    files: int


def measure(name: str, calls: int) -> GenTime:
    fresh = _FRESH[name]
    generate(name, fresh(0))  # the cold call: imports, template compilation, ruff located
    times: list[float] = []
    files = 0
    for i in range(1, calls + 1):
        start = time.perf_counter()
        result = generate(name, fresh(i))
        times.append(time.perf_counter() - start)
        files = len(result.files)
    return GenTime(name, statistics.median(times), min(times), max(times), files)


def measure_all(calls: int) -> list[GenTime]:
    return [measure(name, calls) for name in GENERATORS]
