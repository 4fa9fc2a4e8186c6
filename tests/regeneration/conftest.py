"""A throw-away tracked generator, `widget`, added the way tests/engine/test_new_generator.py adds one: a spec, a
plan, snippets in a copy of the snippet folder and a registry with it. It writes a user-owned handlers module and
two generated files whose text follows the spec (a third only when `extra`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import skill.catalog
import skill.registry
import tools.cli
from skill import REGISTRY, registry_of
from skill.generator import Generator
from skill.plan import FilePlan, Plan
from skill.specs.common import Identifier, SpecModel

SNIPPETS = {
    "handlers.py": '''{#- snippet
title: Widget handlers
summary: The user's handlers, created once.
requires: ""
-#}
"""Handlers of the {{ name }} widget: yours to fill in; regenerating never rewrites this file."""


async def handle(payload: str) -> str:
    """Handle one {{ name }} request."""
    return payload
''',
    "settings.py": '''{#- snippet
title: Widget settings
summary: Settings from the spec.
requires: ""
-#}
"""Settings of the {{ name }} widget."""

GREETING = {{ greeting | py_str }}
RETRIES = {{ retries }}


def describe() -> str:
    """What the widget says."""
    return f"{GREETING} x{RETRIES}"


def name() -> str:
    """The widget's name."""
    return {{ name | py_str }}
''',
    "app.py": '''{#- snippet
title: Widget app
summary: Wires the handlers.
requires: ""
-#}
"""The {{ name }} widget's entry point."""

from widget.handlers import handle
from widget.settings import describe


async def main() -> str:
    """Run once."""
    return await handle(describe())
''',
    "extra.py": '''{#- snippet
title: Widget extra
summary: Only with `extra`.
requires: ""
-#}
"""Extra {{ name }} parts."""

EXTRA = True
''',
}


class WidgetSpec(SpecModel):
    """Options of the throw-away tracked generator."""

    name: Identifier = "widget"
    """The widget's name."""
    greeting: str = "Hello"
    """What it says."""
    retries: int = 3
    """How often it tries."""
    extra: bool = False
    """Also write widget/extra.py."""


@dataclass(frozen=True)
class WidgetContext:
    name: str
    greeting: str
    retries: int


def _plan(spec: WidgetSpec) -> Plan:
    context = WidgetContext(spec.name, spec.greeting, spec.retries)
    files = [
        FilePlan("widget/handlers.py", "widget/handlers", context, user_owned=True),
        FilePlan("widget/settings.py", "widget/settings", context),
        FilePlan("widget/app.py", "widget/app", context),
    ]
    if spec.extra:
        files.append(FilePlan("widget/extra.py", "widget/extra", context))
    return Plan(files=files, known_first_party=["widget"])


WIDGET = Generator(
    name="widget",
    title="Widget",
    description="Writes a small tracked package.",
    spec=WidgetSpec,
    plan=_plan,
    tracked=True,
)


class Widget:
    """Installs the widget generator; `release` plays a newer version of it (a snippet's text edited)."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self._tmp = tmp_path
        self._monkeypatch = monkeypatch
        self._releases = 0
        self._texts = dict(SNIPPETS)
        registry = registry_of([*REGISTRY.values(), WIDGET])
        monkeypatch.setattr(skill.registry, "REGISTRY", registry)
        monkeypatch.setattr(tools.cli, "REGISTRY", registry)
        self._install()

    def _install(self) -> None:
        # A fresh folder per release: the catalog and the Jinja environment are cached per snippets folder.
        self._releases += 1
        root = self._tmp / f"snippets-{self._releases}"
        shutil.copytree(skill.catalog.snippets_root() if self._releases == 1 else self._tmp / "snippets-1", root)
        (root / "widget").mkdir(exist_ok=True)
        for name, text in self._texts.items():
            (root / "widget" / f"{name}.jinja").write_text(text, encoding="utf-8")
        self._monkeypatch.setattr(skill.catalog, "SNIPPETS_ROOT", root)

    def release(self, snippet: str, old: str, new: str) -> None:
        assert old in self._texts[snippet], old
        self._texts[snippet] = self._texts[snippet].replace(old, new)
        self._install()


@pytest.fixture
def widget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Widget:
    return Widget(tmp_path, monkeypatch)
