"""The golden cases, derived from the registry: `<generator>-default` (no spec) and one per entry of each
generator's `examples`, so a new generator gets golden cases without editing this file. Each case has a folder
of expected output beside this file (`uv run python -m tests.golden.regen` writes them)."""

from __future__ import annotations

from collections.abc import Mapping

from skill.registry import REGISTRY

CASES: dict[str, tuple[str, Mapping[str, object]]] = {
    case: (generator.name, spec)
    for generator in REGISTRY.values()
    for case, spec in {"default": {}, **generator.examples}.items()
    for case in [f"{generator.name}-{case}"]
}
