"""Answer sizes of every generator tool, written (`output_dir`) and inline, against their budgets.

Sizes are deterministic, so the tests hold them to the budgets (tests/doors/test_mcp_write.py); this prints them
for each generator's defaults and examples, through the SDK's in-memory MCP client, so a change that grows an
answer shows how close it comes: the text an agent reads and the structured content beside it, in characters.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bench.generation import _rooted_client
from skill import REGISTRY
from tools._answer import INLINE_BUDGET, written_budget


@dataclass(frozen=True)
class Size:
    generator: str
    case: str
    mode: str  # "written" or "inline"
    text: int
    structured: int
    budget: int

    @property
    def fits(self) -> bool:
        return self.text <= self.budget and self.structured <= self.budget


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def measure() -> list[Size]:
    sizes: list[Size] = []
    with tempfile.TemporaryDirectory(prefix="answer-sizes-") as tmp:
        root = Path(tmp)
        async with _rooted_client(root) as client:
            for g in REGISTRY.values():
                for case, spec in [("defaults", {}), *g.examples.items()]:
                    folder = root / g.name / case
                    written = await client.call_tool(g.tool_name, {**spec, "output_dir": str(folder)})
                    inline = await client.call_tool(g.tool_name, dict(spec))
                    for mode, result, budget in (
                        ("written", written, written_budget(g.name)),
                        ("inline", inline, INLINE_BUDGET),
                    ):
                        structured = len(json.dumps(result.structured_content, separators=(",", ":")))
                        sizes.append(Size(g.name, case, mode, len(_text(result)), structured, budget))
    return sizes


def _wire(value: Any) -> int:
    return len(json.dumps(value.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")))


async def connecting() -> dict[str, int]:
    """What connecting costs an agent: the server's instructions and the four lists, as sent."""
    from skill import REGISTRY
    from tools.mcp_server import _instructions

    with tempfile.TemporaryDirectory(prefix="answer-sizes-") as tmp:
        async with _rooted_client(Path(tmp)) as client:
            return {
                "instructions": len(_instructions(REGISTRY)),
                "tools/list": _wire(await client.list_tools()),
                "resources/list": _wire(await client.list_resources()),
                "resources/templates/list": _wire(await client.list_resource_templates()),
                "prompts/list": _wire(await client.list_prompts()),
            }


def run_answer_sizes(say: TextIO) -> int:
    connect = asyncio.run(connecting())
    print("Connecting (characters, as sent)", file=say)
    for what, size in connect.items():
        print(f"  {what:<44} {size:>7,}", file=say)
    print(f"  {'in all':<44} {sum(connect.values()):>7,}", file=say)
    sizes = asyncio.run(measure())
    print("MCP answer sizes (characters: text / structured content, against the budget)", file=say)
    for s in sizes:
        verdict = "fits" if s.fits else "OVER"
        label = f"{s.generator} {s.case} ({s.mode})"
        print(f"  {label:<44} {s.text:>7,} / {s.structured:>7,}  budget {s.budget:>6,}  {verdict}", file=say)
    return 0 if all(s.fits for s in sizes) else 1


def main(argv: list[str] | None = None) -> int:
    return run_answer_sizes(sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
