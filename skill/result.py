"""What every generator returns: files, the packages they need, notes for the reader and the lint status."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from skill.outline import FileOutline
from skill.style import Style

__all__ = ["GeneratedFile", "Language", "LintStatus", "Result"]

Language = Literal["python", "toml", "yaml", "json", "dockerfile", "markdown", "text"]


class GeneratedFile(BaseModel):
    """One output file, its path relative to the output folder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(description="Path relative to the output folder, '/'-separated.")
    content: str = Field(description="The full file text, formatted and checked.")
    language: Language
    snippet: str = Field(description="Id of the snippet it was rendered from.")
    checks: list[str] = Field(description="The checks this file passed, in the order they ran.")
    # Left out of the JSON when False, so the payload of a generator without such files does not change.
    user_owned: bool = Field(
        default=False,
        exclude_if=lambda owned: not owned,
        description="The user's to edit once written: regenerating a folder creates it if missing, never rewrites it.",
    )
    # Read from the syntax tree the checks built anyway; not part of the JSON payload (the doors decide whether an
    # outline is worth sending).
    outline: FileOutline | None = Field(default=None, exclude=True, repr=False)


class LintStatus(BaseModel):
    """How the files were checked. Code that fails any check is never returned, so `passed` is the norm."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["passed"] = "passed"
    ruff_version: str
    rules: list[str] = Field(description="ruff rule families enforced on Python output.")
    files_checked: int


class Result(BaseModel):
    """A generator's output (version 1 of this payload)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    kind: str = Field(description="The generator that made it.")
    files: list[GeneratedFile]
    requirements: list[str] = Field(description="PEP 508 requirements the generated code imports.")
    notes: list[str] = Field(description="What the reader should know before using the files.")
    style: Style = Field(description="The formatter settings the Python files were written with.")
    lint: LintStatus

    def file(self, path: str) -> GeneratedFile:
        """The file at `path`; KeyError if there is none."""
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(path)
