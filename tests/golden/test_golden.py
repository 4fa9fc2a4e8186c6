"""Each golden case renders byte for byte what is committed (regenerate with `python -m tests.golden.regen`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill import generate
from tests.golden.cases import CASES

HERE = Path(__file__).resolve().parent
REGEN = "run `uv run python -m tests.golden.regen` and review the diff"


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden(name: str) -> None:
    generator, spec = CASES[name]
    folder = HERE / name
    assert folder.is_dir(), f"golden case {name} has no folder tests/golden/{name}; {REGEN}"
    expected = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()
    }
    actual = {f.path: f.content for f in generate(generator, spec).files}
    assert sorted(actual) == sorted(expected), f"{name}: the files differ; {REGEN}"
    for path, text in actual.items():
        assert text == expected[path], f"{name}/{path} changed; {REGEN}"


def test_every_golden_folder_is_a_case() -> None:
    folders = {p.name for p in HERE.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders <= set(CASES), f"folders without a case: {sorted(folders - set(CASES))}; {REGEN}"
