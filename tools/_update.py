"""Writing a tracked generator's folder without losing an edit, and telling how far a folder has drifted.

A tracked folder carries its record (`.dapr-coder/`, see skill/manifest.py): what was generated, from which spec,
and the pristine render. Regenerating compares each file on disk with that render:

- a user-owned file is created when missing and never rewritten;
- a file as generated is replaced by the new render;
- a file the user edited gets a three-way merge (the old render, the user's text, the new render): a clean merge
  is written, an overlapping one is written with conflict markers and reported, never silently overwritten;
- a generated file the user deleted stays deleted; one the generator no longer makes is removed only if unchanged;
- a new file whose path a different user file already holds is merged against an empty base (markers).

The record is then rewritten with the new render's hashes (not the merged text's), so `check` keeps reporting the
user's edits. Everything is staged before anything is renamed into place (tools/_files.py `commit`).
"""

from __future__ import annotations

import ast
import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from skill import (
    BASE_PATH,
    MANIFEST_PATH,
    Generator,
    Manifest,
    ManifestError,
    Result,
    SpecError,
    SpecModel,
    base_text,
    find_style,
    generate,
    get_generator,
    manifest_text,
    merge3,
    parse_base,
    parse_manifest,
    parse_python,
    record,
)
from tools._files import FilesInTheWay, check_no_escape, commit, same, target

__all__ = [
    "Action",
    "Drift",
    "DriftReport",
    "FileUpdate",
    "UpdatePlan",
    "apply_update",
    "check",
    "drift_text",
    "plan_update",
    "read_record",
    "update_folder",
]

Action = Literal["created", "updated", "merged", "conflict", "unchanged", "kept", "stays deleted", "removed"]


@dataclass(frozen=True)
class FileUpdate:
    """What an update does to one file; `text` is written when given, the file removed when `remove`."""

    path: str  # relative to the folder, '/'-separated
    action: Action
    note: str = ""
    text: str | None = None
    remove: bool = False


@dataclass(frozen=True)
class UpdatePlan:
    """Every file's update, and the record to write after them; nothing is touched until `apply_update`."""

    folder: Path
    generator: str
    files: tuple[FileUpdate, ...]
    manifest: str
    base: str

    @property
    def conflicts(self) -> list[FileUpdate]:
        return [f for f in self.files if f.action == "conflict"]

    def lines(self) -> list[str]:
        """One `action path (note)` line per file, paths absolute."""
        return [f"{f.action} {self.folder.joinpath(f.path)}" + (f" ({f.note})" if f.note else "") for f in self.files]


def _read(path: Path) -> str | bytes | None:
    """The file's text; its bytes when it is not UTF-8; None when there is no file (a folder in the way reads as
    bytes: something the update must not touch)."""
    if not path.exists():
        return None
    if not path.is_file():
        return b""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def read_record(folder: Path) -> tuple[Manifest, dict[str, str]] | None:
    """The folder's manifest and pristine base; None when it has no manifest; ManifestError (naming the file) when
    either is unreadable, broken or they disagree."""
    manifest_file, base_file = target(folder, MANIFEST_PATH), target(folder, BASE_PATH)
    if not manifest_file.exists():
        return None
    try:
        manifest = parse_manifest(manifest_file.read_bytes(), str(manifest_file))
    except OSError as exc:
        raise ManifestError(f"{manifest_file}: cannot be read ({exc.strerror or exc})") from None
    try:
        base = parse_base(base_file.read_bytes(), str(base_file), manifest)
    except FileNotFoundError:
        raise ManifestError(
            f"{base_file}: is missing, so edits cannot be merged; remove {folder.joinpath(MANIFEST_PATH)} to write "
            "the folder afresh (files that differ are then refused unless forced)"
        ) from None
    except OSError as exc:
        raise ManifestError(f"{base_file}: cannot be read ({exc.strerror or exc})") from None
    return manifest, base


