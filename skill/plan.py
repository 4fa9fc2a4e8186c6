"""A plan: which snippet makes which file, from which typed context. Generators only make plans.

A context is a frozen dataclass built by the generator: every decision (which imports, which helpers, which
names) is already made in Python, so a template only loops over it and prints. Its fields are the template's
variables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from skill.result import Language
from skill.style import Style

__all__ = ["Context", "EmptyContext", "FilePlan", "Plan", "template_variables"]


class Context(Protocol):
    """Any frozen dataclass instance: its fields become the template's variables."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


def template_variables(context: Context) -> dict[str, object]:
    """The context's fields by name, one level deep (nested values stay typed objects for the template)."""
    return {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}


@dataclass(frozen=True)
class EmptyContext:
    """The context of a snippet that takes no variables (an ignore file, an empty secrets file)."""


@dataclass(frozen=True)
class FilePlan:
    path: str
    snippet: str  # catalog id, which is the template's path under snippets/ without '.jinja'
    context: Context
    language: Language = "python"
    # The user owns it once it exists (a handlers module to fill in): a tracked folder's update only creates it,
    # never rewrites it.
    user_owned: bool = False


@dataclass(frozen=True)
class Plan:
    files: Sequence[FilePlan]
    requirements: Sequence[str] = ()
    notes: Sequence[str] = ()
    known_first_party: Sequence[str] = ()
    # The formatter settings the plan's own configuration states (a generated pyproject.toml's [tool.ruff]). Ruff
    # reads the nearest configuration only, so these govern the files wherever they are written: set, they are
    # used instead of the destination's (skill.style.find_style).
    style: Style | None = None
