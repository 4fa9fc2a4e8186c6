"""Names the generated client module binds at top level, read from what its snippet really renders.

This renders (so it lives outside skill/generators/, which only plan): every transport with every block, parsed,
no ruff, once per process. It installs its reader in `skill.specs.client` when imported (by `skill`), which
refuses a client class name that would replace one of these names without importing anything above the specs.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator

from skill.catalog import get_snippet
from skill.generators.client import SNIPPET, TRANSPORTS, context_for
from skill.parsing import parse_python
from skill.plan import template_variables
from skill.render import render_template
from skill.specs.client import ClientSpec, use_bound_names

__all__ = ["bound_names"]


def _top_level_names(body: Iterable[ast.stmt]) -> Iterator[str]:
    """Names a module binds outside its functions and classes (including under `try`/`if`)."""
    for node in body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name
        elif isinstance(node, ast.Import | ast.ImportFrom):
            yield from ((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            yield from (n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Try | ast.If):
            yield from _top_level_names([*node.body, *node.orelse, *getattr(node, "finalbody", [])])
            for handler in getattr(node, "handlers", []):
                yield from _top_level_names(handler.body)


@functools.cache
def bound_names() -> frozenset[str]:
    """Every name the generated module binds at top level, for any blocks and transport, the client class
    excepted: every transport rendered with every block (no ruff: milliseconds, once per process)."""
    template = get_snippet(SNIPPET).template
    found: set[str] = set()
    for transport in TRANSPORTS:
        # model_construct: this runs while a ClientSpec is being validated, so it must not validate one.
        spec = ClientSpec.model_construct(transport=transport)
        text = render_template(template, template_variables(context_for(spec)))
        found.update(_top_level_names(parse_python(text).body))
    return frozenset(found - {ClientSpec.model_fields["class_name"].default})


use_bound_names(bound_names)
