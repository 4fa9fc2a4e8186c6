"""A line-based three-way merge with diff3 semantics (what `git merge-file --diff3` does), pure and in memory.

Regions where both sides still hold the base's lines anchor the merge; between two anchors a side that left the
base alone takes the other side's change, identical changes are taken once, and different changes become one
conflict block showing both sides and the base:

    <<<<<<< yours
    (your lines)
    ||||||| generated before
    (the base's lines)
    =======
    (their lines)
    >>>>>>> generated now

Lines are split on "\\n" only and compared with their endings, so CRLF text passes through untouched and a last
line without a newline stays without one (inside a conflict block a newline is added before the next marker, as
git does).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = ["Merge", "merge3", "split_lines", "unresolved_conflicts"]


@dataclass(frozen=True)
class Merge:
    """The merged text and how many conflict blocks it holds (0: a clean merge)."""

    text: str
    conflicts: int

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


def split_lines(text: str) -> list[str]:
    """The lines of `text`, each with its "\\n" (a last line without one stays without). Unlike str.splitlines,
    only "\\n" ends a line: a form feed or a lone "\\r" inside a line is content."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


# (base start, base end, ours start, ours end, theirs start, theirs end): lines all three hold, in order.
_Sync = tuple[int, int, int, int, int, int]


def _matches(base: Sequence[str], other: Sequence[str]) -> list[tuple[int, int, int]]:
    # autojunk off: a line repeated often (a blank line, a closing bracket) must still anchor the diff.
    blocks = SequenceMatcher(None, base, other, autojunk=False).get_matching_blocks()
    return [(m.a, m.b, m.size) for m in blocks]


def _sync_regions(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[_Sync]:
    """Where a stretch of the base matches both sides: the intersections of the two diffs' matching blocks, walked
    in base order; ends with an empty region at the three ends."""
    a_blocks, b_blocks = _matches(base, ours), _matches(base, theirs)
    ia = ib = 0
    regions: list[_Sync] = []
    while ia < len(a_blocks) and ib < len(b_blocks):
        a_base, a_at, a_len = a_blocks[ia]
        b_base, b_at, b_len = b_blocks[ib]
        start, end = max(a_base, b_base), min(a_base + a_len, b_base + b_len)
        if start < end:
            a_start, b_start = a_at + start - a_base, b_at + start - b_base
            regions.append((start, end, a_start, a_start + end - start, b_start, b_start + end - start))
        # Step past whichever block ends first in the base; the other may still overlap the next one.
        if a_base + a_len < b_base + b_len:
            ia += 1
        else:
            ib += 1
    regions.append((len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)))
    return regions


# A merged stretch: ("lines", lines) taken as they are, or ("conflict", ours, base, theirs).
_Chunk = tuple[str, Sequence[str], Sequence[str], Sequence[str]]


def _chunks(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> Iterator[_Chunk]:
    iz = ia = ib = 0
    for z_start, z_end, a_start, a_end, b_start, b_end in _sync_regions(base, ours, theirs):
        mine, theirs_now, before = ours[ia:a_start], theirs[ib:b_start], base[iz:z_start]
        if mine or theirs_now:
            if mine == theirs_now:  # the same change on both sides: taken once
                yield ("lines", mine, (), ())
            elif mine == before:  # only they changed this stretch
                yield ("lines", theirs_now, (), ())
            elif theirs_now == before:  # only you did
                yield ("lines", mine, (), ())
            else:
                yield ("conflict", mine, before, theirs_now)
        # Both sides deleting the same base lines leaves `mine` and `theirs_now` empty: nothing to write.
        yield ("lines", base[z_start:z_end], (), ())
        iz, ia, ib = z_end, a_end, b_end


def _newline(*texts: str) -> str:
    """The line ending conflict markers get: the first one found in the texts, so CRLF files get CRLF markers."""
    for text in texts:
        at = text.find("\n")
        if at >= 0:
            return "\r\n" if at > 0 and text[at - 1] == "\r" else "\n"
    return "\n"


def merge3(
    base: str,
    ours: str,
    theirs: str,
    *,
    ours_label: str = "yours",
    base_label: str = "generated before",
    theirs_label: str = "generated now",
) -> Merge:
    """Merge the changes `ours` and `theirs` each made to `base`. Changes to separate lines merge cleanly; changes
    that overlap and differ give a conflict block (see the module docstring) and are counted."""
    newline = _newline(ours, theirs, base)
    out: list[str] = []
    conflicts = 0

    def block(marker: str, lines: Sequence[str]) -> None:
        out.append(marker + newline)
        out.extend(lines)
        if lines and not lines[-1].endswith("\n"):  # a last line without a newline: the next marker needs its own line
            out.append(newline)

    for kind, first, before, last in _chunks(split_lines(base), split_lines(ours), split_lines(theirs)):
        if kind == "lines":
            out.extend(first)
            continue
        conflicts += 1
        block(f"<<<<<<< {ours_label}", first)
        block(f"||||||| {base_label}", before)
        block("=======", last)
        out.append(f">>>>>>> {theirs_label}{newline}")
    return Merge("".join(out), conflicts)


def unresolved_conflicts(text: str, *, ours_label: str = "yours", theirs_label: str = "generated now") -> int:
    """How many conflict blocks `merge3` wrote are still in `text`: a start marker line with its end marker line
    after it. Resolving a block means removing its markers, so a block still there is still the user's to do."""
    start, end = f"<<<<<<< {ours_label}", f">>>>>>> {theirs_label}"
    blocks, open_block = 0, False
    for line in text.split("\n"):
        marker = line.removesuffix("\r")
        if marker == start:
            open_block = True
        elif marker == end and open_block:
            blocks += 1
            open_block = False
    return blocks
