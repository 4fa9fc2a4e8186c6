"""The project's sources are self-contained: every Dapr contract citation resolves in references/dapr-contract.md.

Code, tests and docs cite the contract as "§N" / "§N.M" (a heading `## §N ...` or `### §N.M ...`) and "pitfall N"
(an item `**Pitfall N.** ...` in §16). Every `references/<file>.md` they mention must exist, and nothing may point
at the design folder the contract notes were first written from.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "references" / "dapr-contract.md"

# Where citations are checked: the engine, the front doors, the tests, the benchmark, the templates and the shipped
# docs. The golden files are generated output.
CITING_DIRS = ("skill/", "tools/", "tests/", "bench/", "snippets/", "references/")
EXCLUDED_DIRS = ("tests/golden/",)
TEXT_SUFFIXES = (".py", ".md", ".jinja")

# Built, so that this file does not mention them itself.
FORBIDDEN = ("shared" + "/" + "reference", "dapr-http-api" + ".md")

SECTION = re.compile(r"§(\d+(?:\.\d+)?)(?:[-\u2013](\d+(?:\.\d+)?)\b)?")
PITFALLS = re.compile(r"\b[Pp]itfalls?\s+(\d+(?:(?:\s*,\s*|\s*,?\s+and\s+|\s*/\s*)\d+)*)")
SECTION_HEADING = re.compile(r"^#{2,6} §(\d+(?:\.\d+)?) \S", re.MULTILINE)
PITFALL_ITEM = re.compile(r"^\*\*Pitfall (\d+)\.\*\* \S", re.MULTILINE)
REFERENCE_FILE = re.compile(r"\breferences/([A-Za-z0-9_.-]+\.md)\b")


@cache
def _repo_files() -> tuple[str, ...]:
    """Tracked files plus new, not ignored ones (so a file about to be committed is checked too)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    names = (name for name in listed.decode().split("\0") if name)
    return tuple(sorted(name for name in names if (ROOT / name).is_file()))


def _text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8", errors="replace")


def _citing_files() -> list[str]:
    return [
        name
        for name in _repo_files()
        if name.endswith(TEXT_SUFFIXES) and name.startswith(CITING_DIRS) and not name.startswith(EXCLUDED_DIRS)
    ]


def _contract() -> tuple[list[str], list[int]]:
    text = CONTRACT.read_text(encoding="utf-8")
    return SECTION_HEADING.findall(text), [int(n) for n in PITFALL_ITEM.findall(text)]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def test_the_contract_has_every_top_level_section_once() -> None:
    sections, _ = _contract()
    assert len(sections) == len(set(sections)), "a section heading appears twice"
    assert [s for s in sections if "." not in s] == [str(n) for n in range(19)]


def test_the_pitfalls_are_numbered_one_to_n_in_order() -> None:
    _, pitfalls = _contract()
    assert pitfalls == list(range(1, len(pitfalls) + 1))
    assert len(pitfalls) >= 24


def test_every_section_and_pitfall_cited_exists() -> None:
    sections, pitfalls = _contract()
    known_sections, known_pitfalls = set(sections), set(pitfalls)
    missing: list[str] = []
    for name in _citing_files():
        text = _text(name)
        for match in SECTION.finditer(text):
            for cited in filter(None, match.groups()):
                if cited not in known_sections:
                    missing.append(f"{name}:{_line(text, match.start())}: §{cited}")
        for match in PITFALLS.finditer(text):
            for cited in re.findall(r"\d+", match.group(1)):
                if int(cited) not in known_pitfalls:
                    missing.append(f"{name}:{_line(text, match.start())}: pitfall {cited}")
    assert not missing, "cited but not in references/dapr-contract.md:\n" + "\n".join(missing)


def test_every_reference_file_mentioned_exists() -> None:
    missing = [
        f"{name}:{_line(text, match.start())}: references/{match.group(1)}"
        for name in _repo_files()
        if name.endswith(TEXT_SUFFIXES)
        for text in [_text(name)]
        for match in REFERENCE_FILE.finditer(text)
        if not (ROOT / "references" / match.group(1)).is_file()
    ]
    assert not missing, "mentioned but missing:\n" + "\n".join(missing)


def test_nothing_points_at_the_design_folder() -> None:
    offending = [
        f"{name}: {word}" for name in _repo_files() for text in [_text(name)] for word in FORBIDDEN if word in text
    ]
    assert not offending, "cites the design folder, not references/:\n" + "\n".join(offending)
