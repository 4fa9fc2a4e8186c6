"""Import lines decided in Python must be what ruff's isort writes: checked against ruff itself."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill._ruff import ruff_argv
from skill.imports import Import, import_lines

_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,3}[0-9]{0,2}", fullmatch=True)


def _ruff_sorted(source: str, third_party: Sequence[str] = ()) -> str:
    """`source` as ruff's isort writes it, `third_party` modules classed as third party (one section)."""
    known = f"lint.isort.known-third-party = {json.dumps(sorted(third_party))}"
    done = subprocess.run(
        ruff_argv("check", "--select", "I", "--fix", "--config", known, "--stdin-filename", "m.py", "-"),
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
    # import_lines writes one section; a drawn name ruff knows as standard library (`uu`, `xx`) would be split off
    # into a section of its own, so every drawn module is declared third party, as the section says.
    assert _ruff_sorted(source, third_party=[m.lower() for m in modules] + ["pkg"]) == source


def test_a_standard_library_name_is_still_one_section() -> None:
    # The draws that made the property test flaky: `uu` is in ruff's standard library list, `xx` too.
    source = "\n".join(import_lines([Import("xx"), Import("uu"), Import("aa"), Import("pkg.uu", "X")])) + "\n"
    assert _ruff_sorted(source, third_party=["xx", "uu", "aa", "pkg"]) == source
