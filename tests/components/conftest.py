"""Renders of the components generator, shared by the tests of this folder (each spec rendered once)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from skill import generate
from skill.generators.components import GENERATOR
from skill.result import Result

SPECS: dict[str, Mapping[str, object]] = {"default": {}, **GENERATOR.examples}


@pytest.fixture(scope="session")
def renders() -> dict[str, Result]:
    return {name: generate("components", dict(spec)) for name, spec in SPECS.items()}


def documents(result: Result, path: str) -> list[Any]:
    """Every YAML document of one generated file."""
    (text,) = [f.content for f in result.files if f.path == path]
    return list(yaml.safe_load_all(text))


def files_of(result: Result, language: str) -> dict[str, str]:
    return {f.path: f.content for f in result.files if f.language == language}
