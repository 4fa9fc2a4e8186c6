"""How both front doors report: one mapping from engine errors to exit codes, and the texts both doors print."""

from __future__ import annotations

import enum

from skill import Result, SkillError, SnippetDetail, SpecError

__all__ = ["Exit", "detail_text", "exit_code", "internal_failure", "result_text"]


class Exit(enum.IntEnum):
    OK = 0
    FAILURE = 1  # our defect or a broken installation: a snippet failed, output failed checks, ruff missing
    BAD_INPUT = 2  # the caller's to fix: a spec rule, an unknown snippet id, a file in the way


def exit_code(exc: SkillError) -> Exit:
    """Only a SpecError is the caller's fault; every other engine error is ours or the installation's."""
    return Exit.BAD_INPUT if isinstance(exc, SpecError) else Exit.FAILURE


def internal_failure(exc: SkillError) -> str:
    """The message for an engine error that the caller did not cause and cannot fix by changing the request."""
    return f"internal failure (not caused by your request): {exc}"


def result_text(result: Result) -> str:
    """A Result as a reader wants it: each file, then requirements and notes as comments."""
    parts = []
    for f in result.files:
        parts.append(f.content if len(result.files) == 1 else f"# ===== {f.path} =====\n{f.content}")
    tail = [f"# requires: {', '.join(result.requirements)}"] if result.requirements else []
    tail += [f"# note: {n}" for n in result.notes]
    tail.append(f"# checked: {', '.join(result.lint.checks)} ({result.lint.ruff_version}): {result.lint.status}")
    return "\n".join(parts).rstrip("\n") + "\n\n" + "\n".join(tail) + "\n"


def detail_text(detail: SnippetDetail) -> str:
    """A snippet as a reader wants it: its header, the raw template, then each file it renders with defaults."""
    parts = [
        f"# {detail.id}: {detail.title}\n# {detail.summary}\n# template: snippets/{detail.template}\n\n",
        detail.source,
    ]
    parts += [f"\n# ===== rendered with defaults: {f.path} =====\n{f.content}" for f in detail.rendered]
    return "".join(parts)
