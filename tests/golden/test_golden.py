"""Each golden case renders byte for byte what is committed (regenerate with `python -m tests.golden.regen`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill import generate
from tests.golden.cases import CASES

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden(name: str) -> None:
    generator, spec = CASES[name]
    folder = HERE / name
    expected = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()
    }
    actual = {f.path: f.content for f in generate(generator, spec).files}
    assert sorted(actual) == sorted(expected), "files differ; run `uv run python -m tests.golden.regen` and review"
    for path, text in actual.items():
        assert text == expected[path], f"{name}/{path} changed; run `uv run python -m tests.golden.regen` and review"
