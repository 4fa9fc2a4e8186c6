"""The record a tracked generator leaves in its folder, so a later run can merge instead of overwrite.

`.dapr-coder/manifest.json`::

    {"format": 1, "generator": "<name>", "skill_version": "<package version>", "spec": {<the spec as given>},
     "files": {"<path>": {"sha256": "<hex of the generated content>", "user_owned": false}, ...}}

`.dapr-coder/base.json` holds the pristine render, `{"<path>": "<content>"}`: the common ancestor of a three-way
merge once the generator itself has changed (its new render can no longer say what the old one was).

Pure: texts in, models and texts out; reading and writing the folder is the front doors' part.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import metadata
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic_core import to_jsonable_python

from skill.errors import SkillError
from skill.result import Result
from skill.specs.common import SpecModel

__all__ = [
    "BASE_PATH",
    "MANIFEST_DIR",
    "MANIFEST_PATH",
    "FileRecord",
    "Manifest",
    "ManifestError",
    "base_text",
    "content_sha256",
    "manifest_text",
    "parse_base",
    "parse_manifest",
    "record",
    "skill_version",
    "spec_record",
]

MANIFEST_DIR = ".dapr-coder"
MANIFEST_PATH = f"{MANIFEST_DIR}/manifest.json"
BASE_PATH = f"{MANIFEST_DIR}/base.json"


class ManifestError(SkillError, ValueError):
    """A folder's record is missing, unreadable or inconsistent: the caller's to fix (bad input). The message
    starts with the file."""


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def skill_version() -> str:
    """The installed package's version ("0" when run from a tree that is not installed)."""
    try:
        return metadata.version("async-dapr-coder")
    except metadata.PackageNotFoundError:
        return "0"


def _relative_path(path: str) -> str:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path or str(pure) != path:
        raise ValueError(f"{path!r} must be a plain relative '/'-separated path inside the folder")
    if pure.parts[0] == MANIFEST_DIR:
        raise ValueError(f"{path!r} is inside {MANIFEST_DIR}/, which holds the record itself")
    return path


class FileRecord(BaseModel):
    """One file the generator made."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the content as generated (UTF-8).")
    user_owned: bool = Field(default=False, description="Created once, then the user's: never rewritten.")


class Manifest(BaseModel):
    """What a tracked generator wrote into a folder, and from which spec."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1] = 1
    generator: str = Field(min_length=1, description="The registry name of the generator.")
    skill_version: str = Field(description="async-dapr-coder's version that wrote it.")
    spec: dict[str, Any] = Field(description="The spec options as given (defaults left out stay defaults).")
    files: dict[str, FileRecord]

    @field_validator("files")
    @classmethod
    def _paths_inside(cls, files: dict[str, FileRecord]) -> dict[str, FileRecord]:
        for path in files:
            _relative_path(path)
        return files


def spec_record(spec: SpecModel | Mapping[str, object] | None) -> dict[str, Any]:
    """The spec as stored: a parsed spec as the options that were set (defaults left out, so a newer generator's
    defaults apply when it is regenerated), a mapping as it is; JSON values either way."""
    if spec is None:
        return {}
    data = spec.model_dump(mode="json", exclude_unset=True) if isinstance(spec, SpecModel) else dict(spec)
    return dict(to_jsonable_python(data))


def record(result: Result, spec: SpecModel | Mapping[str, object] | None) -> tuple[Manifest, dict[str, str]]:
    """The manifest and the pristine base for `result`, rendered from `spec`."""
    files = {f.path: FileRecord(sha256=content_sha256(f.content), user_owned=f.user_owned) for f in result.files}
    manifest = Manifest(generator=result.kind, skill_version=skill_version(), spec=spec_record(spec), files=files)
    return manifest, {f.path: f.content for f in result.files}


def manifest_text(manifest: Manifest) -> str:
    return manifest.model_dump_json(indent=2) + "\n"


def base_text(base: Mapping[str, str]) -> str:
    return json.dumps(dict(base), indent=2, ensure_ascii=False) + "\n"


def _problems(exc: ValidationError) -> str:
    shown = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(part) for part in err["loc"]) or "top level"
        shown.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    more = len(exc.errors()) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _json(text: bytes | str, source: str) -> object:
    try:
        return json.loads(text)
    except UnicodeDecodeError:
        raise ManifestError(f"{source}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{source}: is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise ManifestError(f"{source}: is nested too deeply to be a record") from None


def parse_manifest(text: bytes | str, source: str) -> Manifest:
    """The manifest in `text` (read from `source`, the name every error starts with); ManifestError otherwise."""
    data = _json(text, source)
    if not isinstance(data, dict):
        raise ManifestError(f"{source}: must hold a JSON object")
    if data.get("format", 1) != 1:
        raise ManifestError(f"{source}: format {data['format']!r} is not one this version reads (1)")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(f"{source}: {_problems(exc)}") from None


_BASE = TypeAdapter(dict[str, str])


def parse_base(text: bytes | str, source: str, manifest: Manifest) -> dict[str, str]:
    """The pristine render in `text`; it must hold exactly the manifest's files, each with the recorded hash."""
    try:
        base = _BASE.validate_python(_json(text, source))
    except ValidationError as exc:
        raise ManifestError(f"{source}: must map each file's path to its generated text ({_problems(exc)})") from None
    if set(base) != set(manifest.files):
        odd = sorted(set(base) ^ set(manifest.files))
        raise ManifestError(f"{source}: must hold exactly the files of {MANIFEST_PATH} (differs at {', '.join(odd)})")
    for path, content in base.items():
        if content_sha256(content) != manifest.files[path].sha256:
            raise ManifestError(f"{source}: {path} does not have the sha256 {MANIFEST_PATH} records for it")
    return base
