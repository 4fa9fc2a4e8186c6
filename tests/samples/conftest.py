"""Render a models spec and import it, so samples are checked against exactly the models users get."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.models.conftest import load_module, render_models

Loader = Callable[[Mapping[str, Any]], ModuleType]


@pytest.fixture(scope="session")
def load(tmp_path_factory: pytest.TempPathFactory) -> Loader:
    """Render and import a spec (load_module gives each import its own module name, as pydantic needs)."""
    directory: Path = tmp_path_factory.mktemp("samples")

    def loaded(spec: Mapping[str, Any]) -> ModuleType:
        return load_module(render_models(spec), directory, "sample_models")

    return loaded
