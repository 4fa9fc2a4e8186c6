"""Python output: `ast.parse` (while ruff is already at work), `ruff format` with the destination's style (its
text is what we return), then `ruff check` with our rule set on that formatted text. Any finding, a syntax error
included (ruff's parser also rejects syntax newer than the target version), is an InvalidOutputError.

All ruff runs of one stage are concurrent processes, so a many-file service costs about as much as one file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence

from skill._ruff import RuffJob, Running, run_parallel
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


def check_python(
    files: Sequence[tuple[str, str]], style: Style, known_first_party: Sequence[str] = ()
) -> list[tuple[str, FileOutline]]:
    """The text of each (path, text) as it will be returned, with its API outline; or InvalidOutputError naming
    every problem."""
    first_party = tuple(known_first_party)
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
    problems = {
        path: found for (path, _), report in zip(files, reports, strict=True) if (found := _findings(path, report))
    }
    if problems:
        raise InvalidOutputError(next(iter(problems)), [f for found in problems.values() for f in found])
    return list(zip(formatted, outlines, strict=True))
