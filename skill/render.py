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

from skill.catalog import snippets_root
from skill.errors import SnippetError
from skill.filters import FILTERS

__all__ = ["environment", "render_template"]


def environment(root: Path | None = None) -> jinja2.Environment:
    """The one environment per snippets root (the snippets folder in use by default)."""
    return _environment(root or snippets_root())


@functools.cache
def _environment(root: Path) -> jinja2.Environment:
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


def _where(exc: BaseException, root: Path) -> str:
    """' (<template> line N)' for the innermost template frame of a runtime error, if Jinja left one."""
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".jinja"):
            name = Path(filename).relative_to(root).as_posix() if Path(filename).is_relative_to(root) else filename
            found = f" ({name} line {tb.tb_lineno})"
        tb = tb.tb_next
    return found


def render_template(template: str, variables: Mapping[str, object], root: Path | None = None) -> str:
    """Render one snippet file with variables the generator has already decided (a context's fields).

    Any failure is a SnippetError naming the template (and the line, when known): snippets and contexts are ours,
    so a failure here is our defect, whatever raised it (a Jinja error, or a filter refusing a value).
    """
    try:
        return environment(root).get_template(template).render(variables)
    except jinja2.TemplateNotFound as exc:
        raise SnippetError(f"snippet template {exc.name!r} does not exist (rendering {template})") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise SnippetError(f"rendering {template} failed: {exc.name or template} line {exc.lineno}: {exc}") from exc
    except Exception as exc:  # see the docstring: every failure here is a snippet defect
        where = _where(exc, root or snippets_root())
        raise SnippetError(f"rendering {template} failed{where}: {type(exc).__name__}: {exc}") from exc
