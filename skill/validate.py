"""Check rendered files before anyone sees them: parse, format, lint. Failing output is never returned.

Python: `ast.parse`, then `ruff format` (its text is what we return), then `ruff check` on that text with the
strict rule set; any finding is an InvalidOutputError. TOML and JSON are parsed. Markdown and text pass as they are.
All ruff runs of one stage are concurrent processes, so a many-file service costs about as much as one file.
"""

from __future__ import annotations

import ast
import contextlib
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass

from skill._ruff import RuffJob, Running, run_parallel
from skill.errors import InvalidOutputError, ToolchainError
from skill.result import Language

__all__ = ["PYTHON_CHECKS", "Draft", "validate"]

PYTHON_CHECKS = ("ast.parse", "ruff format", "ruff check")


@dataclass(frozen=True)
class Draft:
    """A rendered, not yet checked, file."""

    path: str
    content: str
    language: Language
    snippet: str


def _parse_other(draft: Draft) -> None:
    try:
        if draft.language == "toml":
            tomllib.loads(draft.content)
        elif draft.language == "json":
            json.loads(draft.content)
    except ValueError as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise InvalidOutputError(draft.path, [f"{draft.language} does not parse: {exc}"]) from exc


def _parse_python(draft: Draft) -> None:
    try:
        ast.parse(draft.content, filename=draft.path)
    except SyntaxError as exc:
        raise InvalidOutputError(draft.path, [f"line {exc.lineno}: {exc.msg}"]) from exc


def _findings(path: str, report: str) -> list[str]:
    items = json.loads(report) if report.strip() else []
    return [f"{path}:{i['location']['row']}:{i['location']['column']} {i['code']} {i['message']}" for i in items]


def validate(drafts: Sequence[Draft], known_first_party: Sequence[str] = ()) -> list[Draft]:
    """The drafts as they will be returned (Python reformatted), or InvalidOutputError naming every problem."""
    python = [d for d in drafts if d.language == "python"]
    for draft in drafts:
        if draft.language != "python":
            _parse_other(draft)
    first_party = tuple(known_first_party)
    # Format and check the rendered text at the same time; snippets are written format-clean, so usually
    # the check already ran on the final text. Only files that formatting changed are checked again.
    jobs = [RuffJob("format", d.path, d.content, first_party) for d in python]
    jobs += [RuffJob("check", d.path, d.content, first_party) for d in python]
    ruff = Running(jobs)  # ruff works in its own processes while Python parses
    try:
        for draft in python:
            _parse_python(draft)
    except InvalidOutputError:
        with contextlib.suppress(ToolchainError):  # ruff's complaint about the same syntax adds nothing
            ruff.result()
        raise
    outputs = ruff.result()
    formatted, reports = outputs[: len(python)], outputs[len(python) :]
    changed = [i for i, (d, text) in enumerate(zip(python, formatted, strict=True)) if text != d.content]
    rechecked = run_parallel([RuffJob("check", python[i].path, formatted[i], first_party) for i in changed])
    for i, report in zip(changed, rechecked, strict=True):
        reports[i] = report
    problems: dict[str, list[str]] = {}
    for draft, report in zip(python, reports, strict=True):
        found = _findings(draft.path, report)
        if found:
            problems[draft.path] = found
    if problems:
        path = next(iter(problems))
        raise InvalidOutputError(path, [f for found in problems.values() for f in found])
    new_text = {d.path: t for d, t in zip(python, formatted, strict=True)}
    return [Draft(d.path, new_text.get(d.path, d.content), d.language, d.snippet) for d in drafts]
