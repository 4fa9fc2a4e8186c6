"""A small subset of CEL for subscription routing rules (references/dapr-contract.md §12.1: ``match`` over the
variable ``event``).

Supported: ``event.a.b`` paths, string/number/bool/null literals, ``== != < <= > >=``, ``&& || !`` and parentheses.
Anything else raises :class:`UnsupportedCELError` when the subscriptions are loaded, so a test never silently routes
differently from daprd. A path that does not exist makes the rule not match (CEL: "no such key" error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)


class UnsupportedCELError(ValueError):
    """The expression is outside the supported subset."""


class _NoSuchKeyError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Expr:
    source: str
    tokens: tuple[tuple[str, str], ...]

    def evaluate(self, event: dict[str, Any]) -> bool:
        parser = _Parser(self.tokens, event)
        try:
            value = parser.parse()
        except _NoSuchKeyError:
            return False
        return value is True


def compile_expr(source: str) -> Expr:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = source.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise UnsupportedCELError(f"cannot parse CEL expression {source!r} at {pos}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    expr = Expr(source, tuple(tokens))
    _Parser(expr.tokens, None).parse()  # syntax check
    return expr


class _Parser:
    def __init__(self, tokens: tuple[tuple[str, str], ...], event: dict[str, Any] | None) -> None:
        self.tokens = tokens
        self.pos = 0
        self.event = event

    def parse(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise UnsupportedCELError(f"unexpected token {self.tokens[self.pos][1]!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self.pos += 1
            right = self._and()
            value = value is True or right is True
        return value

    def _and(self) -> Any:
        value = self._unary()
        while self._peek() == "&&":
            self.pos += 1
            right = self._unary()
            value = value is True and right is True
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self.pos += 1
            return self._unary() is not True
        return self._comparison()

    def _comparison(self) -> Any:
        left = self._operand()
        op = self._peek()
        if op in ("==", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            right = self._operand()
            if self.event is None:
                return True
            try:
                return {
                    "==": lambda: left == right,
                    "!=": lambda: left != right,
                    "<": lambda: left < right,
                    "<=": lambda: left <= right,
                    ">": lambda: left > right,
                    ">=": lambda: left >= right,
                }[op]()
            except TypeError:
                return False
        return left

    def _operand(self) -> Any:
        if self.pos >= len(self.tokens):
            raise UnsupportedCELError("unexpected end of expression")
        kind, text = self.tokens[self.pos]
        self.pos += 1
        if text == "(":
            value = self._or()
            if self._peek() != ")":
                raise UnsupportedCELError("missing )")
            self.pos += 1
            return value
        if kind == "str":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            parts = text.split(".")
            if parts[0] != "event":
                raise UnsupportedCELError(f"unknown identifier {parts[0]!r} (only 'event' is declared)")
            if self.event is None:
                return None
            current: Any = self.event
            for part in parts[1:]:
                if not isinstance(current, dict) or part not in current:
                    raise _NoSuchKeyError(part)
                current = current[part]
            return current
        raise UnsupportedCELError(f"unexpected token {text!r}")
