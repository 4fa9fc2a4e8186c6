"""Output fits the destination: ruff's defaults, or the nearest ruff configuration's layout settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill import DEFAULT_STYLE, SpecError, Style, find_style, generate


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_configuration_means_ruff_defaults(tmp_path: Path) -> None:
    assert find_style(tmp_path / "out") == DEFAULT_STYLE
    assert DEFAULT_STYLE.line_length == 88


def test_pyproject_ruff_table_is_read_from_a_parent(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 120\nindent-width = 4\n'
        'target-version = "py312"\n\n[tool.ruff.format]\nquote-style = "single"\n',
    )
    style = find_style(tmp_path / "src" / "pkg")  # need not exist yet
    assert style == Style(line_length=120, quote_style="single", target_version="py312", source=str(source))


def test_a_pyproject_without_ruff_settings_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    _write(tmp_path / "app" / "pyproject.toml", '[project]\nname = "app"\n')
    assert find_style(tmp_path / "app").line_length == 100


def test_ruff_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    _write(tmp_path / "ruff.toml", "line-length = 79\n[format]\nquote-style = 'single'\n")
    style = find_style(tmp_path)
    assert (style.line_length, style.quote_style) == (79, "single")


def test_older_targets_keep_the_python_the_code_needs(tmp_path: Path) -> None:
    _write(tmp_path / ".ruff.toml", 'target-version = "py38"\n')
    assert find_style(tmp_path).target_version == "py311"


@pytest.mark.parametrize(
    "text",
    ["line-length = 'long'\n", "line-length = 5000\n", "[format]\nquote-style = 'backtick'\n", "line-length =\n"],
)
def test_bad_settings_are_bad_input_naming_the_file(tmp_path: Path, text: str) -> None:
    _write(tmp_path / "ruff.toml", text)
    with pytest.raises(SpecError, match=r"ruff\.toml"):
        find_style(tmp_path)


def test_generated_python_follows_the_style_and_says_so(tmp_path: Path) -> None:
    style = Style(line_length=120, quote_style="single", source="test")
    result = generate("client", {"blocks": ["state"]}, style=style)
    assert result.style == style
    text = result.files[0].content
    assert "'state'" in text or "'" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    assert '"content-type"' not in text  # every plain string became single-quoted


def test_the_spec_line_length_wins_over_the_destination() -> None:
    result = generate("client", {"blocks": ["state"], "line_length": 100}, style=Style(line_length=120, source="x"))
    assert result.style.line_length == 100
    assert result.style.source == "x; spec line_length"


def test_cli_writes_in_the_destination_projects_style(tmp_path: Path) -> None:
    from tools.cli import main

    _write(
        tmp_path / "pyproject.toml", '[tool.ruff]\nline-length = 120\n\n[tool.ruff.format]\nquote-style = "single"\n'
    )
    assert main(["generate", "client", "--blocks", "state", "-o", str(tmp_path / "src")]) == 0
    text = (tmp_path / "src" / "dapr_client.py").read_text(encoding="utf-8")
    assert "'content-type'" in text or "'application/json'" in text
    assert '"application/json"' not in text
    assert max(len(line) for line in text.splitlines()) > 88  # wrapped at 120, not 88
