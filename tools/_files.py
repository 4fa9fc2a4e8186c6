"""Writing a Result to a folder: nothing is written if a file is in the way, each file is replaced atomically, and
a file the user changed is never overwritten unless asked.

Every file is first written to a temporary file beside its target; only when all of them are written are they
renamed into place, so a failure (a full disk, a folder that cannot be made) leaves no file half-written and no
folder that this call created.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from skill import Result

__all__ = [
    "FilesInTheWay",
    "NotRegularFileError",
    "OutsideRootsError",
    "absolute",
    "check_no_escape",
    "commit",
    "inside_roots",
    "read_regular",
    "same",
    "target",
    "write_result",
]


class OutsideRootsError(ValueError):
    """A folder (or a file under it, through a symlink) that is outside every folder the caller may write."""


class FilesInTheWay(Exception):  # noqa: N818 - reads as a sentence at the call site
    """Files exist with other content; nothing was written."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        listed = ", ".join(str(p) for p in paths)
        super().__init__(f"would overwrite files with different content: {listed} (use --force to replace them)")


def absolute(path: Path) -> Path:
    """`path` made absolute without resolving symlinks (the user's spelling of the folder, from the root)."""
    return Path(os.path.abspath(path))


def target(out_dir: Path, rel: str) -> Path:
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts:  # the engine never plans such paths; refuse if it ever did
        raise ValueError(f"refusing to write outside {out_dir}: {rel}")
    return out_dir.joinpath(*pure.parts)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def inside_roots(output_dir: str, roots: list[Path]) -> Path:
    """`output_dir` (relative ones under the first root) as an absolute path, after checking that it is, symlinks
    resolved, inside one of `roots`; OutsideRootsError names the roots otherwise."""
    given = Path(output_dir).expanduser()
    folder = absolute(given if given.is_absolute() else roots[0] / given)
    real = Path(os.path.realpath(folder))
    if not any(_within(real, Path(os.path.realpath(r))) for r in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise OutsideRootsError(f"{output_dir} is outside the folders this server may write ({allowed})")
    return folder


def check_no_escape(out_dir: Path, targets: list[Path]) -> None:
    """Refuse a target that a symlink (a linked subfolder or file, dangling or not) would send outside `out_dir`;
    the message names the link itself."""
    real_out = Path(os.path.realpath(out_dir))
    for path in targets:
        if not _within(Path(os.path.realpath(path)), real_out):
            link = _first_link_out(out_dir, path, real_out)
            raise OutsideRootsError(
                f"{link} is a symlink to {os.path.realpath(link)}, outside {out_dir}; nothing was written: replace "
                "the link with the file or folder itself"
            )


def _first_link_out(out_dir: Path, path: Path, real_out: Path) -> Path:
    """The outermost component of `path` below `out_dir` that resolves outside it (a symlink: its parent is
    inside)."""
    step = out_dir
    for part in path.relative_to(out_dir).parts:
        step = step / part
        if not _within(Path(os.path.realpath(step)), real_out):
            return step
    return path


class NotRegularFileError(ValueError):
    """A path the tools would read holds a named pipe, a device, a socket or a folder, never read since reading a
    pipe or a device can block for ever."""

    def __init__(self, path: Path, mode: int) -> None:
        kind = "a named pipe" if stat.S_ISFIFO(mode) else "a folder" if stat.S_ISDIR(mode) else "a special file"
        super().__init__(f"{path} is {kind}, not a regular file")
        self.path = path


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file at `path` (a symlink to one followed); FileNotFoundError when there is none,
    NotRegularFileError for anything else. Opened without blocking and checked on the open descriptor, so a named pipe
    put in the file's place (even between a check and the read) never hangs the caller."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(path, mode)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def same(path: Path, text: str) -> bool:
    """Whether `path` already holds exactly these bytes (compared as bytes: a CRLF or non-UTF-8 copy differs)."""
    return path.is_file() and path.read_bytes() == text.encode("utf-8")


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    # os.umask can only be read by setting it: the lock keeps two MCP tool threads from reading each other's 0o077.
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """A replaced file keeps its permissions; a new one gets what `open()` would give it (0666 less the umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _make_folder(folder: Path, created: list[Path]) -> None:
    """`mkdir -p`, recording each folder it made (outermost first) so a failed write can remove them again."""
    missing = []
    for parent in [folder, *folder.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        parent.mkdir(exist_ok=True)
        created.append(parent)


def _stage(path: Path, text: str) -> Path:
    """Write `text` to a new temporary file beside `path`, with the mode `path` will have; returns its path."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))  # mkstemp makes it 0600 whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def commit(writes: Sequence[tuple[Path, str]], removals: Sequence[Path] = ()) -> list[Path]:
    """Write each `(path, text)` atomically, all staged before any is renamed into place, then remove `removals`;
    returns the paths written. Shared by `write_result` and the tracked update (tools/_update.py).

    An OSError (a folder that cannot be made, a full disk) propagates for the caller to report, naming the file
    or folder that could not be written (never a temporary file), after removing the folders this call made.
    """
    created: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in writes:
            _make_folder(path.parent, created)
            try:
                staged.append((_stage(path, text), path))
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(path)) from exc
        for tmp, path in staged:
            try:
                os.replace(tmp, path)  # atomic: a reader never sees half a file
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(path)) from exc
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):  # not empty any more (another writer): leave it
                folder.rmdir()
        raise
    for path in removals:  # last: a failure above leaves every file where it was
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
    return [path for _, path in staged]


def write_result(result: Result, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write every file of `result` under `out_dir`; returns the paths written (unchanged files skipped).

    An OSError propagates as `commit` describes.
    """
    targets = [(target(out_dir, f.path), f.content) for f in result.files]
    check_no_escape(out_dir, [p for p, _ in targets])
    clashes = [p for p, text in targets if p.exists() and not same(p, text)]
    if clashes and not force:
        raise FilesInTheWay(clashes)
    return commit([(path, text) for path, text in targets if not same(path, text)])
