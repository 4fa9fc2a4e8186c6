"""The record every generator module exports as `GENERATOR`. The registry lists them; nothing else does.

Adding a generator: see CONTRIBUTING.md ("Adding a generator"); tests/engine/test_generator_checklist.py fails,
naming the missing part, until every part is there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from skill.plan import Plan
from skill.specs.common import SpecModel

__all__ = ["Generator"]


@dataclass(frozen=True)
class Generator:
    """One generator: its name (the CLI subcommand), what it is, what it takes and how it plans."""

    name: str
    title: str
    description: str  # what an agent reads in the tool list: one short paragraph
    spec: type[SpecModel]
    plan: Callable[[Any], Plan]  # takes an instance of `spec`
    # Non-default specs worth trying through both doors, in golden files and in determinism tests.
    examples: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    # Its output folder carries a manifest (.dapr-coder/): regenerating merges instead of overwriting, and
    # `dapr-coder check` reports drift.
    tracked: bool = False

    @property
    def writes_python(self) -> bool:
        """Its output has Python (CONTRIBUTING.md: a generator that writes Python takes `line_length`)."""
        return "line_length" in self.spec.model_fields

    @property
    def tool_name(self) -> str:
        return f"dapr_generate_{self.name}"
