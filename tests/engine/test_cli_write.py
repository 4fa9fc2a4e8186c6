"""`-o DIR`: file modes, failed writes, the paths printed, and what `--verify` checks (issue 7, items 4, 7, 8, 11)."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Restores the process umask after a test that sets it."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_follows_the_umask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mask: int, expected: int
) -> None:
    os.umask(mask)
    code, _, err = _run(capsys, "generate", "client", "-o", str(tmp_path))
    assert code == 0, err
    assert _mode(tmp_path / "dapr_client.py") == expected


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize("existing", [0o644, 0o755, 0o640])
def test_force_keeps_the_mode_of_the_file_it_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], existing: int
) -> None:
    os.umask(0o077)  # the replaced file's mode wins over the umask
    target = tmp_path / "dapr_client.py"
    target.write_text("# mine\n", encoding="utf-8")
    target.chmod(existing)
    code, _, err = _run(capsys, "generate", "client", "-o", str(tmp_path), "--force")
    assert code == 0, err
    assert target.read_text(encoding="utf-8") != "# mine\n"
    assert _mode(target) == existing


def _failing_mkstemp(*_: object, dir: str | os.PathLike[str] | None = None, **__: object) -> tuple[int, str]:
    """What tempfile.mkstemp raises in a folder the user cannot write to (we run as root in CI, so simulate it)."""
    raise PermissionError(errno.EACCES, "Permission denied", os.path.join(str(dir), ".dapr_client.py.x1y2.tmp"))


def test_a_failed_write_names_the_target_and_removes_the_folders_it_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "mkstemp", _failing_mkstemp)
    out_dir = tmp_path / "new" / "deeper" / "out"
    code, out, err = _run(capsys, "generate", "client", "-o", str(out_dir))
    assert (code, out) == (2, "")
    assert err == f"dapr-coder: -o: cannot write {out_dir / 'dapr_client.py'}: Permission denied\n"
    assert ".tmp" not in err
    assert list(tmp_path.iterdir()) == []  # new/deeper/out were made by this call: all removed again


def test_a_failed_write_leaves_folders_that_were_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "mkstemp", _failing_mkstemp)
    (tmp_path / "out").mkdir()
    code, _, _ = _run(capsys, "generate", "client", "-o", str(tmp_path / "out" / "client"))
    assert code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_rename_names_the_target_and_leaves_no_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(src), None, str(dst))

    monkeypatch.setattr(os, "replace", failing_replace)
    code, _, err = _run(capsys, "generate", "client", "-o", str(tmp_path / "out"))
    assert code == 2
    assert err == f"dapr-coder: -o: cannot write {tmp_path / 'out' / 'dapr_client.py'}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


def test_written_paths_are_printed_absolute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `uv run --directory X` used to make a relative -o land in X while only the relative path was printed.
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "generate", "client", "-o", "out/../out/client")
    assert code == 0, err
    assert f"wrote {tmp_path / 'out' / 'client' / 'dapr_client.py'}\n" in out
    code, out, _ = _run(capsys, "generate", "client", "-o", "out/client")
    assert f"unchanged {tmp_path / 'out' / 'client' / 'dapr_client.py'}\n" in out
    (tmp_path / "out" / "client" / "dapr_client.py").write_text("# edited\n", encoding="utf-8")
    code, _, err = _run(capsys, "generate", "client", "-o", "out/client")
    assert code == 2
    assert f"would overwrite files with different content: {tmp_path / 'out' / 'client' / 'dapr_client.py'}" in err


USER_MODULE = """\
import pathlib

pathlib.Path(__file__).with_name("side_effect_ran").write_text("yes")


def untyped(x):
    return x
"""


def test_verify_checks_only_the_files_of_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The user's own module beside the generated one: not mypy-strict clean, and importing it has a side effect.
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "user_code.py").write_text(USER_MODULE, encoding="utf-8")
    code, _, err = _run(capsys, "generate", "client", "--blocks", "state", "-o", str(out_dir), "--verify")
    assert code == 0, err
    assert not (out_dir / "side_effect_ran").exists()
    assert "user_code" not in err
    assert f"verified in {out_dir}:\n  mypy --strict: dapr_client.py\n  imported: dapr_client\n" in err


def test_verify_checks_unchanged_files_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "generate", "client", "--blocks", "state", "-o", str(tmp_path))
    assert code == 0, err
    code, out, err = _run(capsys, "generate", "client", "--blocks", "state", "-o", str(tmp_path), "--verify")
    assert code == 0, err
    assert "unchanged" in out
    assert "mypy --strict: dapr_client.py" in err


def test_verify_says_which_modules_it_did_not_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from skill import generate

    base = generate("client", {"blocks": ["state"]})
    client = base.files[0]
    test_file = client.model_copy(
        update={"path": "tests/test_client.py", "content": "import dapr_client\n\nassert dapr_client\n"}
    )
    conftest = client.model_copy(update={"path": "tests/conftest.py", "content": '"""Fixtures."""\n'})
    result = base.model_copy(update={"files": [client, test_file, conftest]})
    monkeypatch.setattr("tools.cli.generate", lambda *_, **__: result)
    code, _, err = _run(capsys, "generate", "client", "-o", str(tmp_path), "--verify")
    assert code == 0, err
    assert "mypy --strict: dapr_client.py, tests/conftest.py, tests/test_client.py" in err
    assert "imported: dapr_client\n" in err
    assert "not imported (test modules; run them with pytest): tests/conftest.py, tests/test_client.py" in err
