"""Import statements decided in Python and written the way ruff's isort writes them, so a generated module needs
no import fix-up and its templates only print the lines they are given."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Import", "Imports", "import_lines", "name_order", "natural", "natural_compare", "sections"]


@dataclass(frozen=True, order=True)
class Import:
    """`import module` (name None) or `from module import name`."""

    module: str
    name: str | None = None
    third_party: bool = False


def _digits_left(a: str, i: int, b: str, j: int) -> tuple[int, int, int]:
    """Digit runs compared digit by digit, as fractions (a run with a leading zero): (order, next i, next j)."""
    while True:
        da, db = i < len(a) and a[i].isdigit(), j < len(b) and b[j].isdigit()
        if not da and not db:
            return 0, i, j
        if not da or not db:
            return (-1 if not da else 1), i, j
        if a[i] != b[j]:
            return (-1 if a[i] < b[j] else 1), i, j
        i, j = i + 1, j + 1


def _digits_right(a: str, i: int, b: str, j: int) -> tuple[int, int, int]:
    """Digit runs compared as whole numbers: the longer run is larger, else the first differing digit."""
    bias = 0
    while True:
        da, db = i < len(a) and a[i].isdigit(), j < len(b) and b[j].isdigit()
        if not da and not db:
            return bias, i, j
        if not da or not db:
            return (-1 if not da else 1), i, j
        if bias == 0 and a[i] != b[j]:
            bias = -1 if a[i] < b[j] else 1
        i, j = i + 1, j + 1


def natural_compare(a: str, b: str) -> int:
    """Case-insensitive natural order as ruff's isort applies it (the `natord` crate, after strnatcmp): `Item2`
    before `Item10`, and a digit run with a leading zero compared as a fraction (`a0a` before `a00`)."""
    a, b = a.lower(), b.lower()
    i = j = 0
    while True:
        if i >= len(a) or j >= len(b):
            return (i < len(a)) - (j < len(b))
        if a[i].isdigit() and b[j].isdigit():
            compare = _digits_left if "0" in (a[i], b[j]) else _digits_right
            order, i, j = compare(a, i, b, j)
            if order:
                return order
            continue
        if a[i] != b[j]:
            return -1 if a[i] < b[j] else 1
        i, j = i + 1, j + 1


natural = functools.cmp_to_key(natural_compare)


def name_order(name: str) -> tuple[int, Any, str]:
    """ruff's isort defaults (order-by-type, case-insensitive, natural): CONSTANTS, then Classes, then everything
    else. A single capital letter is a class, as ruff counts it."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, natural(name), name)


def import_lines(imports: Iterable[Import]) -> tuple[str, ...]:
    """One section's import statements: `import x` lines, then `from` lines, each sorted as ruff sorts them."""
    imports = list(imports)
    plain = sorted({i.module for i in imports if i.name is None}, key=lambda m: (natural(m), m))
    names: dict[str, set[str]] = {}
    for i in imports:
        if i.name is not None:
            names.setdefault(i.module, set()).add(i.name)
    froms = [
        f"from {m} import {', '.join(sorted(names[m], key=name_order))}"
        for m in sorted(names, key=lambda m: (natural(m), m))
    ]
    return (*(f"import {m}" for m in plain), *froms)


@dataclass(frozen=True)
class Imports:
    """A module's three import sections (standard library, third party, this package), as ruff's isort writes
    them; a template prints each section and a blank line between those that are not empty."""

    std: tuple[str, ...]
    lib: tuple[str, ...]
    local: tuple[str, ...]


def sections(std: Iterable[Import], lib: Iterable[Import], local: Iterable[Import]) -> Imports:
    """The sections of a module importing `std`, `lib` and `local`."""
    return Imports(import_lines(std), import_lines(lib), import_lines(local))
