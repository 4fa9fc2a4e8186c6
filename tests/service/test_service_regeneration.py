"""A generated service regenerated with a changed spec: the user's handlers survive, an edit in a generated file is
reported by `check` and merged (or written as a conflict), and a handler the new routes need is asked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.cli import main


def _generate(
    folder: Path, spec: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    code = main(["generate", "service", "--spec", str(spec_file), "-o", str(folder)])
    return code, capsys.readouterr().out


def _check(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["check", str(folder), "--json"])
    return code, json.loads(capsys.readouterr().out)


BASE: dict[str, Any] = {"app_id": "orders", "port": 8100, "jobs": [{"name": "nightly"}]}


def test_edits_survive_regeneration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "orders"
    assert _generate(folder, BASE, tmp_path, capsys)[0] == 0
    assert (folder / ".dapr-coder" / "manifest.json").is_file()
    assert _check(folder, capsys)[0] == 0

    handlers = folder / "app" / "handlers.py"
    mine = handlers.read_text(encoding="utf-8").replace('_logger.info("job fired: %r", data)', "await do_the_work()")
    mine += "\n\nasync def do_the_work() -> None:\n    pass\n"
    handlers.write_text(mine, encoding="utf-8")
    readme = folder / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOur runbook: page the on-call.\n", encoding="utf-8")

    code, report = _check(folder, capsys)
    assert code == 1
    assert json.dumps(report).count("README.md") >= 1
    assert "app/handlers.py" not in json.dumps(report)  # the user's file is never drift

    # A new port: README and dapr.yaml change; the README edit merges cleanly, handlers.py is untouched.
    code, out = _generate(folder, {**BASE, "port": 8101}, tmp_path, capsys)
    assert code == 0, out
    assert "merged" in out
    assert handlers.read_text(encoding="utf-8") == mine
    text = readme.read_text(encoding="utf-8")
    assert "Our runbook: page the on-call." in text
    assert "--port 8101" in text
    assert "appPort: 8101" in (folder / "dapr.yaml").read_text(encoding="utf-8")


def test_overlapping_edit_is_a_conflict_never_a_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "orders"
    _generate(folder, BASE, tmp_path, capsys)
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("--port 8100", "--port 9999 --reload"), encoding="utf-8")
    code, out = _generate(folder, {**BASE, "port": 8101}, tmp_path, capsys)
    assert code == 1
    assert "conflict" in out
    merged = readme.read_text(encoding="utf-8")
    assert "<<<<<<< yours" in merged
    assert "--port 9999 --reload" in merged
    assert "--port 8101" in merged


def test_a_new_job_asks_for_its_handler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "orders"
    _generate(folder, BASE, tmp_path, capsys)
    handlers = folder / "app" / "handlers.py"
    handlers.write_text(handlers.read_text(encoding="utf-8") + "\n# mine\n", encoding="utf-8")
    code, out = _generate(folder, {**BASE, "jobs": [{"name": "nightly"}, {"name": "hourly"}]}, tmp_path, capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if "handlers.py" in x)
    assert line.startswith("conflict")
    assert "async def on_job_hourly(data: JsonValue, dapr: DaprClient) -> None" in line
    assert handlers.read_text(encoding="utf-8").endswith("# mine\n")  # never rewritten


def test_a_deleted_handlers_module_is_created_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "orders"
    _generate(folder, BASE, tmp_path, capsys)
    (folder / "app" / "handlers.py").unlink()
    code, out = _generate(folder, BASE, tmp_path, capsys)
    assert code == 0, out
    assert (folder / "app" / "handlers.py").is_file()
