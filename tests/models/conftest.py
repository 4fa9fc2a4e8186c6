"""Render the models generator and import what it returns, so tests exercise exactly what users get."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill.pipeline import generate
from tests.client.conftest import load_module

__all__ = ["load_module", "render_models"]


def render_models(spec: Mapping[str, Any] | None = None) -> str:
    """The checked (ruff-formatted and linted) module for a spec."""
    (file,) = generate("models", dict(spec or {})).files
    return file.content


@pytest.fixture(scope="session")
def events(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The default render: the todo system's preset."""
    return load_module(render_models(), tmp_path_factory.mktemp("models_default"), "events")


@pytest.fixture(scope="session")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models_variants")
