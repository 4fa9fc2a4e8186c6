"""A plan: which snippet makes which file, with which already-decided context. Generators only make plans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from skill.result import Language

__all__ = ["FilePlan", "Plan"]


@dataclass(frozen=True)
class FilePlan:
    path: str
    snippet: str  # catalog id
    context: Mapping[str, object]
    language: Language = "python"


@dataclass(frozen=True)
class Plan:
    files: Sequence[FilePlan]
    requirements: Sequence[str] = ()
    notes: Sequence[str] = ()
    known_first_party: Sequence[str] = ()

    def merge(self, other: Plan, *, prefix: str = "") -> Plan:
        """This plan plus `other` (its files placed under `prefix`), requirements and notes de-duplicated."""
        moved = [FilePlan(prefix + f.path, f.snippet, f.context, f.language) for f in other.files]
        return Plan(
            files=[*self.files, *moved],
            requirements=list(dict.fromkeys([*self.requirements, *other.requirements])),
            notes=list(dict.fromkeys([*self.notes, *other.notes])),
            known_first_party=list(dict.fromkeys([*self.known_first_party, *other.known_first_party])),
        )
