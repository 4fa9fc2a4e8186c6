"""The outline an agent gets instead of the code: it must say what `inspect` says of the imported module."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import pytest

from skill import generate
from skill.outline import Symbol, outline

SAMPLE = '''"""Orders.

More text.
"""

__all__ = ["Order", "place", "VERSION"]

VERSION = 1


class Order:
    """One order."""

    total: int

    def __init__(self, total: int, /, note: str = "x", *, fast: bool = False) -> None:
        self.total = total

    @property
    def doubled(self) -> int:
        """Twice the total."""
        return self.total * 2

    @staticmethod
    def parse(text: str) -> "Order":
        return Order(int(text))

    async def pay(self, amount: int, *rest: int, **extra: str) -> bool:
        """Pay it.

        Details.
        """
        return True

    def _hidden(self) -> None:
        pass


async def place(order: Order) -> None:
    """Place an order."""


def helper() -> None:
    """Not exported."""
'''


def _load(tmp_path: Path, name: str, text: str) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _callables(symbols: list[Symbol]) -> dict[str, Symbol]:
    return {s.name: s for s in symbols if "function" in s.kind or "method" in s.kind}


def test_reads_names_signatures_and_first_doc_lines() -> None:
    (found,) = outline([("orders.py", SAMPLE)])
    assert found.module_doc == "Orders."
    shown = [(s.kind, s.name, s.signature, s.doc) for s in found.symbols]
    assert shown == [
        ("class", "Order", "", "One order."),
        ("field", "Order.total", ": int", ""),
        ("method", "Order.__init__", "(total: int, /, note: str='x', *, fast: bool=False) -> None", ""),
        ("property", "Order.doubled", ": int", "Twice the total."),
        ("method", "Order.parse", "(text: str) -> 'Order'", ""),
        ("async method", "Order.pay", "(amount: int, *rest: int, **extra: str) -> bool", "Pay it."),
        ("async function", "place", "(order: Order) -> None", "Place an order."),
    ]


def _names(signature: str) -> list[str]:
    """Parameter names of an outline signature, read back with ast."""
    fn = ast.parse(f"def f{signature}: pass").body[0]
    assert isinstance(fn, ast.FunctionDef)
    a = fn.args
    extra = [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return sorted([p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)] + extra)


def _agrees_with_inspect(module: ModuleType, symbols: list[Symbol]) -> int:
    """Each callable's parameter names and kinds as inspect reads them from the imported module."""
    checked = 0
    for name, symbol in _callables(symbols).items():
        owner_name, _, attr = name.rpartition(".")
        owner: object = getattr(module, owner_name) if owner_name else module
        raw = inspect.getattr_static(owner, attr)
        function = raw.__func__ if isinstance(raw, staticmethod | classmethod) else raw
        params = list(inspect.signature(function).parameters.values())
        if owner_name and not isinstance(raw, staticmethod):
            params = params[1:]  # self / cls
        assert _names(symbol.signature) == sorted(p.name for p in params), name
        assert ("async" in symbol.kind) == inspect.iscoroutinefunction(function), name
        checked += 1
    return checked


def test_sample_agrees_with_inspect(tmp_path: Path) -> None:
    module = _load(tmp_path, "outline_sample", SAMPLE)
    (found,) = outline([("orders.py", SAMPLE)])
    assert _agrees_with_inspect(module, found.symbols) == 4


@pytest.mark.parametrize("spec", [{}, {"transport": "httpx", "blocks": ["state", "jobs"]}])
def test_generated_client_outline_agrees_with_inspect(tmp_path: Path, spec: dict[str, object]) -> None:
    (only,) = generate("client", spec).files
    module = _load(tmp_path, f"outline_client_{len(spec)}", only.content)
    (found,) = outline([(only.path, only.content)])
    assert _agrees_with_inspect(module, found.symbols) > 10
    names = {s.name for s in found.symbols}
    assert "DaprClient.get_state" in names or "DaprClient.save_state" in names
    assert not any(part.startswith("_") and part != "__init__" for n in names for part in n.split("."))
