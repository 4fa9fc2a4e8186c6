"""Check rendered files before anyone sees them: parse, format, lint. Failing output is never returned.

Python: `ast.parse` (while ruff is already at work), `ruff format` (its text is what we return), then `ruff check`
on that text with the strict rule set; any finding, a syntax error included (ruff's parser also rejects syntax
newer than the target version), is an InvalidOutputError. TOML and JSON are parsed. YAML, Markdown and text pass
as they are.
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


def _raise_syntax_errors(drafts: Sequence[Draft]) -> None:
    for draft in drafts:
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
    first_party = tuple(known_first_party)
    # Format and check the rendered text at the same time; snippets are written format-clean, so usually
    # the check already ran on the final text. Only files that formatting changed are checked again.
    jobs = [RuffJob("format", d.path, d.content, first_party) for d in python]
    jobs += [RuffJob("check", d.path, d.content, first_party) for d in python]
    ruff = Running(jobs)  # ruff works in its own processes while Python parses
    try:
        _raise_syntax_errors(python)
        for draft in drafts:
            if draft.language != "python":
                _parse_other(draft)
    except InvalidOutputError:
        with contextlib.suppress(ToolchainError):
            ruff.result()  # reap the processes; the parse failure is the report
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
        raise InvalidOutputError(next(iter(problems)), [f for found in problems.values() for f in found])
    new_text = {d.path: t for d, t in zip(python, formatted, strict=True)}
    return [Draft(d.path, new_text.get(d.path, d.content), d.language, d.snippet) for d in drafts]
