"""Browsing the snippet catalog: what a person sees with `dapr-coder list/show` and an agent with the
`dapr_list_snippets` / `dapr_show_snippet` tools."""

from __future__ import annotations

import difflib
import functools

from pydantic import BaseModel, ConfigDict, Field

from skill.catalog import Snippet, all_snippets, index
from skill.errors import FieldProblem, SpecError
from skill.pipeline import generate
from skill.registry import get_generator, known_generators
from skill.result import GeneratedFile

__all__ = ["SnippetCatalog", "SnippetDetail", "SnippetInfo", "list_snippets", "show_snippet"]


class SnippetInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    kind: str = Field(description="The generator that renders it.")
    summary: str
    requires: list[str]
    template: str = Field(description="Path of the Jinja file under snippets/.")


class SnippetCatalog(BaseModel):
    model_config = ConfigDict(frozen=True)

    snippets: list[SnippetInfo]


class SnippetDetail(SnippetInfo):
    source: str = Field(description="The raw Jinja template.")
    rendered: list[GeneratedFile] = Field(description="What the snippet renders to with the generator's defaults.")


def _info(s: Snippet) -> SnippetInfo:
    return SnippetInfo(
        id=s.id, title=s.title, kind=s.kind, summary=s.summary, requires=list(s.requires), template=s.template
    )


def list_snippets(kind: str | None = None) -> SnippetCatalog:
    """Every snippet (of one kind, when given), sorted by id."""
    return SnippetCatalog(snippets=[_info(s) for s in all_snippets(kind)])


@functools.cache
def _rendered(kind: str, snippet_id: str) -> tuple[GeneratedFile, ...]:
    """What `kind`'s generator makes from this snippet with its defaults, or else with the first of its examples
    that uses it (a snippet only some options need). Output is deterministic and snippets are loaded once per
    process, so each is rendered (and ruff run) once, not on every browse."""
    g = get_generator(kind)
    for spec in ({}, *g.examples.values()):
        files = tuple(f for f in generate(kind, spec).files if f.snippet == snippet_id)
        if files:
            return files
    return ()


def _unknown_id_rule(snippet_id: str) -> str:
    """Bounded whatever the catalog's size: the closest ids, and where the full list is."""
    close = difflib.get_close_matches(snippet_id, list(index()), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"is not a snippet id (list them with dapr_list_snippets or `dapr-coder list`){hint}"


def show_snippet(snippet_id: str) -> SnippetDetail:
    """One snippet's header, raw template and default rendering; SpecError when the id is not in the catalog."""
    snippet = index().get(snippet_id)
    if snippet is None:
        problem = FieldProblem.of(["id"], snippet_id, _unknown_id_rule(snippet_id))
        raise SpecError("show_snippet", [problem], what="arguments")
    rendered: list[GeneratedFile] = []
    if snippet.kind in known_generators():
        rendered = list(_rendered(snippet.kind, snippet.id))
    return SnippetDetail(**_info(snippet).model_dump(), source=snippet.source, rendered=rendered)
