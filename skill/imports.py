"""Import statements decided in Python and written the way ruff's isort writes them, so a generated module needs
no import fix-up and its templates only print the lines they are given."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Import", "Imports", "import_lines", "name_order", "sections"]


@dataclass(frozen=True, order=True)
class Import:
    """`import module` (name None) or `from module import name`."""

    module: str
    name: str | None = None
    third_party: bool = False


def name_order(name: str) -> tuple[int, str, str]:
    """ruff's isort defaults (order-by-type, case-insensitive): CONSTANTS, then Classes, then everything else.
    A single capital letter is a class, as ruff counts it."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def import_lines(imports: Iterable[Import]) -> tuple[str, ...]:
    """One section's import statements: `import x` lines, then `from` lines, each sorted as ruff sorts them."""
    imports = list(imports)
    plain = sorted({i.module for i in imports if i.name is None})
    names: dict[str, set[str]] = {}
    for i in imports:
        if i.name is not None:
            names.setdefault(i.module, set()).add(i.name)
    froms = [f"from {m} import {', '.join(sorted(names[m], key=name_order))}" for m in sorted(names)]
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
