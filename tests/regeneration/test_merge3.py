"""skill/merge3.py: diff3 semantics, edge cases (no final newline, empty base, CRLF) and properties."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill import Merge, merge3
from skill.merge3 import split_lines

BASE = "".join(f"line {i}\n" for i in range(10))


def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_changes_in_separate_places_merge_cleanly() -> None:
    ours = _replace(BASE, "line 1\n", "line one\n")
    theirs = _replace(BASE, "line 8\n", "line eight\n")
    assert merge3(BASE, ours, theirs) == Merge(_replace(ours, "line 8\n", "line eight\n"), 0)


def test_insertions_and_deletions_on_either_side_merge() -> None:
    ours = _replace(BASE, "line 2\n", "line 2\nmine\n")
    theirs = _replace(BASE, "line 7\n", "")
    merged = merge3(BASE, ours, theirs)
    assert merged.clean
    assert merged.text == _replace(ours, "line 7\n", "")


def test_the_same_change_on_both_sides_is_taken_once() -> None:
    both = _replace(BASE, "line 4\n", "line four\nand more\n")
    assert merge3(BASE, both, both) == Merge(both, 0)
    ours = _replace(both, "line 0\n", "line zero\n")  # plus a change of its own
    assert merge3(BASE, ours, both) == Merge(ours, 0)


def test_overlapping_different_changes_give_one_diff3_block() -> None:
    ours = _replace(BASE, "line 5\n", "mine\n")
    theirs = _replace(BASE, "line 5\n", "theirs\n")
    merged = merge3(BASE, ours, theirs)
    assert merged.conflicts == 1
    block = "<<<<<<< yours\nmine\n||||||| generated before\nline 5\n=======\ntheirs\n>>>>>>> generated now\n"
    assert merged.text == _replace(BASE, "line 5\n", block)


def test_labels_are_the_callers() -> None:
    merged = merge3("a\n", "b\n", "c\n", ours_label="o", base_label="b", theirs_label="t")
    assert merged.text == "<<<<<<< o\nb\n||||||| b\na\n=======\nc\n>>>>>>> t\n"


def test_each_overlap_is_counted() -> None:
    ours = _replace(_replace(BASE, "line 1\n", "o1\n"), "line 8\n", "o8\n")
    theirs = _replace(_replace(BASE, "line 1\n", "t1\n"), "line 8\n", "t8\n")
    merged = merge3(BASE, ours, theirs)
    assert merged.conflicts == 2
    assert merged.text.count("<<<<<<< yours\n") == 2
    assert "line 4\n" in merged.text


def test_a_deletion_against_a_change_conflicts() -> None:
    merged = merge3(BASE, _replace(BASE, "line 3\n", ""), _replace(BASE, "line 3\n", "changed\n"))
    assert merged.conflicts == 1
    assert "<<<<<<< yours\n||||||| generated before\nline 3\n=======\nchanged\n>>>>>>> generated now\n" in merged.text


def test_both_deleting_the_same_lines_is_clean() -> None:
    gone = _replace(BASE, "line 3\nline 4\n", "")
    assert merge3(BASE, gone, gone) == Merge(gone, 0)


def test_a_last_line_without_a_newline_stays_without() -> None:
    base = "a\nb\nc"
    assert merge3(base, "A\nb\nc", "a\nb\nC") == Merge("A\nb\nC", 0)
    assert merge3(base, base, "a\nb\nc\n").text == "a\nb\nc\n"  # adding the newline is a change like any other


def test_a_conflict_on_a_last_line_without_a_newline_keeps_markers_on_their_own_lines() -> None:
    merged = merge3("a\nb", "a\nmine", "a\ntheirs")
    block = "<<<<<<< yours\nmine\n||||||| generated before\nb\n=======\ntheirs\n>>>>>>> generated now\n"
    assert merged.text == "a\n" + block


def test_an_empty_base_takes_one_side_or_conflicts_over_all() -> None:
    assert merge3("", "", "new\n") == Merge("new\n", 0)
    assert merge3("", "mine\n", "") == Merge("mine\n", 0)
    assert merge3("", "same\n", "same\n") == Merge("same\n", 0)
    merged = merge3("", "mine\n", "new\n")
    assert merged == Merge("<<<<<<< yours\nmine\n||||||| generated before\n=======\nnew\n>>>>>>> generated now\n", 1)


def test_crlf_lines_pass_through_and_markers_follow_them() -> None:
    base = "a\r\nb\r\nc\r\nd\r\n"
    clean = merge3(base, "A\r\nb\r\nc\r\nd\r\n", "a\r\nb\r\nc\r\nD\r\n")
    assert clean == Merge("A\r\nb\r\nc\r\nD\r\n", 0)
    merged = merge3(base, "a\r\nB1\r\nc\r\nd\r\n", "a\r\nB2\r\nc\r\nd\r\n")
    assert merged.conflicts == 1
    assert "\r\n=======\r\n" in merged.text
    assert "\n" not in merged.text.replace("\r\n", "")


def test_only_newline_ends_a_line() -> None:
    assert split_lines("a\fb\rc\nd") == ["a\fb\rc\n", "d"]
    assert split_lines("") == []
    assert split_lines("\n\n") == ["\n", "\n"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (_replace(BASE, "line 1\n", "x\n"), _replace(BASE, "line 8\n", "y\n")),
        (_replace(BASE, "line 4\n", "x\n"), _replace(BASE, "line 4\n", "y\n")),
        (_replace(BASE, "line 4\n", "x\ny\n"), _replace(BASE, "line 4\n", "x\ny\n")),
        (_replace(BASE, "line 0\n", ""), _replace(BASE, "line 9\n", "line 9\nz\n")),
    ],
)
def test_agrees_with_git_merge_file(tmp_path: Path, ours: str, theirs: str) -> None:
    for name, text in (("ours", ours), ("base", BASE), ("theirs", theirs)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    labels = ["-L", "yours", "-L", "generated before", "-L", "generated now"]
    git = shutil.which("git")
    assert git is not None
    done = subprocess.run(
        [git, "merge-file", "-p", "--diff3", *labels, "ours", "base", "theirs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert merge3(BASE, ours, theirs) == Merge(done.stdout, done.returncode)


# Lines from a small alphabet, so texts share lines and the matcher has choices to make.
_lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n", "d", "e\r\n"]), max_size=12)
_texts = _lines.map("".join)


@given(base=_texts, theirs=_texts)
def test_an_unchanged_side_takes_the_other(base: str, theirs: str) -> None:
    assert merge3(base, base, theirs) == Merge(theirs, 0)
    assert merge3(base, theirs, base) == Merge(theirs, 0)


@given(base=_texts, both=_texts)
def test_the_same_text_on_both_sides_is_that_text(base: str, both: str) -> None:
    assert merge3(base, both, both) == Merge(both, 0)


@st.composite
def _apart(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """A base of distinct lines; ours edits a stretch near the start and theirs one near the end, with at least two
    untouched lines between them; and the text with both edits applied."""
    size = draw(st.integers(6, 30))
    base = [f"line {i}\n" for i in range(size)]
    a_start = draw(st.integers(0, size - 5))
    a_end = draw(st.integers(a_start, min(a_start + 3, size - 4)))
    b_start = draw(st.integers(a_end + 2, size - 1))
    b_end = draw(st.integers(b_start, size))
    mine = draw(st.lists(st.sampled_from(["mine\n", "also mine\n", "\n"]), max_size=3))
    new = draw(st.lists(st.sampled_from(["new\n", "newer\n", "\n"]), max_size=3))
    if mine == base[a_start:a_end]:
        mine = ["mine\n"]
    ours = base[:a_start] + mine + base[a_end:]
    theirs = base[:b_start] + new + base[b_end:]
    both = base[:a_start] + mine + base[a_end:b_start] + new + base[b_end:]
    return "".join(base), "".join(ours), "".join(theirs), "".join(both)


@settings(max_examples=300)
@given(case=_apart())
def test_edits_apart_merge_cleanly_in_either_order(case: tuple[str, str, str, str]) -> None:
    base, ours, theirs, both = case
    assert merge3(base, ours, theirs) == Merge(both, 0)
    assert merge3(base, theirs, ours) == Merge(both, 0)


@given(base=_texts, ours=_texts, theirs=_texts)
def test_conflicts_counts_the_blocks_and_each_block_is_whole(base: str, ours: str, theirs: str) -> None:
    merged = merge3(base, ours, theirs)
    lines = split_lines(merged.text)
    markers = [line.rstrip("\r\n") for line in lines if line.rstrip("\r\n") in _MARKERS]
    assert markers == _ORDER * merged.conflicts


_ORDER = ["<<<<<<< yours", "||||||| generated before", "=======", ">>>>>>> generated now"]
_MARKERS = set(_ORDER)
