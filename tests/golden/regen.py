"""Rewrite every golden folder from the current snippets: `uv run python -m tests.golden.regen`.

Review the result as a diff (`git diff tests/golden`) before committing it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from skill import generate
from tests.golden.cases import CASES

HERE = Path(__file__).resolve().parent


def main() -> None:
    for name, (generator, spec) in CASES.items():
        folder = HERE / name
        shutil.rmtree(folder, ignore_errors=True)
        for f in generate(generator, spec).files:
            path = folder / f.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f.content, encoding="utf-8", newline="\n")
        print(f"wrote {folder.relative_to(HERE.parents[1])}")


if __name__ == "__main__":
    main()
