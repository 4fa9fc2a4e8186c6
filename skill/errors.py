"""The engine's error tree. Every front door maps these, and only these, to exit codes or tool errors.

SkillError
├── SpecError           bad input (a spec option, a snippet id): names the field, the value and the rule (the
│                       caller's to fix)
├── SnippetError        a snippet the engine planned is missing or fails to render (our bug)
├── InvalidOutputError  rendered code failed ruff or a parser (our bug, never returned)
└── ToolchainError      ruff is missing or crashed (the installation's to fix)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["FieldProblem", "InvalidOutputError", "SkillError", "SnippetError", "SpecError", "ToolchainError"]

_MAX_SHOWN = 80


class SkillError(Exception):
    """Base of every error the engine raises on purpose."""


def _shown(value: object) -> str:
    """`repr` (so quotes, newlines and escapes stay visible and inert), cut to at most 80 characters."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _location(parts: Sequence[str | int]) -> str:
    """`a.b.1`; a part that is not an identifier (an unknown key a caller made up) is shown quoted."""
    return ".".join(p if isinstance(p, str) and p.isidentifier() else _shown(p) for p in parts)


@dataclass(frozen=True)
class FieldProblem:
    """One rejected value: where it is in the spec, what it was, which rule it broke."""

    field: str
    value: str
    rule: str

    @classmethod
    def of(cls, location: Sequence[str | int], value: object, rule: str) -> FieldProblem:
        """The problem as it is shown: the location joined with dots, the value as a short `repr`.

        Both come from the caller, so neither may reach the message raw (a key or value with a newline could
        otherwise forge lines of the report).
        """
        return cls(_location(location), _shown(value), rule)

    def __str__(self) -> str:
        return f"{self.field}: {self.rule} (got {self.value})"


class SpecError(SkillError, ValueError):
    """The spec broke one or more rules; each problem names its field."""

    def __init__(self, generator: str, problems: Sequence[FieldProblem], *, what: str = "spec") -> None:
        self.generator = generator
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid {generator} {what}:\n{lines}")

    @classmethod
    def from_validation_error(cls, generator: str, exc: ValidationError, *, what: str = "spec") -> SpecError:
        """Pydantic's errors as problems. A model-level rule names its own field ('field: rule'); an unknown
        key gets a rule a caller can act on."""
        problems = []
        for err in exc.errors(include_url=False):
            location: Sequence[str | int] = err["loc"] or ("spec",)
            value = err.get("input")
            rule = err["msg"].removeprefix("Value error, ")
            field, sep, rest = rule.partition(": ")
            if not err["loc"] and sep and field.isidentifier():
                location, rule = (field,), rest
                value = value.get(field, value) if isinstance(value, Mapping) else getattr(value, field, value)
            if err["type"] == "extra_forbidden":
                rule = "is not an option of this generator"
            problems.append(FieldProblem.of(location, value, rule))
        return cls(generator, problems, what=what)


class SnippetError(SkillError):
    """A snippet the engine planned is unknown or failed to render."""


class InvalidOutputError(SkillError):
    """Rendered output failed validation. This is a defect in a snippet, never the user's input."""

    def __init__(self, path: str, findings: Sequence[str]) -> None:
        self.path = path
        self.findings = tuple(findings)
        detail = "\n".join(f"  - {f}" for f in self.findings)
        super().__init__(f"generated {path} failed validation (a bug in async-dapr-coder):\n{detail}")


class ToolchainError(SkillError):
    """ruff could not be found or run, so output cannot be checked (and is therefore not returned)."""
