"""Writing a Result to a folder: nothing is written if a file is in the way, each file is replaced atomically, and
a file the user changed is never overwritten unless asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from skill import Result

__all__ = ["FilesInTheWay", "write_result"]


class FilesInTheWay(Exception):  # noqa: N818 - reads as a sentence at the call site
    """Files exist with other content; nothing was written."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        listed = ", ".join(str(p) for p in paths)
        super().__init__(f"would overwrite files with different content: {listed} (use --force to replace them)")


def _target(out_dir: Path, rel: str) -> Path:
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts:  # the engine never plans such paths; refuse if it ever did
        raise ValueError(f"refusing to write outside {out_dir}: {rel}")
    return out_dir.joinpath(*pure.parts)


def _same(path: Path, text: str) -> bool:
    """Whether `path` already holds exactly these bytes (compared as bytes: a CRLF or non-UTF-8 copy differs)."""
    return path.is_file() and path.read_bytes() == text.encode("utf-8")


def write_result(result: Result, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write every file of `result` under `out_dir`; returns the paths written (unchanged files skipped).

    OSError (a folder that cannot be made, a directory where a file should go) propagates for the caller to report.
    """
    targets = [(_target(out_dir, f.path), f.content) for f in result.files]
    clashes = [p for p, text in targets if p.exists() and not _same(p, text)]
    if clashes and not force:
        raise FilesInTheWay(clashes)
    written = []
    for path, text in targets:
        if _same(path, text):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(path)
    return written
