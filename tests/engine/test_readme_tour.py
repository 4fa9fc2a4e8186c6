"""Every command of the README's CLI tour runs as written (issue 17: it named example files that did not exist),
in a scratch folder beside the shipped example specs; `uv run dapr-coder` is this process's CLI."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tools.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _tour() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## CLI tour\n.*?```sh\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    commands = [shlex.split(line, comments=True) for line in block[1].splitlines() if line.strip()]
    assert all(c[:3] == ["uv", "run", "dapr-coder"] for c in commands), commands
    return [c[3:] for c in commands]


def test_the_tour_names_only_files_that_exist() -> None:
    named = [a for c in _tour() for a in c if a.startswith("references/")]
    assert named, "the tour shows the example specs"
    assert [a for a in named if not (ROOT / a).is_file()] == []


@pytest.mark.slow
@pytest.mark.usefixtures("app_ports")  # the tour's `run --smoke` serves the todo system on its ports
def test_every_tour_command_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "references").symlink_to(ROOT / "references")
    monkeypatch.chdir(tmp_path)
    for argv in _tour():
        if argv == ["mcp"]:
            continue  # serves until stdin closes: tests/doors/test_mcp_stdio_ready.py starts it
        if argv[0] == "run" and "--smoke" not in argv:
            continue  # serves until Ctrl-C: tests/standin/test_run_todo.py starts it and interrupts it
        try:
            code = main(argv)
        except SystemExit as exc:  # --help and --version end through argparse
            code = int(exc.code or 0)
        err = capsys.readouterr().err
        assert code == 0, (argv, err)
    assert sorted(p.name for p in (tmp_path / "out" / "api").iterdir()) == ["app"]
    assert (tmp_path / "out" / "orders" / "pyproject.toml").read_text(encoding="utf-8").count('name = "orders"') == 1
