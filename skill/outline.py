"""The public API of generated Python, read from its syntax tree: what an agent needs to call the code without
reading it (classes, functions and methods with their signatures and the first line of their docstrings).

Public means: a top-level name without a leading underscore (and listed in `__all__` when the module has one),
and methods of public classes without a leading underscore, `__init__` included.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from skill.parsing import parse_python

__all__ = ["FileOutline", "Symbol", "outline", "outline_of"]


class Symbol(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(description="class, function, async function, method, async method, property or constant.")
    name: str = Field(description="Dotted within the module: Class.method.")
    signature: str = Field(description="What follows the name: parameters and return type, or bases for a class.")
    doc: str = Field(description="First line of the docstring; empty when there is none.")


class FileOutline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    module_doc: str = Field(description="First line of the module docstring.")
    symbols: list[Symbol]


def _first_line(node: ast.AST) -> str:
    doc = (
        ast.get_docstring(node, clean=True)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        else None
    )
    lines = doc.strip().splitlines() if doc else []
    return lines[0] if lines else ""  # a docstring of whitespace (a user's description) has no first line


def _signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool) -> str:
    args = fn.args
    if method and not _is_static(fn):
        # `self`/`cls` is implied by the call: leave it out. It never has a default, so `defaults` (which align
        # with the last positional parameters) stay as they are.
        positional = [*args.posonlyargs, *args.args][1:]
        cut = len(args.posonlyargs) > 0
        args = ast.arguments(
            posonlyargs=positional[: len(args.posonlyargs) - 1] if cut else [],
            args=positional[len(args.posonlyargs) - 1 :] if cut else positional,
            vararg=args.vararg,
            kwonlyargs=args.kwonlyargs,
            kw_defaults=args.kw_defaults,
            kwarg=args.kwarg,
            defaults=args.defaults,
        )
    returns = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
    return f"({ast.unparse(args)}){returns}"


def _decorators(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {ast.unparse(d) for d in fn.decorator_list}


def _is_static(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return "staticmethod" in _decorators(fn)


def _public(name: str) -> bool:
    return not name.startswith("_") or name == "__init__"


def _exported(module: ast.Module) -> set[str] | None:
    for node in module.body:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.List | ast.Tuple):
            continue
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return {e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return None


def _function(fn: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str, *, method: bool) -> Symbol:
    is_async = isinstance(fn, ast.AsyncFunctionDef)
    if method and "property" in _decorators(fn):
        returns = ast.unparse(fn.returns) if fn.returns is not None else ""
        return Symbol(
            kind="property", name=prefix + fn.name, signature=f": {returns}" if returns else "", doc=_first_line(fn)
        )
    kind = ("async " if is_async else "") + ("method" if method else "function")
    return Symbol(kind=kind, name=prefix + fn.name, signature=_signature(fn, method=method), doc=_first_line(fn))


def _class(cls: ast.ClassDef) -> list[Symbol]:
    bases = ", ".join(ast.unparse(b) for b in [*cls.bases, *cls.keywords])
    found = [Symbol(kind="class", name=cls.name, signature=f"({bases})" if bases else "", doc=_first_line(cls))]
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _public(node.name):
            found.append(_function(node, f"{cls.name}.", method=True))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _public(node.target.id):
            found.append(
                Symbol(
                    kind="field",
                    name=f"{cls.name}.{node.target.id}",
                    signature=f": {ast.unparse(node.annotation)}",
                    doc="",
                )
            )
    return found


def outline_of(path: str, module: ast.Module) -> FileOutline:
    """The outline of one parsed module (the checks parse each file anyway: they call this on their tree)."""
    exported = _exported(module)
    symbols: list[Symbol] = []
    for node in module.body:
        name = getattr(node, "name", None)
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            if name is None or not (name in exported if exported is not None else _public(name)) or name == "__init__":
                continue
            if isinstance(node, ast.ClassDef):
                symbols += _class(node)
            else:
                symbols.append(_function(node, "", method=False))
    return FileOutline(path=path, module_doc=_first_line(module), symbols=symbols)


def outline(files: Sequence[tuple[str, str]]) -> list[FileOutline]:
    """The outline of each (path, text) Python file, in the given order."""
    return [outline_of(path, parse_python(text, path)) for path, text in files]
