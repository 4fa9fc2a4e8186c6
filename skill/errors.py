"""The engine's error tree. Every front door maps these, and only these, to exit codes or tool errors.

SkillError
├── SpecError         bad input: names the field, the value and the rule (the caller's to fix)
├── SnippetError      unknown snippet id, or a template that fails to render (our bug)
├── InvalidOutputError     rendered code failed ast / ruff / a parser (our bug, never returned)
└── ToolchainError    ruff is missing or crashed (the installation's to fix)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FieldProblem", "InvalidOutputError", "SkillError", "SnippetError", "SpecError", "ToolchainError"]


class SkillError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One rejected value: where it is in the spec, what it was, which rule it broke."""

    field: str
    value: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule} (got {self.value})"


class SpecError(SkillError, ValueError):
    """The spec broke one or more rules; each problem names its field."""

    def __init__(self, generator: str, problems: Sequence[FieldProblem]) -> None:
        self.generator = generator
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid {generator} spec:\n{lines}")


class SnippetError(SkillError):
    """A snippet is unknown or failed to render."""


class InvalidOutputError(SkillError):
    """Rendered output failed validation. This is a defect in a snippet, never the user's input."""

    def __init__(self, path: str, findings: Sequence[str]) -> None:
        self.path = path
        self.findings = tuple(findings)
        detail = "\n".join(f"  - {f}" for f in self.findings)
        super().__init__(f"generated {path} failed validation (a bug in async-dapr-coder):\n{detail}")


class ToolchainError(SkillError):
    """ruff could not be found or run, so output cannot be checked (and is therefore not returned)."""
