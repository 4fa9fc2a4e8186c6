"""Python output: `ast.parse` (while ruff is already at work), `ruff format` with the destination's style (its
text is what we return), then `ruff check` with our rule set on that formatted text. Any finding, a syntax error
included (ruff's parser also rejects syntax newer than the target version), is an InvalidOutputError.

A few files: one ruff process per file and mode, all at once. Many files (a service, a project): one `ruff
format` and one `ruff check` over a folder holding them all, since starting ruff is most of a small file's cost.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence

from skill._ruff import Batch, RuffJob, Running, run_parallel
from skill.errors import InvalidOutputError, ToolchainError
from skill.outline import FileOutline, outline_of
from skill.parsing import parse_python
from skill.style import DEFAULT_STYLE, Style

__all__ = ["check_python", "parse_python"]


def _outlines_or_syntax_errors(files: Sequence[tuple[str, str]]) -> list[FileOutline]:
    """Each file parsed; its public API read from the tree while it is at hand (formatting changes the layout, never
    the syntax tree, so the outline holds for the formatted text too)."""
    found = []
    for path, text in files:
        try:
            found.append(outline_of(path, parse_python(text, path)))
        except SyntaxError as exc:
            raise InvalidOutputError(path, [f"line {exc.lineno}: {exc.msg}"]) from exc
    return found


def _findings(path: str, report: str) -> list[str]:
    items = json.loads(report) if report.strip() else []
    return [f"{path}:{i['location']['row']}:{i['location']['column']} {i['code']} {i['message']}" for i in items]


def _layout(style: Style) -> tuple[int, int, str]:
    return (style.line_length, style.indent_width, style.quote_style)


# From this many files on, two ruff processes over a folder beat two per file (process start-up dominates).
_BATCH_FROM = 6


def _batched(
    files: Sequence[tuple[str, str]], style: Style, first_party: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """Formatted texts and check reports of `files`, formatted in one ruff process and checked in another."""
    batch = Batch(files, style, first_party)
    try:
        formatted = batch.format()
        return formatted, batch.check()
    finally:
        batch.close()


def check_python(
    files: Sequence[tuple[str, str]], style: Style, known_first_party: Sequence[str] = ()
) -> list[tuple[str, FileOutline]]:
    """The text of each (path, text) as it will be returned, with its API outline; or InvalidOutputError naming
    every problem."""
    first_party = tuple(known_first_party)
    if len(files) >= _BATCH_FROM:
        outlines = _outlines_or_syntax_errors(files)
        formatted, reports = _batched(files, style, first_party)
        return _judged(files, formatted, reports, outlines)
    # Snippets are written format-clean for ruff's default layout. With that layout, format and check the rendered
    # text at the same time: formatting usually changes nothing, so the check already ran on the final text. With
    # another layout formatting always changes the text, and a check of the rendered text would be wasted work on
    # two cores. Either way, files that formatting changed are checked again, so findings always describe the
    # text that is returned.
    native = _layout(style) == _layout(DEFAULT_STYLE)
    jobs = [RuffJob("format", path, text, style, first_party) for path, text in files]
    if native:
        jobs += [RuffJob("check", path, text, style, first_party) for path, text in files]
    ruff = Running(jobs)  # ruff works in its own processes while Python parses
    try:
        outlines = _outlines_or_syntax_errors(files)
    except InvalidOutputError:
        with contextlib.suppress(ToolchainError):
            ruff.result()  # reap the processes; the parse failure is the report
        raise
    outputs = ruff.result()
    formatted, reports = outputs[: len(files)], outputs[len(files) :] or [""] * len(files)
    changed = [i for i, ((_, text), new) in enumerate(zip(files, formatted, strict=True)) if new != text or not native]
    rechecked = run_parallel([RuffJob("check", files[i][0], formatted[i], style, first_party) for i in changed])
    for i, report in zip(changed, rechecked, strict=True):
        reports[i] = report
    return _judged(files, formatted, reports, outlines)


def _judged(
    files: Sequence[tuple[str, str]], formatted: Sequence[str], reports: Sequence[str], outlines: list[FileOutline]
) -> list[tuple[str, FileOutline]]:
    problems = {
        path: found for (path, _), report in zip(files, reports, strict=True) if (found := _findings(path, report))
    }
    if problems:
        raise InvalidOutputError(next(iter(problems)), [f for found in problems.values() for f in found])
    return list(zip(formatted, outlines, strict=True))
