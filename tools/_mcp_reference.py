"""The skill's per-generator option tables (`references/<generator>.md`), written from the same input schema the MCP
tool publishes, so the skill, the MCP server and the CLI state each option once.

    uv run python -m tools._mcp_reference          # rewrite the tables (creating missing files)
    uv run python -m tools._mcp_reference --check  # exit 1 if a table is out of date

Only the part between the two markers is generated; the rest of each file is prose that people edit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from skill import REGISTRY, Generator
from tools._mcp_tools import input_schema
from tools._spec_args import spec_flags

__all__ = ["BEGIN", "END", "REFERENCES", "options_table", "render_reference", "stale_references"]

REFERENCES = Path(__file__).resolve().parent.parent / "references"
BEGIN = "<!-- BEGIN GENERATED OPTIONS (uv run python -m tools._mcp_reference) -->"
END = "<!-- END GENERATED OPTIONS -->"


def _type(prop: dict[str, Any]) -> str:
    if "anyOf" in prop:
        return " or ".join(_type(arm) for arm in prop["anyOf"])
    if "enum" in prop:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if prop.get("type") == "array":
        return f"list of ({_type(prop.get('items', {}))})"
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    return str(prop.get("type", "any"))


def _bounds(prop: dict[str, Any]) -> str:
    marks = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    parts = [f"{sign} {prop[key]}" for key, sign in marks.items() if key in prop]
    if "minItems" in prop:
        parts.append(f"at least {prop['minItems']} item(s)")
    if "maxItems" in prop:
        parts.append(f"at most {prop['maxItems']} item(s)")
    if "maxLength" in prop:
        parts.append(f"at most {prop['maxLength']} characters")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def options_table(g: Generator) -> str:
    """A Markdown table of the generator's options, from its tool's input schema."""
    schema = input_schema(g.spec)
    flags = spec_flags(g.spec)
    rows = [
        "| option (MCP argument / spec key) | CLI flag | type | default | limits | what it does |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, prop in schema["properties"].items():
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else "required"
        flag = f"`{flags[name]}`" if name in flags else "(`--spec` file only)"
        cells = [f"`{name}`", flag, _type(prop), default, _bounds(prop), prop.get("description", "")]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _generated(g: Generator) -> str:
    return f"{BEGIN}\n{options_table(g)}{END}"


def render_reference(g: Generator, current: str | None) -> str:
    """The reference file's text with its generated part brought up to date (a stub when there is no file)."""
    if current is None or BEGIN not in current or END not in current:
        return (
            f"# `{g.tool_name}`: {g.title}\n\n{g.description}\n\n"
            f"MCP tool `{g.tool_name}`; CLI `dapr-coder generate {g.name}`. Options without a default are required.\n\n"
            f"{_generated(g)}\n"
        )
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{_generated(g)}{tail}"


def _path(g: Generator) -> Path:
    return REFERENCES / f"{g.name}.md"


def stale_references() -> list[Path]:
    """Reference files that are missing or whose generated table differs from the spec model."""
    stale = []
    for g in REGISTRY.values():
        path = _path(g)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != render_reference(g, current):
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools._mcp_reference", description="Rewrite references/*.md tables."
    )
    parser.add_argument("--check", action="store_true", help="report stale files instead of rewriting them")
    args = parser.parse_args(argv)
    stale = stale_references()
    if args.check:
        for path in stale:
            print(f"out of date: {path} (run: uv run python -m tools._mcp_reference)", file=sys.stderr)
        return 1 if stale else 0
    for g in REGISTRY.values():
        path = _path(g)
        if path in stale:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_reference(g, current), encoding="utf-8")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