def _merged(path: str, before: str, disk: str, now: str) -> FileUpdate:
    merge = merge3(before, disk, now)
    if merge.text == disk:
        return FileUpdate(path, "kept", "your edits; nothing new to merge")
    if merge.clean:
        return FileUpdate(path, "merged", "your edits kept", merge.text)
    note = f"{merge.conflicts} conflict(s) marked <<<<<<< yours ... >>>>>>> generated now: resolve them"
    return FileUpdate(path, "conflict", note, merge.text)


def _missing_definitions(disk: str | bytes, render: str) -> list[str]:
    """Top-level functions and classes of `render` that the user's `disk` version does not define, each with its
    signature (the user writes the body). Unparsable text is the user's business: nothing is reported."""
    if isinstance(disk, bytes):
        return []
    try:
        mine, new = parse_python(disk), parse_python(render)
    except SyntaxError:
        return []
    defined = {n.name for n in mine.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    found = []
    for node in new.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name not in defined:
            prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
            returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
            found.append(f"`{prefix} {node.name}({ast.unparse(node.args)}){returns}`")
        elif isinstance(node, ast.ClassDef) and node.name not in defined:
            found.append(f"`class {node.name}`")
    return found


def _first_write(folder: Path, result: Result, *, force: bool) -> list[FileUpdate]:
    """No record yet: the plain write's rules (files in the way refused unless forced)."""
    updates, clashes = [], []
    for f in result.files:
        path = target(folder, f.path)
        if not path.exists():
            updates.append(FileUpdate(f.path, "created", text=f.content))
        elif same(path, f.content):
            updates.append(FileUpdate(f.path, "unchanged"))
        else:
            clashes.append(path)
            updates.append(FileUpdate(f.path, "updated", "replaced (forced)", f.content))
    if clashes and not force:
        raise FilesInTheWay(clashes)
    return updates


def _like(disk: str | bytes | None, text: str) -> str:
    """`text` with the line endings of `disk`: CRLF when every line there ends so (a checkout that converts line
    endings, such as git's autocrlf), so that such a copy compares equal to the render and keeps its endings."""
    if isinstance(disk, str) and "\r" not in text and disk.count("\n") and disk.count("\r\n") == disk.count("\n"):
        return text.replace("\n", "\r\n")
    return text


def _regenerated(
    folder: Path, result: Result, manifest: Manifest, base: Mapping[str, str], *, force: bool
) -> Iterator[FileUpdate]:
    for f in result.files:
        disk, known = _read(target(folder, f.path)), manifest.files.get(f.path)
        now = _like(disk, f.content)
        before = None if f.path not in base else _like(disk, base[f.path])
        if disk is None:
            if known is not None and not known.user_owned and not f.user_owned and not force:
                yield FileUpdate(f.path, "stays deleted", "you deleted it; generate with force to bring it back")
            else:
                yield FileUpdate(f.path, "created", "recreated" if known is not None else "", f.content)
        elif disk == now:
            yield FileUpdate(f.path, "unchanged")
        elif f.user_owned:
            missing = _missing_definitions(disk, f.content) if f.language == "python" else []
            if missing:  # the regenerated routes call what the user's module lacks: it would fail on import
                note = "yours, kept; add what the new render defines and the generated code calls: " + "; ".join(
                    missing
                )
                yield FileUpdate(f.path, "conflict", note)
            else:
                yield FileUpdate(f.path, "kept", "yours: never rewritten")
        elif isinstance(disk, bytes):
            yield FileUpdate(f.path, "kept", "not a UTF-8 text file: left alone, not merged")
        elif force:
            yield FileUpdate(f.path, "updated", "your edits replaced (forced)", now)
        elif disk == before:
            yield FileUpdate(f.path, "updated", text=now)
        else:  # edited, or a new file whose path the user's own file holds: that one merges against nothing
            yield _merged(f.path, before or "", disk, now)
    made = {f.path for f in result.files}
    for path, known in manifest.files.items():
        if path in made:
            continue
        disk = _read(target(folder, path))
        if disk is None:
            continue
        if known.user_owned:
            yield FileUpdate(path, "kept", "no longer generated; yours, left in place")
        elif disk == _like(disk, base[path]):
            yield FileUpdate(path, "removed", "no longer generated", remove=True)
        else:
            yield FileUpdate(path, "kept", "no longer generated; kept because you changed it")


def plan_update(
    folder: Path,
    result: Result,
    generator: Generator,
    spec: SpecModel | Mapping[str, object] | None,
    *,
    force: bool = False,
) -> UpdatePlan:
    """What writing `result` (rendered by `generator` from `spec`) into `folder` does, file by file. Reads only.

    FilesInTheWay when the folder has no record and files there differ (unless `force`, which also replaces
    edited generated files of a tracked folder and brings back deleted ones; user-owned files are never
    rewritten); ManifestError when the record is broken or names another generator.
    """
    old = read_record(folder)
    if old is not None and old[0].generator != generator.name:
        raise ManifestError(
            f"{folder.joinpath(MANIFEST_PATH)}: the folder was generated by {old[0].generator!r}, not "
            f"{generator.name!r}; write {generator.name} elsewhere"
        )
    removed = [] if old is None else [p for p in old[0].files if p not in {f.path for f in result.files}]
    paths = [f.path for f in result.files] + removed + [MANIFEST_PATH, BASE_PATH]
    check_no_escape(folder, [target(folder, p) for p in paths])
    if old is None:
        files = _first_write(folder, result, force=force)
    else:
        files = list(_regenerated(folder, result, *old, force=force))
    # Recorded as the options given, typed: "--retries 5" on a command line is stored as 5, not "5".
    parsed = spec if isinstance(spec, SpecModel) else generator.spec.model_validate(dict(spec or {}))
    new_manifest, new_base = record(result, parsed)
    return UpdatePlan(folder, generator.name, tuple(files), manifest_text(new_manifest), base_text(new_base))


def apply_update(plan: UpdatePlan) -> UpdatePlan:
    """Carry out `plan`: every file staged, then renamed into place, the record last; returns the plan. An OSError
    names the file that could not be written; one while staging (a full disk, a folder that cannot be made)
    leaves every file as it was (tools/_files.py `commit`)."""
    writes = [(target(plan.folder, f.path), f.text) for f in plan.files if f.text is not None]
    for rel, text in ((MANIFEST_PATH, plan.manifest), (BASE_PATH, plan.base)):
        path = target(plan.folder, rel)
        if not same(path, text):
            writes.append((path, text))
    commit(writes, [target(plan.folder, f.path) for f in plan.files if f.remove])
    return plan


# MCP tools run in worker threads: two calls on one folder must not plan from the same record and both apply.
_UPDATE_LOCK = threading.Lock()


def update_folder(
    folder: Path,
    result: Result,
    generator: Generator,
    spec: SpecModel | Mapping[str, object] | None,
    *,
    force: bool = False,
) -> UpdatePlan:
    """`plan_update` then `apply_update`, one update at a time in this process; returns what was done."""
    with _UPDATE_LOCK:
        return apply_update(plan_update(folder, result, generator, spec, force=force))


class Drift(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    state: Literal["changed", "deleted", "added", "removed"]


class DriftReport(BaseModel):
    """How a tracked folder differs from its record: the user's edits, and what regenerating would change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    folder: str
    generator: str
    skill_version: str = Field(description="The version that wrote the record.")
    spec_from: Literal["manifest", "given"]
    edited: list[Drift] = Field(description="Generated files the user changed or deleted (never user-owned ones).")
    regenerate: list[Drift] = Field(description="What the current generator would change against the record.")

    @property
    def clean(self) -> bool:
        return not self.edited and not self.regenerate


def _as_generated(path: Path, sha256: str) -> bool:
    """Whether the file holds the text with this hash, maybe with every line ending turned into CRLF."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() == sha256:
        return True
    crlf = data.count(b"\r\n")
    return crlf > 0 and crlf == data.count(b"\n") and hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest() == sha256


def untracked_reason(folder: Path) -> str:
    """Why `folder` has no record to check, exactly: it does not exist, it is a file, it lies inside a folder that
    has one (a service of a project: the record is the project's), or nothing was ever generated there."""
    if not folder.exists():
        return f"{folder}: no such folder"
    if not folder.is_dir():
        return f"{folder}: is a file; check takes the folder a service or project was generated into"
    for parent in folder.parents:
        if target(parent, MANIFEST_PATH).is_file():
            return (
                f"{folder}: is inside {parent}, which was generated as a whole (its record is "
                f"{parent.joinpath(MANIFEST_PATH)}); check that folder: dapr-coder check {parent}"
            )
    return (
        f"{folder}: was not generated by a tracked generator (no {MANIFEST_PATH}); `dapr-coder new` and "
        "`dapr-coder generate service -o DIR` write a folder that check can follow"
    )


def check(
    folder: Path,
    *,
    spec: Mapping[str, object] | None = None,
    registry: Mapping[str, Generator] | None = None,
) -> DriftReport:
    """The drift of `folder`; `spec` replaces the recorded one. ManifestError (no record, a broken one, an unknown
    generator) or SpecError (the spec breaks a rule of the current generator) are the caller's to fix."""
    found = read_record(folder) if folder.is_dir() else None
    if found is None:
        raise ManifestError(untracked_reason(folder))
    manifest, base = found
    try:
        generator = get_generator(manifest.generator, registry)
    except SpecError as exc:
        rule = exc.problems[0].rule
        raise ManifestError(f"{folder.joinpath(MANIFEST_PATH)}: generator: {manifest.generator!r} {rule}") from None
    edited = []
    for path, known in sorted(manifest.files.items()):
        file = target(folder, path)
        if known.user_owned:
            continue
        if not file.is_file():
            edited.append(Drift(path=path, state="deleted"))
        elif not _as_generated(file, known.sha256):
            edited.append(Drift(path=path, state="changed"))
    result = generate(
        generator.name, manifest.spec if spec is None else spec, style=find_style(folder), registry=registry
    )
    now = {f.path: f for f in result.files}
    regenerate = []
    for path in sorted(now.keys() | base.keys()):
        if path not in base:
            regenerate.append(Drift(path=path, state="added"))
        elif path not in now:
            regenerate.append(Drift(path=path, state="removed"))
        elif now[path].content != base[path] and not (now[path].user_owned and manifest.files[path].user_owned):
            regenerate.append(Drift(path=path, state="changed"))  # a user-owned file is never rewritten: no drift
    return DriftReport(
        folder=str(folder),
        generator=generator.name,
        skill_version=manifest.skill_version,
        spec_from="manifest" if spec is None else "given",
        edited=edited,
        regenerate=regenerate,
    )


def drift_text(report: DriftReport) -> str:
    """The report as a reader wants it: a heading, then one line per drifted file."""
    lines = [f"{report.folder}: generated by {report.generator} (async-dapr-coder {report.skill_version})"]
    if report.edited:
        lines.append("edited since generated:")
        lines += [f"  {d.state:8} {d.path}" for d in report.edited]
    if report.regenerate:
        lines.append(f"regenerating from the {'recorded' if report.spec_from == 'manifest' else 'given'} spec would:")
        verbs = {"changed": "change", "added": "add", "removed": "remove", "deleted": "delete"}
        lines += [f"  {verbs[d.state]:8} {d.path}" for d in report.regenerate]
    if report.clean:
        lines.append("clean: every file is as generated, and the generator would write the same")
    return "\n".join(lines) + "\n"
