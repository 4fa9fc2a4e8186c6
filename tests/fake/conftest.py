"""Render the in-memory Dapr fake (snippets/service/fake_dapr.py.jinja) through the pipeline's own render and
check stages, and import it beside a client render, so tests exercise exactly what a generated service ships."""

from __future__ import annotations

import importlib
import itertools
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from skill.catalog import get_snippet
from skill.checks import Draft, check_files
from skill.generators import fake
from skill.pipeline import generate
from skill.plan import template_variables
from skill.render import render_template
from skill.style import DEFAULT_STYLE

_serial = itertools.count()


def render_fake(blocks: Collection[str], *, subscriptions: bool = False) -> str:
    """The checked (ruff-formatted and linted) `tests/fake_dapr.py` for a client using `blocks`."""
    context = fake.context_for(blocks, subscriptions=subscriptions)
    template = get_snippet(fake.SNIPPET).template
    draft = Draft("tests/fake_dapr.py", render_template(template, template_variables(context)), "python", fake.SNIPPET)
    (checked,) = check_files([draft], DEFAULT_STYLE)
    return checked.content


def render_client(blocks: Collection[str]) -> str:
    (file,) = generate("client", {"blocks": list(blocks), "transport": "httpx"}).files
    return file.content


@dataclass
class Rendered:
    """A client and a fake rendered for the same blocks, written as one package and imported."""

    folder: Path
    package: str
    client: ModuleType
    fake: ModuleType


def write_rendered(blocks: Collection[str], directory: Path, *, subscriptions: bool = False) -> tuple[Path, str]:
    """`<directory>/<package>/{__init__,dapr_client,fake_dapr}.py`; the package's name."""
    package = f"fake_pkg_{next(_serial)}"
    folder = directory / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "dapr_client.py").write_text(render_client(blocks), encoding="utf-8")
    (folder / "fake_dapr.py").write_text(render_fake(blocks, subscriptions=subscriptions), encoding="utf-8")
    return folder, package


def load_rendered(blocks: Collection[str], directory: Path, *, subscriptions: bool = False) -> Rendered:
    folder, package = write_rendered(blocks, directory, subscriptions=subscriptions)
    sys.path.insert(0, str(directory))
    try:
        client = importlib.import_module(f"{package}.dapr_client")
        fake_module = importlib.import_module(f"{package}.fake_dapr")
    finally:
        sys.path.remove(str(directory))
    return Rendered(folder, package, client, fake_module)


SUPPORTED = ("state", "pubsub", "invoke", "bindings", "secrets", "jobs")


@pytest.fixture(scope="session")
def every_block(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Every answered block (the client's other blocks too, so their 501 shows)."""
    return load_rendered((*SUPPORTED, "configuration", "lock"), tmp_path_factory.mktemp("fake_all"))
