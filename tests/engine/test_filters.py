"""Filters are the only way user text reaches output; whatever the text, the literal must be inert."""

from __future__ import annotations

import ast
import json
import math
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skill.filters import json_str, py_literal, py_str, url_segment

HOSTILE = ['"', "'", '"""', "'''", "\\", "\n", "\r\n", "{{ x }}", "{% raw %}", "../../etc", "\x00", "é", "💥"]


@given(st.text())
def test_py_str_round_trips_any_text(text: str) -> None:
    literal = py_str(text)
    assert ast.literal_eval(literal) == text
    assert "\n" not in literal  # a literal never spans lines, so it cannot end a statement early
    assert literal.isascii()  # no confusable or invisible character reaches the code


@pytest.mark.parametrize("text", HOSTILE)
def test_py_str_hostile(text: str) -> None:
    assert ast.literal_eval(py_str(text)) == text


@given(st.text())
def test_json_str_round_trips_and_is_ascii(text: str) -> None:
    literal = json_str(text)
    assert json.loads(literal) == text
    assert literal.isascii()


@given(st.text(min_size=1))
def test_url_segment_is_one_segment(text: str) -> None:
    segment = url_segment(text)
    for reserved in "/?# ":
        assert reserved not in segment
    assert "+" not in segment  # Go's QueryUnescape would turn '+' into a space
    assert unquote(segment) == text


def test_py_literal_scalars_and_sequences() -> None:
    assert py_literal(3) == "3"
    assert py_literal(0.5) == "0.5"
    assert py_literal(True) == "True"
    assert py_literal(None) == "None"
    assert ast.literal_eval(py_literal(("a", 1))) == ("a", 1)
    assert py_literal(("a",)) == "('a',)"
    assert ast.literal_eval(py_literal(["x", None])) == ["x", None]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_py_literal_floats_round_trip(value: float) -> None:
    assert ast.literal_eval(py_literal(value)) == value


@pytest.mark.parametrize("bad", [{"a": 1}, object(), [object()], math.nan, math.inf, -math.inf, (1.0, math.inf)])
def test_py_literal_refuses_what_it_cannot_emit(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        py_literal(bad)


def test_py_str_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        py_str(1)
