"""The snippet index: every `snippets/<kind>/<file>.jinja` that starts with a header comment.

The header is a Jinja comment, so the file stays a plain template that a person can read as it is::

    {#- snippet
    title: Async Dapr sidecar client
    summary: One line on what it renders.
    requires: httpx>=0.28,<1 pydantic>=2.7,<3
    -#}

The id and kind come from the path: `snippets/<kind>/<name>.<ext>.jinja` is `<kind>/<name>`, rendered by the
generator `<kind>`. `requires` (PEP 508 requirements separated by spaces) is for the person browsing; tests prove
the headers agree with what the generators report. Files and folders whose names start with `_` hold shared
macros and are not snippets.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from skill.errors import SnippetError

__all__ = ["SNIPPETS_ROOT", "Snippet", "all_snippets", "get_snippet", "index", "snippets_root"]


def _find_root() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "snippets", here.parent / "snippets"):  # installed wheel, then source tree
        if candidate.is_dir():
            return candidate
    raise SnippetError(f"no snippets folder next to {here}: the installation is incomplete")


SNIPPETS_ROOT = _find_root()


def snippets_root() -> Path:
    """The snippets folder in use, read at call time (a test may point it at a tree of its own)."""
    return SNIPPETS_ROOT


_HEADER = re.compile(r"\A\{#-?\s*snippet\s*\n(?P<body>.*?)\n\s*-?#\}\n?", re.DOTALL)
_REQUIRED_KEYS = ("title", "summary")
_KNOWN_KEYS = frozenset({*_REQUIRED_KEYS, "requires"})


@dataclass(frozen=True)
class Snippet:
    """One browsable snippet: its header, where it lives, and its source."""

    id: str
    title: str
    kind: str
    summary: str
    requires: tuple[str, ...]
    template: str  # path relative to `root`, '/'-separated: the Jinja loader's name for it
    root: Path

    @property
    def source(self) -> str:
        return (self.root / self.template).read_text(encoding="utf-8")


def _parse(path: Path, root: Path) -> Snippet | None:
    text = path.read_text(encoding="utf-8")
    match = _HEADER.match(text)
    if match is None:
        return None
    fields: dict[str, str] = {}
    for line in match["body"].splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise SnippetError(f"{path}: header line {line!r} is not 'key: value'")
        fields[key.strip()] = value.strip()
    missing = [k for k in _REQUIRED_KEYS if not fields.get(k)]
    if missing:
        raise SnippetError(f"{path}: header lacks {', '.join(missing)}")
    unknown = sorted(set(fields) - _KNOWN_KEYS)
    if unknown:
        raise SnippetError(f"{path}: header has unknown keys {', '.join(unknown)} (id and kind come from the path)")
    template = path.relative_to(root).as_posix()
    kind, sep, name = template.partition("/")
    if not sep or "/" in name:
        raise SnippetError(f"{path}: a snippet lives directly in snippets/<kind>/")
    snippet_id = f"{kind}/{name.removesuffix('.jinja').split('.', 1)[0]}"
    requires = tuple(fields.get("requires", "").split())
    return Snippet(snippet_id, fields["title"], kind, fields["summary"], requires, template, root)


def index(root: Path | None = None) -> dict[str, Snippet]:
    """Every snippet under `root` (the snippets folder in use by default), keyed and sorted by id."""
    return _index(root or snippets_root())


@functools.cache
def _index(root: Path) -> dict[str, Snippet]:
    found: dict[str, Snippet] = {}
    for path in sorted(root.rglob("*.jinja")):
        if any(part.startswith("_") for part in path.relative_to(root).parts):
            continue
        snippet = _parse(path, root)
        if snippet is None:
            continue
        if snippet.id in found:
            raise SnippetError(f"snippet id {snippet.id!r} is used by two files")
        found[snippet.id] = snippet
    return dict(sorted(found.items()))


def all_snippets(kind: str | None = None) -> list[Snippet]:
    """Every snippet, sorted by id; only those of `kind` when given."""
    return [s for s in index().values() if kind is None or s.kind == kind]


def get_snippet(snippet_id: str, root: Path | None = None) -> Snippet:
    """The snippet a plan names, or a SnippetError that lists the known ids (a plan naming no snippet is our bug;
    ids from callers are checked by `browse.show_snippet`)."""
    try:
        return index(root)[snippet_id]
    except KeyError:
        known = ", ".join(index(root)) or "none"
        raise SnippetError(f"unknown snippet {snippet_id!r}; known snippets: {known}") from None
