"""`ast.parse` that is safe from any thread: the checks, the outline, the doors and the generators parse through it."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable, Iterator

__all__ = ["parse_python", "top_level_names"]

# CPython 3.11 can fail `ast.parse` in one thread while another thread parses too ("SystemError: AST constructor
# recursion depth mismatch", CPython issue 106905, fixed in later releases). The MCP server runs tools in worker
# threads, so every parse in this process goes through this lock.
_AST_LOCK = threading.Lock()


def parse_python(text: str, filename: str = "<generated>") -> ast.Module:
    """`ast.parse`, safe to call from any thread."""
    with _AST_LOCK:
        return ast.parse(text, filename=filename)


def top_level_names(body: Iterable[ast.stmt]) -> Iterator[str]:
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
            yield from top_level_names([*node.body, *node.orelse, *getattr(node, "finalbody", [])])
            for handler in getattr(node, "handlers", []):
                yield from top_level_names(handler.body)
