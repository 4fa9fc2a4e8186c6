"""Rewrite the golden folders from the current snippets: `uv run python -m tests.golden.regen [prefix ...]`.

With prefixes (e.g. `client`), only the cases whose names start with one of them are rewritten.

Review the result as a diff (`git diff tests/golden`) before committing it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from skill import generate
from tests.golden.cases import CASES

HERE = Path(__file__).resolve().parent


def main(argv: Sequence[str] = ()) -> None:
    chosen = {name: case for name, case in CASES.items() if not argv or name.startswith(tuple(argv))}
    for stale in HERE.iterdir():  # cases that no longer exist
        if stale.is_dir() and not stale.name.startswith(("_", ".")) and stale.name not in CASES:
            shutil.rmtree(stale)
            print(f"removed {stale.relative_to(HERE.parents[1])}")
    for name, (generator, spec) in chosen.items():
        folder = HERE / name
        shutil.rmtree(folder, ignore_errors=True)
        for f in generate(generator, spec).files:
            path = folder / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f.content, encoding="utf-8", newline="\n")
        print(f"wrote {folder.relative_to(HERE.parents[1])}")


if __name__ == "__main__":
    main(sys.argv[1:])
