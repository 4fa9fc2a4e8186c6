"""Sandboxed Jinja rendering of a plan's files.

The environment is built once per process: templates compile on first use and stay cached, which keeps a
warm MCP call cheap. Users never supply templates, but the sandbox and StrictUndefined still matter: a
snippet typo fails loudly at render time instead of emitting half a file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from skill.catalog import SNIPPETS_ROOT
from skill.errors import SnippetError
from skill.filters import FILTERS

__all__ = ["environment", "render_template"]


@functools.cache
def environment(root: Path = SNIPPETS_ROOT) -> jinja2.Environment:
    """The one environment per snippets root (tests pass their own root)."""
    env = ImmutableSandboxedEnvironment(
        # FileSystemLoader refuses names that climb out of its root ('..' segments).
        loader=jinja2.FileSystemLoader(root, encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


def render_template(template: str, context: Mapping[str, object], root: Path = SNIPPETS_ROOT) -> str:
    """Render one snippet file with a context the generator has already decided."""
    try:
        return environment(root).get_template(template).render(context)
    except jinja2.TemplateNotFound as exc:
        raise SnippetError(f"snippet template {template!r} does not exist") from exc
    except jinja2.TemplateError as exc:
        where = f" line {exc.lineno}" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise SnippetError(f"rendering {template}{where} failed: {exc}") from exc
