"""A generated folder someone tampered with: a symlink that leads out of it (a file, a dangling link, a package
folder, the handlers module, the record folder or one of its files), or a named pipe in place of the record. Both
doors refuse, naming the path, and write nothing; nothing ever blocks on the pipe."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doors._support import text_of
from tests.regeneration.test_mcp_regenerate import rooted
from tests.regeneration.test_regenerate import BASE, HANDLERS, MANIFEST, SETTINGS, _run, _write

pytestmark = pytest.mark.usefixtures("widget")

# variant: the path inside the folder that becomes a symlink out of it
LINKS = {
    "generated file": SETTINGS,
    "dangling link": "widget/app.py",
    "package folder": "widget",
    "handlers module": HANDLERS,
    "record folder": ".dapr-coder",
    "manifest": str(MANIFEST),
    "pristine base": str(BASE),
}


def _link_out(folder: Path, rel: str, outside: Path) -> Path:
    """Move `rel` out of `folder` (or, for the dangling case, delete it) and leave a symlink to where it went."""
    link = folder / rel
    moved = outside / rel.replace("/", "_")
    if rel == LINKS["dangling link"]:
        link.unlink()
    else:
        shutil.move(link, moved)
    link.symlink_to(moved, target_is_directory=moved.is_dir())
    return link


def _snapshot(*folders: Path) -> dict[str, bytes | str]:
    """Every entry under the folders, symlinks by their target: what a refusal must leave exactly as it was."""
    found: dict[str, bytes | str] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink():
                found[str(path)] = f"-> {os.readlink(path)}"
            elif path.is_file():
                found[str(path)] = path.read_bytes()
    return found


@pytest.fixture
def generated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    folder, outside = tmp_path / "out", tmp_path / "elsewhere"
    outside.mkdir()
    code, _, err = _write(capsys, folder)
    assert code == 0, err
    return folder, outside


@pytest.mark.parametrize("variant", LINKS)
def test_the_cli_refuses_a_symlink_out_of_the_folder(
    generated: tuple[Path, Path], capsys: pytest.CaptureFixture[str], variant: str
) -> None:
    folder, outside = generated
    link = _link_out(folder, LINKS[variant], outside)
    before = _snapshot(folder, outside)
    for argv in (["generate", "widget", "-o", str(folder)], ["generate", "widget", "-o", str(folder), "--force"]):
        code, stdout, err = _run(capsys, *argv)
        assert (code, stdout) == (2, ""), err
        assert err.startswith(f"dapr-coder: {link} is a symlink to ")
        assert f"outside {folder}" in err
        assert "Traceback" not in err
    code, stdout, err = _run(capsys, "check", str(folder))
    assert (code, stdout) == (2, "")
    assert err.startswith(f"dapr-coder: {link} is a symlink to ")
    assert _snapshot(folder, outside) == before


@pytest.mark.anyio
@pytest.mark.parametrize("variant", LINKS)
async def test_the_mcp_door_refuses_a_symlink_out_of_the_folder(
    generated: tuple[Path, Path], tmp_path: Path, variant: str
) -> None:
    folder, outside = generated
    link = _link_out(folder, LINKS[variant], outside)
    before = _snapshot(folder, outside)
    async with rooted(tmp_path) as client:  # the whole tmp_path is a root: only the folder's own rule applies
        for force in (False, True):
            answer = await client.call_tool("dapr_generate_widget", {"output_dir": "out", "force": force})
            assert answer.is_error
            message = text_of(answer)
            assert f"output_dir: {link} is a symlink to " in message
            assert f"outside {folder}" in message
    assert _snapshot(folder, outside) == before


def test_a_symlink_that_stays_inside_the_folder_is_followed(
    generated: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = generated
    (folder / SETTINGS).rename(folder / "settings.real")
    (folder / SETTINGS).symlink_to(Path("..") / "settings.real")
    assert _run(capsys, "check", str(folder))[0] == 0
    assert _write(capsys, folder)[0] == 0


PIPES = [str(MANIFEST), str(BASE)]


@contextlib.contextmanager
def _unblocked_after(pipe: Path, seconds: float = 20) -> Iterator[threading.Event]:
    """A watchdog: if something is still blocked opening `pipe` for reading after `seconds`, open it for writing
    (which succeeds only while a reader waits) to let it go, and set the event so that the test fails rather than
    hangs."""
    done, blocked = threading.Event(), threading.Event()

    def watch() -> None:
        while not done.wait(seconds):
            with contextlib.suppress(OSError):  # ENXIO: no reader is waiting
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
                blocked.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield blocked
    finally:
        done.set()
        watcher.join()


@pytest.mark.parametrize("rel", PIPES)
def test_the_cli_never_opens_a_named_pipe_in_the_record(
    generated: tuple[Path, Path], capsys: pytest.CaptureFixture[str], rel: str
) -> None:
    folder, _ = generated
    pipe = folder / rel
    pipe.unlink()
    os.mkfifo(pipe)
    for argv in (["check", str(folder)], ["generate", "widget", "-o", str(folder)]):
        with _unblocked_after(pipe) as blocked:
            code, stdout, err = _run(capsys, *argv)
        assert not blocked.is_set(), f"{argv[0]} blocked on the named pipe {pipe}"
        assert (code, stdout) == (2, "")
        assert f"dapr-coder: {pipe} is a named pipe, not a regular file" in err
    assert pipe.exists()
    assert not pipe.is_file()


@pytest.mark.anyio
@pytest.mark.parametrize("rel", PIPES)
async def test_the_mcp_door_never_opens_a_named_pipe_in_the_record(
    generated: tuple[Path, Path], tmp_path: Path, rel: str
) -> None:
    folder, _ = generated
    pipe = folder / rel
    pipe.unlink()
    os.mkfifo(pipe)
    with _unblocked_after(pipe) as blocked:
        async with rooted(tmp_path) as client:
            answer = await client.call_tool("dapr_generate_widget", {"output_dir": "out"})
    assert not blocked.is_set(), f"blocked on the named pipe {pipe}"
    assert answer.is_error
    assert f"output_dir: {pipe} is a named pipe, not a regular file" in text_of(answer)
