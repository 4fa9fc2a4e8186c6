"""`dapr-coder generate NAME --outline`: the public API outline the MCP tools answer with, instead of the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill import generate
from skill.outline import outline
from tools._answer import outline_lines
from tools.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_outline_replaces_the_code_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "generate", "client", "--blocks", "state", "--outline")
    assert code == 0, err
    result = generate("client", {"blocks": ["state"]})
    assert out == "\n".join(["API outline:", *outline_lines(result)]) + "\n"
    assert "async get_state(store_name: str, key: str, *, consistency" in out
    assert result.files[0].content not in out
    # Every public symbol the engine's outline finds is on a line of its own or in its class's field line.
    for fo in outline([(f.path, f.content) for f in result.files]):
        for symbol in fo.symbols:
            assert symbol.name.rpartition(".")[2] in out, symbol.name


def test_outline_after_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "generate", "models", "-o", str(tmp_path), "--outline")
    assert code == 0, err
    assert f"wrote {tmp_path / 'events.py'}" in out
    assert "class CloudEvent(BaseModel, Generic[DataT])" in out
    assert "fields: id: str, source: str" in out  # Annotated[...] shown as its type


def test_a_generator_without_python_offers_no_outline(capsys: pytest.CaptureFixture[str]) -> None:
    # components writes YAML, JSON and Dockerfiles only: --outline (and --verify) would do nothing, so it has none.
    with pytest.raises(SystemExit) as exited:
        main(["generate", "components", "--outline"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: dapr-coder generate components")
    assert "unrecognized arguments: --outline" in err


def test_outline_and_json_do_not_mix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "generate", "client", "--outline", "--json")
    assert (code, out) == (2, "")
    assert "--outline and --json" in err
