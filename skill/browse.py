"""Browsing the snippet catalog: what a person sees with `dapr-coder list/show` and an agent with the
`dapr_list_snippets` / `dapr_show_snippet` tools."""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict, Field

from skill.catalog import Snippet, all_snippets, index
from skill.errors import FieldProblem, SpecError
from skill.pipeline import generate
from skill.registry import REGISTRY
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
def _default_files(kind: str) -> tuple[GeneratedFile, ...]:
    """What `kind`'s generator makes with its defaults. Output is deterministic and snippets are loaded once per
    process, so this is rendered (and ruff run) once, not on every browse."""
    return tuple(generate(kind).files)


def show_snippet(snippet_id: str) -> SnippetDetail:
    """One snippet's header, raw template and default rendering; SpecError when the id is not in the catalog."""
    snippet = index().get(snippet_id)
    if snippet is None:
        rule = f"is not a snippet id; known ids: {', '.join(index()) or 'none'}"
        raise SpecError("show_snippet", [FieldProblem.of(["id"], snippet_id, rule)], what="arguments")
    rendered = []
    if snippet.kind in REGISTRY:
        rendered = [f for f in _default_files(snippet.kind) if f.snippet == snippet.id]
    return SnippetDetail(**_info(snippet).model_dump(), source=snippet.source, rendered=rendered)
