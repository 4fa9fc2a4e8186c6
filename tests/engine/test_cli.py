"""The CLI: exit codes, stdout/stderr discipline, writing folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import Field

from skill import Result, SnippetError, SpecModel, generate
from tools._spec_args import spec_flags
from tools.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "generate", "client", "--blocks", "state")
    assert code == 0, err
    assert "class DaprClient" in out
    assert "def get_state" in out
    assert "def publish_event" not in out
    assert "# requires: httpx" in out


def test_generate_json_is_the_result_payload(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "generate", "client", "--json", "--transport", "httpx")
    assert code == 0
    payload = json.loads(out)
    assert payload["version"] == 1
    assert payload["kind"] == "client"
    assert payload["lint"]["status"] == "passed"
    assert [f["path"] for f in payload["files"]] == ["dapr_client.py"]
    assert not any("aiohttp" in r for r in payload["requirements"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--blocks", "state,kafka"], "blocks.1"),
        (["--timeout-seconds", "-3"], "timeout_seconds: Input should be greater than or equal to 0.001"),
        (["--class-name", "my client"], "class_name: must be a PascalCase class name"),
        (["--max-retries", "many"], "max_retries"),
    ],
)
def test_bad_input_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = _run(capsys, "generate", "client", *argv)
    assert code == 2
    assert out == ""
    assert needle in err


def test_bad_choice_is_rejected_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["generate", "client", "--transport", "requests"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_spec_file_and_flags_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "client.toml"
    spec.write_text('blocks = ["jobs"]\nclass_name = "Sidecar"\n', encoding="utf-8")
    code, out, err = _run(capsys, "generate", "client", "--spec", str(spec), "--class-name", "Dapr")
    assert code == 0, err
    assert "class Dapr:" in out or "class Dapr(" in out
    assert "def schedule_job" in out
    assert "def get_state" not in out


def test_spec_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    code, _, err = _run(capsys, "generate", "client", "--spec", str(bad))
    assert code == 2
    assert "must hold an object" in err
    code, _, err = _run(capsys, "generate", "client", "--spec", str(tmp_path / "missing.json"))
    assert code == 2
    assert "cannot read" in err


def test_writes_folder_and_refuses_to_clobber(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = _run(capsys, "generate", "client", "-o", str(out_dir))
    assert code == 0
    target = out_dir / "dapr_client.py"
    assert f"wrote {target}" in out
    original = target.read_text(encoding="utf-8")

    code, out, _ = _run(capsys, "generate", "client", "-o", str(out_dir))
    assert code == 0
    assert f"unchanged {target}" in out

    target.write_text(original + "# my edit\n", encoding="utf-8")
    code, _, err = _run(capsys, "generate", "client", "-o", str(out_dir))
    assert code == 2
    assert "--force" in err
    assert target.read_text(encoding="utf-8").endswith("# my edit\n")  # nothing half-written

    code, _, _ = _run(capsys, "generate", "client", "-o", str(out_dir), "--force")
    assert code == 0
    assert target.read_text(encoding="utf-8") == original
    assert [p.name for p in out_dir.iterdir()] == ["dapr_client.py"]  # no temp files left


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "list", "--json")
    assert code == 0
    ids = [s["id"] for s in json.loads(out)["snippets"]]
    assert "client/dapr_client" in ids
    code, out, _ = _run(capsys, "show", "client/dapr_client", "--raw")
    assert code == 0
    assert out.startswith("{#- snippet")
    code, out, _ = _run(capsys, "show", "client/dapr_client", "--rendered")
    assert code == 0
    assert "class DaprClient" in out
    code, _, err = _run(capsys, "show", "client/nope")
    assert code == 2
    assert "id: is not a snippet id (list them with dapr_list_snippets or `dapr-coder list`)" in err
    assert "(got 'client/nope')" in err


def test_verify_runs_mypy_and_imports_on_a_relative_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "generate", "client", "--blocks", "state,jobs", "-o", "out/client", "--verify")
    assert code == 0, err
    assert (
        f"verified in {tmp_path / 'out' / 'client'}:\n  mypy --strict: dapr_client.py\n  imported: dapr_client" in err
    )


def _result_with(files: dict[str, str]) -> Result:
    """A real client result whose files are replaced by these (path: content)."""
    base = generate("client", {"blocks": ["state"]})
    template = base.files[0]
    replaced = [template.model_copy(update={"path": path, "content": text}) for path, text in files.items()]
    return base.model_copy(update={"files": replaced})


def test_verify_reports_a_result_file_that_fails_mypy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tools.cli.generate", lambda *_, **__: _result_with({"broken.py": "def f(x):\n    return x\n"}))
    code, _, err = _run(capsys, "generate", "client", "-o", str(tmp_path / "out"), "--verify")
    assert code == 1
    assert "mypy --strict" in err
    assert "broken.py" in err


def test_an_out_folder_that_cannot_be_made_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, out, err = _run(capsys, "generate", "client", "-o", str(blocker / "out"))
    assert (code, out) == (2, "")
    assert err.startswith(f"dapr-coder: -o: cannot write {blocker / 'out'}")


@pytest.mark.parametrize("existing", [b"caf\xe9\n", None])
def test_a_file_that_differs_only_in_bytes_is_in_the_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], existing: bytes | None
) -> None:
    # Compared as bytes: a latin-1 file does not crash the comparison, a CRLF copy is not "unchanged".
    code, out, _ = _run(capsys, "generate", "client", "--json")
    content = json.loads(out)["files"][0]["content"]
    target = tmp_path / "dapr_client.py"
    target.write_bytes(existing if existing is not None else content.replace("\n", "\r\n").encode("utf-8"))
    code, _, err = _run(capsys, "generate", "client", "-o", str(tmp_path))
    assert code == 2
    assert "would overwrite" in err


def test_an_engine_defect_is_not_reported_as_bad_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise SnippetError("rendering client/dapr_client.py.jinja failed")

    monkeypatch.setattr("tools.cli.generate", broken)
    code, out, err = _run(capsys, "generate", "client")
    assert (code, out) == (1, "")
    assert "rendering client/dapr_client.py.jinja failed" in err


class _Inner(SpecModel):
    depth: int = 1


class _Mixed(SpecModel):
    name: str = "a"
    count: int | None = None
    tags: list[str] = Field(default_factory=list)
    inner: _Inner = Field(default_factory=_Inner)
    rows: list[_Inner] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


def test_only_scalars_choices_and_plain_lists_become_flags() -> None:
    # The one decision that both the CLI parser and the option tables in references/ read.
    assert spec_flags(_Mixed) == {"name": "--name", "count": "--count", "tags": "--tags"}


def test_list_rejects_an_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["list", "--kind", "nope"])
    assert caught.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    code, out, _ = _run(capsys, "list", "--kind", "client")
    assert code == 0
    assert "client/dapr_client" in out


def test_verify_gives_up_on_a_module_that_hangs_on_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tools._verify

    monkeypatch.setattr(tools._verify, "_LIMIT", 5)
    slow = _result_with({"slow.py": "import time\n\ntime.sleep(60)\n"})
    monkeypatch.setattr("tools.cli.generate", lambda *_, **__: slow)
    code, _, err = _run(capsys, "generate", "client", "-o", str(tmp_path / "out"), "--verify")
    assert code == 1
    assert "gave up after 5 s" in err
