"""Which module (file) names generated code must not take, computed rather than listed.

A generated `<module>.py` sits on the app's import path, so it shadows any importable name it equals: a module
called `httpcore` passes every check, then breaks httpx at its first request. The refused names are the standard
library, every top-level import name of the output's requirements and of everything they require (read from the
installed distributions), and names that Python tools treat specially.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
import re
import sys
from collections.abc import Iterable, Mapping

__all__ = ["import_names_of", "module_name_problem"]

# pytest collects test_*.py and *_test.py and loads conftest.py; setuptools runs setup.py; __init__/__main__
# are package files. `dapr` is the official Dapr SDK's package, which apps using generated code often import too.
_TOOL_NAMES = frozenset({"setup", "conftest", "__init__", "__main__", "dapr"})
_TEST_FILE = re.compile(r"test_.*|.*_test")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _imports_by_distribution() -> Mapping[str, frozenset[str]]:
    """Top-level import names of each installed distribution (normalized name), read once per process."""
    found: dict[str, set[str]] = {}
    for module, dists in md.packages_distributions().items():
        for dist in dists:
            found.setdefault(_normalized(dist), set()).add(module)
    return {dist: frozenset(modules) for dist, modules in found.items()}


def _requirement_name(requirement: str) -> str | None:
    """The distribution a PEP 508 line names; None for one that only applies with an extra (not installed by
    default)."""
    head, _, marker = requirement.partition(";")
    if "extra" in marker:
        return None
    match = _NAME.match(head.strip())
    return _normalized(match.group()) if match else None


def _requires(dist: str) -> list[str]:
    try:
        return md.requires(dist) or []
    except md.PackageNotFoundError:
        return []


@functools.cache
def import_names_of(requirements: tuple[str, ...]) -> frozenset[str]:
    """Top-level import names of `requirements` and of their whole installed dependency closure.

    A requirement that is not installed here still contributes its own name (as an import name: `aiohttp`), so
    the answer never depends on whether an optional transport happens to be installed. Markers other than
    extras are not evaluated: refusing a name a platform-specific dependency uses is the safe side.
    """
    by_dist = _imports_by_distribution()
    names: set[str] = set()
    seen: set[str] = set()
    todo = [name for name in map(_requirement_name, requirements) if name]
    names.update(name.replace("-", "_") for name in todo)
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        names |= by_dist.get(dist, frozenset())
        todo.extend(name for name in map(_requirement_name, _requires(dist)) if name and name not in seen)
    return frozenset(name for name in names if name.isidentifier())


def module_name_problem(name: str, requirements: Iterable[str]) -> str | None:
    """Why a generated module may not be called `name` (a sentence for a SpecError), or None when it may."""
    if name in sys.stdlib_module_names:
        return f"must not be the name of a standard-library module ({name!r}): the file would shadow it"
    if name in _TOOL_NAMES or _TEST_FILE.fullmatch(name):
        return (
            f"must not be {name!r}: pytest, setuptools or the Dapr SDK give that name a meaning "
            "(test_*, *_test, conftest, setup, __init__, __main__ and dapr are refused)"
        )
    if name in import_names_of(tuple(sorted(requirements))):
        return (
            f"must not be {name!r}: the generated code or the tools it installs import it, directly or through "
            "their dependencies, and the module would shadow it"
        )
    return None
