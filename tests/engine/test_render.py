"""The renderer: sandboxed, strict about undefined names, confined to its snippets root."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill import SnippetError
from skill.render import render_template


def _root(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "snippets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "snippets"


def test_renders_with_filters_and_keeps_trailing_newline(tmp_path: Path) -> None:
    root = _root(tmp_path, {"k/a.py.jinja": "X = {{ name|py_str }}\n{% if flag %}\nY = 1\n{% endif %}\n"})
    assert render_template("k/a.py.jinja", {"name": 'a"b', "flag": True}, root) == "X = 'a\"b'\nY = 1\n"


def test_undefined_variable_fails_loudly(tmp_path: Path) -> None:
    root = _root(tmp_path, {"k/a.py.jinja": "X = {{ missing }}\n"})
    with pytest.raises(SnippetError, match="missing"):
        render_template("k/a.py.jinja", {}, root)


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ ().__class__.__base__.__subclasses__() }}",
        "{{ x|attr('__class__') }}",
        "{% set l = [] %}{{ l.append(1) }}",
    ],
)
def test_sandbox_blocks_escapes(tmp_path: Path, escape: str) -> None:
    root = _root(tmp_path, {"k/a.py.jinja": escape})
    with pytest.raises(SnippetError):
        render_template("k/a.py.jinja", {"x": "s"}, root)


@pytest.mark.parametrize("name", ["../outside.jinja", "k/../../outside.jinja", "/etc/passwd"])
def test_loader_refuses_paths_outside_root(tmp_path: Path, name: str) -> None:
    root = _root(tmp_path, {"k/a.py.jinja": "x\n"})
    (tmp_path / "outside.jinja").write_text("secret\n", encoding="utf-8")
    with pytest.raises(SnippetError):
        render_template(name, {}, root)


def test_include_cannot_climb_out(tmp_path: Path) -> None:
    root = _root(tmp_path, {"k/a.py.jinja": '{% include "../../outside.jinja" %}'})
    (tmp_path / "outside.jinja").write_text("secret\n", encoding="utf-8")
    with pytest.raises(SnippetError):
        render_template("k/a.py.jinja", {}, root)


def test_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    root = _root(tmp_path, {"k/a.py.jinja": "ok\n{% if %}\n"})
    with pytest.raises(SnippetError, match=r"k/a\.py\.jinja line 2"):
        render_template("k/a.py.jinja", {}, root)


def test_a_filter_refusing_a_value_is_a_snippet_error_with_the_line(tmp_path: Path) -> None:
    # Not only Jinja's own errors: anything a render raises is a snippet defect, reported with where it happened.
    root = _root(tmp_path, {"k/a.py.jinja": "ok\n{{ 1|py_str }}\n"})
    with pytest.raises(SnippetError, match=r"k/a\.py\.jinja line 2\): TypeError: py_str expects a str"):
        render_template("k/a.py.jinja", {}, root)


def test_syntax_error_in_an_included_template_names_that_template(tmp_path: Path) -> None:
    root = _root(tmp_path, {"k/a.py.jinja": '{% include "k/_b.jinja" %}\n', "k/_b.jinja": "x\n{% if %}\n"})
    with pytest.raises(SnippetError, match=r"k/_b\.jinja line 2"):
        render_template("k/a.py.jinja", {}, root)
