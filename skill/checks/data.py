"""Data files: TOML and JSON must parse; YAML must parse (every document of a stream), and each Dapr document in
it must carry the fields the runtime reads (see `skill.checks.dapr`)."""

from __future__ import annotations

import json
import tomllib

import yaml

from skill.checks.dapr import dapr_problems
from skill.errors import InvalidOutputError
from skill.result import Language

__all__ = ["check"]


def _yaml(path: str, text: str) -> None:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise InvalidOutputError(path, [f"yaml does not parse: {exc}"]) from exc
    problems = [p for i, doc in enumerate(documents) for p in dapr_problems(doc, f"document {i + 1}")]
    if problems:
        raise InvalidOutputError(path, problems)


def check(path: str, language: Language, text: str) -> None:
    """Raise InvalidOutputError naming what is wrong with a non-Python file; silent when it is fine."""
    try:
        if language == "toml":
            tomllib.loads(text)
        elif language == "json":
            json.loads(text)
    except ValueError as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise InvalidOutputError(path, [f"{language} does not parse: {exc}"]) from exc
    if language == "yaml":
        _yaml(path, text)
