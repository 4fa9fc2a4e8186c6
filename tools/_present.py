"""How both front doors report: one mapping from engine errors to exit codes, and the texts both doors print."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from skill import Result, SkillError, SnippetDetail, SpecError

__all__ = [
    "MAX_PROBLEMS_SHOWN",
    "Exit",
    "detail_text",
    "exit_code",
    "internal_failure",
    "problem_lines",
    "result_text",
    "spec_error_text",
]

# An error message is bounded whatever the request: a request with thousands of bad keys (or one enormous key) must
# not be answered with something bigger than itself. The first problems are enough to act on.
MAX_PROBLEMS_SHOWN = 20
_MAX_LINE = 300


class Exit(enum.IntEnum):
    OK = 0
    FAILURE = 1  # our defect or a broken installation: a snippet failed, output failed checks, ruff missing
    BAD_INPUT = 2  # the caller's to fix: a spec rule, an unknown snippet id, a file in the way


def exit_code(exc: SkillError) -> Exit:
    """Only a SpecError is the caller's fault; every other engine error is ours or the installation's."""
    return Exit.BAD_INPUT if isinstance(exc, SpecError) else Exit.FAILURE


def internal_failure(exc: Exception) -> str:
    """The message for an error that the caller did not cause and cannot fix by changing the request: an engine
    error, or any other exception (a defect), which is named by its type since its text may be terse."""
    detail = str(exc) if isinstance(exc, SkillError) else f"{type(exc).__name__}: {exc}"
    return f"internal failure (not caused by your request): {_cut(detail, 4 * _MAX_LINE)}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def problem_lines(problems: Sequence[object]) -> str:
    """One `  - problem` line each, for the first MAX_PROBLEMS_SHOWN problems, each cut to a bounded length, then a
    line saying how many were left out."""
    lines = [_cut(f"  - {p}", _MAX_LINE) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        left_out = len(problems) - MAX_PROBLEMS_SHOWN
        lines.append(f"  ... and {left_out} more problem{'s' if left_out > 1 else ''} not shown")
    return "\n".join(lines)


def spec_error_text(exc: SpecError) -> str:
    """A SpecError as both doors print it: the engine's heading line, then the bounded problem lines."""
    heading = str(exc).partition("\n")[0]
    return f"{_cut(heading, _MAX_LINE)}\n{problem_lines(exc.problems)}"


def result_text(result: Result) -> str:
    """A Result as a reader wants it: each file, then requirements and notes as comments."""
    parts = []
    for f in result.files:
        parts.append(f.content if len(result.files) == 1 else f"# ===== {f.path} =====\n{f.content}")
    tail = [f"# requires: {', '.join(result.requirements)}"] if result.requirements else []
    tail += [f"# note: {n}" for n in result.notes]
    checks = list(dict.fromkeys(c for f in result.files for c in f.checks))  # each file says which checks it passed
    tail.append(f"# checked: {', '.join(checks)} ({result.lint.ruff_version}): {result.lint.status}")
    return "\n".join(parts).rstrip("\n") + "\n\n" + "\n".join(tail) + "\n"


def detail_text(detail: SnippetDetail) -> str:
    """A snippet as a reader wants it: its header, the raw template, then each file it renders with defaults."""
    parts = [
        f"# {detail.id}: {detail.title}\n# {detail.summary}\n# template: snippets/{detail.template}\n\n",
        detail.source,
    ]
    parts += [f"\n# ===== rendered with defaults: {f.path} =====\n{f.content}" for f in detail.rendered]
    return "".join(parts)
