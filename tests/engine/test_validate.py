"""Validation: nothing that fails ast, ruff format or ruff check is ever returned."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill import InvalidOutputError, ToolchainError, _ruff
from skill.validate import Draft, validate


def _py(text: str, path: str = "m.py") -> Draft:
    return Draft(path, text, "python", "test/x")


def test_formats_clean_code() -> None:
    (out,) = validate([_py("x = {'a':1}\n")])
    assert out.content == 'x = {"a": 1}\n'


def test_syntax_error_is_invalid_output() -> None:
    # ast.parse rejects it: reported as our output's fault, not as a broken ruff.
    with pytest.raises(InvalidOutputError, match="line 1"):
        validate([_py("def f(:\n")])


def test_syntax_newer_than_the_target_is_invalid_output() -> None:
    # ruff parses against target-version py311, whatever interpreter runs the engine.
    with pytest.raises(InvalidOutputError, match=r"invalid.syntax"):
        validate([_py("type Alias = int\n")])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("print('hi')\n", "T201"),
        ("import os\n", "F401"),
        ("import datetime\n\nx = datetime.datetime.now()\n", "DTZ005"),
        ("def f(x):\n    return x\n", "ANN001"),
        ("import sys\nimport os\n\nprint(os, sys)\n", "I001"),
    ],
)
def test_lint_findings_are_invalid_output(text: str, code: str) -> None:
    with pytest.raises(InvalidOutputError, match=code):
        validate([_py(text)])


def test_test_files_may_assert() -> None:
    (out,) = validate([_py("def test_x() -> None:\n    assert 1 + 1 == 2\n", "tests/test_x.py")])
    assert "assert" in out.content


def test_every_bad_file_is_reported() -> None:
    with pytest.raises(InvalidOutputError) as caught:
        validate([_py("import os\n", "a.py"), _py("import sys\n", "b.py")])
    assert any("a.py" in f for f in caught.value.findings)
    assert any("b.py" in f for f in caught.value.findings)


def test_toml_and_json_are_parsed() -> None:
    ok = [Draft("a.toml", 'x = "1"\n', "toml", "t/a"), Draft("a.json", "{}", "json", "t/a")]
    assert validate(ok) == ok
    with pytest.raises(InvalidOutputError, match="toml does not parse"):
        validate([Draft("a.toml", "x = \n", "toml", "t/a")])


def test_missing_ruff_is_a_toolchain_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ruff, "find_ruff", lambda: "/nonexistent/ruff")
    with pytest.raises(ToolchainError, match="could not start ruff"):
        validate([_py("x = 1\n")])


def test_ruff_crash_is_a_toolchain_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ruff, "find_ruff", lambda: "false")
    with pytest.raises(ToolchainError, match="ruff format failed"):
        validate([_py("x = 1\n")])


def test_a_hung_ruff_is_a_toolchain_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hung = tmp_path / "ruff"
    hung.write_text("#!/bin/sh\nexec sleep 30\n", encoding="utf-8")
    hung.chmod(0o755)
    monkeypatch.setattr(_ruff, "find_ruff", lambda: str(hung))
    monkeypatch.setattr(_ruff, "_TIMEOUT_SECONDS", 0.2)
    with pytest.raises(ToolchainError, match="did not finish"):
        validate([_py("x = 1\n")])
