"""A service or project states its ruff settings in its own pyproject.toml, and its code is formatted with them
wherever it is written: ruff reads the nearest configuration only, so a project above the folder with other
settings must change neither (the README's `new todo-system out/todo` lies inside this repository, line-length 120).
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from skill import generate
from skill._ruff import find_ruff
from tools.cli import main

# Settings a surrounding project may have: a longer line, other layout, a bigger rule set.
_PARENTS = {
    "line-length-120": "[tool.ruff]\nline-length = 120\n",
    "other-layout-and-rules": '[tool.ruff]\nline-length = 100\nindent-width = 2\ntarget-version = "py313"\n\n'
    '[tool.ruff.format]\nquote-style = "single"\n\n[tool.ruff.lint]\nselect = ["ALL"]\n',
}


def _own_ruff(folder: Path) -> list[str]:
    """What the folder's own ruff says (as its README runs it, from the folder), empty when it passes."""
    failures = []
    for argv in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        done = subprocess.run([find_ruff(), *argv], cwd=folder, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            failures.append(f"ruff {argv[0]} in {folder.name}:\n{done.stdout}{done.stderr}")
    return failures


def _stated_line_length(folder: Path) -> int:
    settings = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    length = settings["tool"]["ruff"]["line-length"]
    assert isinstance(length, int)
    return length


@pytest.mark.parametrize("parent", sorted(_PARENTS))
def test_a_service_under_another_project_passes_its_own_ruff(tmp_path: Path, parent: str) -> None:
    (tmp_path / "pyproject.toml").write_text(_PARENTS[parent], encoding="utf-8")
    folder = tmp_path / "services" / "orders"
    assert main(["generate", "service", "-o", str(folder)]) == 0
    assert _stated_line_length(folder) == 88
    assert _own_ruff(folder) == []


def test_the_todo_system_under_a_line_length_120_project_passes_its_own_ruff(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_PARENTS["line-length-120"], encoding="utf-8")
    out = tmp_path / "out" / "todo"
    assert main(["new", "todo-system", str(out)]) == 0
    services = sorted(p.parent for p in out.glob("*/pyproject.toml"))
    assert [s.name for s in services] == ["notification", "recurring-task", "task-api"]
    assert [_own_ruff(s) for s in services] == [[], [], []]


def test_line_length_is_stated_and_used(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_PARENTS["other-layout-and-rules"], encoding="utf-8")
    out = tmp_path / "todo"
    assert main(["new", "todo-system", str(out), "--line-length", "100"]) == 0
    for service in ("task-api", "notification"):
        assert _stated_line_length(out / service) == 100
        assert _own_ruff(out / service) == []
    code = (out / "task-api" / "app" / "dapr_client.py").read_text(encoding="utf-8")
    assert max(len(line) for line in code.splitlines()) > 88  # formatted at 100, as stated


def test_the_result_reports_the_style_its_pyproject_states() -> None:
    result = generate("service", {"line_length": 99})
    assert (result.style.line_length, result.style.source) == (99, "its own pyproject.toml")
    pyproject = next(f for f in result.files if f.path == "pyproject.toml")
    assert "line-length = 99\n" in pyproject.content


def test_a_project_service_cannot_format_differently_from_its_project() -> None:
    from skill import SpecError

    with pytest.raises(SpecError, match=r"services\.0\.line_length.*project's line_length"):
        generate("project", {"line_length": 100, "services": [{"app_id": "a", "port": 8000, "line_length": 90}]})
