"""Check rendered files before anyone sees them, each by its language. Failing output is never returned.

| language   | checks (in order)                                    |
| python     | ast.parse, ruff format, ruff check (our rule set)    |
| yaml       | yaml parse, Dapr document fields (Dapr documents)    |
| toml, json | parse                                                |
| dockerfile | none here; the test suite runs hadolint on them      |
| markdown   | none                                                 |

Every checked file states the checks that ran on it. Python is formatted with the given `Style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from skill.checks import data
from skill.checks.python import check_python
from skill.outline import FileOutline
from skill.result import Language
from skill.style import Style

__all__ = ["CHECKS", "Checked", "Draft", "check_files"]


@dataclass(frozen=True)
class Draft:
    """A rendered, not yet checked, file."""

    path: str
    content: str
    language: Language
    snippet: str


@dataclass(frozen=True)
class Checked:
    """A file as it will be returned (Python reformatted), with the checks it passed."""

    path: str
    content: str
    language: Language
    snippet: str
    checks: tuple[str, ...]
    outline: FileOutline | None = None  # Python files: the public API


CHECKS: dict[Language, tuple[str, ...]] = {
    "python": ("ast.parse", "ruff format", "ruff check"),
    "yaml": ("yaml parse", "dapr fields"),
    "toml": ("toml parse",),
    "json": ("json parse",),
    "dockerfile": (),
    "markdown": (),
    "text": (),
}


def check_files(drafts: Sequence[Draft], style: Style, known_first_party: Sequence[str] = ()) -> list[Checked]:
    """Every draft checked (InvalidOutputError naming every problem otherwise), Python formatted with `style`."""
    for d in drafts:  # cheap, and done before any ruff process starts
        if d.language != "python":
            data.check(d.path, d.language, d.content)
    python = [d for d in drafts if d.language == "python"]
    checked = check_python([(d.path, d.content) for d in python], style, known_first_party)
    done = dict(zip((d.path for d in python), checked, strict=True))
    results = []
    for d in drafts:
        text, api = done.get(d.path, (d.content, None))
        results.append(Checked(d.path, text, d.language, d.snippet, CHECKS[d.language], api))
    return results
