"""Import lines decided in Python must be what ruff's isort writes: checked against ruff itself."""

from __future__ import annotations

import subprocess

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill._ruff import ruff_argv
from skill.imports import Import, import_lines

_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,3}[0-9]{0,2}", fullmatch=True)


def _ruff_sorted(source: str) -> str:
    done = subprocess.run(
        ruff_argv("check", "--select", "I", "--fix", "--stdin-filename", "m.py", "-"),
        input=source, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout


def test_names_with_numbers_sort_naturally() -> None:
    lines = import_lines([Import("m", n) for n in ("Item10", "Item2", "ITEM_10", "ITEM_9", "item1a", "Item1")])
    assert lines == ("from m import ITEM_9, ITEM_10, Item1, Item2, Item10, item1a",)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(_NAMES, min_size=1, max_size=5, unique=True), modules=st.lists(_NAMES, min_size=1, max_size=4))
def test_import_lines_are_what_ruff_writes(names: list[str], modules: list[str]) -> None:
    imports = [Import(f"pkg.{m.lower()}", n) for m in modules for n in names] + [Import(m.lower()) for m in modules]
    source = "\n".join(import_lines(imports)) + "\n"
    assert _ruff_sorted(source) == source
