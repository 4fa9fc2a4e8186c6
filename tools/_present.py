"""How both front doors report: one mapping from engine errors to exit codes and messages."""

from __future__ import annotations

import enum

from skill import InvalidOutputError, Result, SnippetError, SpecError, ToolchainError

__all__ = ["Exit", "exit_code", "result_text"]


class Exit(enum.IntEnum):
    OK = 0
    FAILURE = 1  # our defect or a broken installation: generated output failed checks, ruff missing
    BAD_INPUT = 2  # the caller's to fix: a spec rule, an unknown snippet, a file in the way


def exit_code(exc: Exception) -> Exit:
    if isinstance(exc, SpecError | SnippetError):
        return Exit.BAD_INPUT
    if isinstance(exc, InvalidOutputError | ToolchainError):
        return Exit.FAILURE
    return Exit.FAILURE


def result_text(result: Result) -> str:
    """A Result as a reader wants it: each file, then requirements and notes as comments."""
    parts = []
    for f in result.files:
        parts.append(f.content if len(result.files) == 1 else f"# ===== {f.path} =====\n{f.content}")
    tail = [f"# requires: {', '.join(result.requirements)}"] if result.requirements else []
    tail += [f"# note: {n}" for n in result.notes]
    tail.append(f"# checked: {', '.join(result.lint.checks)} ({result.lint.ruff_version}): {result.lint.status}")
    return "\n".join(parts).rstrip("\n") + "\n\n" + "\n".join(tail) + "\n"
