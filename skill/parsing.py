"""`ast.parse` that is safe from any thread: the checks, the outline, the doors and the generators parse through it."""

from __future__ import annotations

import ast
import threading

__all__ = ["parse_python"]

# CPython 3.11 can fail `ast.parse` in one thread while another thread parses too ("SystemError: AST constructor
# recursion depth mismatch", CPython issue 106905, fixed in later releases). The MCP server runs tools in worker
# threads, so every parse in this process goes through this lock.
_AST_LOCK = threading.Lock()


def parse_python(text: str, filename: str = "<generated>") -> ast.Module:
    """`ast.parse`, safe to call from any thread."""
    with _AST_LOCK:
        return ast.parse(text, filename=filename)
