"""A JSON boolean is not a number: `"max_retries": true` must be rejected, not read as 1 (issue 7, item 11). The
rule lives in the spec models (skill/specs/); this holds the CLI door to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.cli import main


@pytest.mark.parametrize(("field", "value"), [("max_retries", True), ("timeout_seconds", True), ("max_retries", False)])
def test_a_boolean_is_not_a_number(tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: bool) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({field: value}), encoding="utf-8")
    code = main(["generate", "client", "--spec", str(spec)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert f"{field}: " in err
