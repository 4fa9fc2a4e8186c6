"""`--verify` on services runs each one's checks in its own uv environment (`uv sync`, then `uv run` in its folder),
so it works wherever dapr-coder is installed (the wheel's environment has no pytest or mypy), names uv when it is
missing, and tells a terminal of each step as it ends."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools._verify import verify_projects
from tools.cli import main

_ROOT = Path(__file__).resolve().parents[2]


def _without_uv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_missing_uv_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without_uv(monkeypatch, tmp_path)
    report = verify_projects([tmp_path])
    assert len(report.problems) == 1
    assert report.problems[0].startswith("uv is not on PATH: --verify runs each service's checks with `uv run`")
    assert report.passed == []


def test_the_cli_says_what_it_verifies_on_a_terminal_and_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "todo"
    _without_uv(monkeypatch, tmp_path)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["new", "todo-system", str(out), "--verify"]) == 1
    err = capsys.readouterr().err
    assert "verifying 3 service folder(s): uv sync, then mypy, pytest, ruff check and ruff format" in err
    assert "uv is not on PATH" in err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_verify_works_from_the_built_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    """The wheel, installed in a venv outside the repository (no pytest, no mypy there), runs the README's main
    command with --verify; its stderr is a terminal, so each step is reported as it ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST", "UV_PROJECT"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"

    def uv(*args: str) -> None:
        done = subprocess.run(["uv", *args], cwd=_ROOT, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr

    uv("build", "--wheel", "--quiet", "-o", str(tmp_path / "dist"))
    venv = tmp_path / "venv"
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    wheels = [str(w) for w in (tmp_path / "dist").glob("*.whl")]
    uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *wheels)
    absent = subprocess.run([venv / "bin" / "python", "-c", "import pytest"], capture_output=True, check=False)
    assert absent.returncode == 1  # the checks cannot borrow the installed tool's environment
    leader, follower = pty.openpty()
    argv = [str(venv / "bin" / "dapr-coder"), "new", "todo-system", str(tmp_path / "out" / "todo"), "--verify"]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    err = _read_all(leader)  # while it runs: a full terminal buffer would stop the child
    assert proc.wait(timeout=900) == 0, err
    assert "No module named" not in err
    for service in ("task-api", "recurring-task", "notification"):
        for step in ("uv sync", "mypy", "pytest -q", "ruff check", "ruff format"):
            assert f"  {service}: {step}: ok (" in err, err


def _read_all(fd: int) -> str:
    """Everything written to a pty until its other end closes (Linux then raises EIO)."""
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
