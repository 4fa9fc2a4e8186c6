"""How generated Python is formatted: ruff's defaults, or the destination project's own formatter settings.

Only layout follows the destination (line length, indent width, quote style, target version); the lint rule set
is always ours (`skill.quality`). Settings are read the way ruff finds them: the nearest `.ruff.toml`,
`ruff.toml` or `pyproject.toml` with a `[tool.ruff]` table, walking up from the destination folder.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skill.errors import FieldProblem, SpecError

__all__ = ["DEFAULT_STYLE", "LineLength", "Style", "find_style"]

LineLength = Annotated[int, Field(ge=40, le=320, strict=True)]
_TARGETS = ("py311", "py312", "py313", "py314")


class Style(BaseModel):
    """The formatter settings generated Python was written with, and where they came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line_length: LineLength = 88
    indent_width: Literal[2, 4, 8] = 4
    quote_style: Literal["double", "single", "preserve"] = "double"
    target_version: Literal["py311", "py312", "py313", "py314"] = "py311"  # generated code needs 3.11
    source: str = Field(default="ruff defaults", description="Where the settings came from.")


DEFAULT_STYLE = Style()
_CONFIG_FILES = (".ruff.toml", "ruff.toml", "pyproject.toml")


def _ruff_table(path: Path) -> dict[str, object] | None:
    """The ruff settings in `path`, or None when the file has none (a pyproject.toml without [tool.ruff])."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problem = FieldProblem.of([path.name], str(exc), "must be readable TOML (ruff reads its settings from it)")
        raise SpecError("output", [problem], what=_settings_in(path)) from None
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool")
    table = tool.get("ruff") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _from_table(table: dict[str, object], source: Path) -> Style:
    fmt = table.get("format")
    quote = fmt.get("quote-style") if isinstance(fmt, dict) else None
    values: dict[str, object] = {
        "line_length": table.get("line-length"),
        "indent_width": table.get("indent-width"),
        "quote_style": quote,
        "source": str(source),
    }
    target = table.get("target-version")
    # Generated code needs Python 3.11; a project that targets older Pythons still gets 3.11 syntax, which the
    # result's requirements and notes make plain. Newer targets are honoured.
    if isinstance(target, str) and target in _TARGETS:
        values["target_version"] = target
    try:
        return Style.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = [
            FieldProblem.of([source.name, *(str(p) for p in err["loc"])], err.get("input"), err["msg"])
            for err in exc.errors(include_url=False)
        ]
        raise SpecError("output", problems, what=_settings_in(source)) from None


def _settings_in(path: Path) -> str:
    """The whole path in the message's first line (a problem's location is cut at 80 characters, which hid the
    file's name under a long folder); repr keeps a newline in it inert."""
    return f"formatter settings in {str(path)!r}"


def find_style(folder: Path) -> Style:
    """The formatter settings that apply in `folder` (which need not exist yet): the nearest ruff configuration
    above it, or ruff's defaults."""
    here = folder.resolve()
    for directory in (here, *here.parents):
        for name in _CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file():
                table = _ruff_table(candidate)
                if table is not None:
                    return _from_table(table, candidate)
    return DEFAULT_STYLE
