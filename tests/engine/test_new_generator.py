"""A throw-away generator, added the way CONTRIBUTING.md says (a spec, a plan, a snippet, one registry entry), is
picked up by every door, the catalog and the checks with no edit anywhere else."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp import Client

import skill.catalog
import skill.registry
import tools.cli
from skill import REGISTRY, InvalidOutputError, generate, list_snippets, registry_of, show_snippet
from skill.generator import Generator
from skill.plan import FilePlan, Plan
from skill.specs.common import Identifier, SpecModel
from tests.doors._support import structured, text_of
from tools.mcp_server import build_server

SNIPPET = '''{#- snippet
title: Greeting
summary: A function that greets.
requires: pydantic>=2
-#}
"""Greetings."""


def {{ function }}(name: str) -> str:
    """Greet someone."""
    return {{ greeting | py_str }} + name
{% if sloppy %}

import os
{% endif %}
'''


class GreetingSpec(SpecModel):
    """Options of the throw-away generator."""

    function: Identifier = "greet"
    """Name of the function."""
    greeting: str = "Hello, "
    """What to say first."""
    sloppy: bool = False
    """Render code that fails the lint (to see the checks catch it)."""


@dataclass(frozen=True)
class GreetingContext:
    function: str
    greeting: str
    sloppy: bool


def _plan(spec: GreetingSpec) -> Plan:
    context = GreetingContext(spec.function, spec.greeting, spec.sloppy)
    return Plan(files=[FilePlan("greeting.py", "greeting/greeting", context)], requirements=["pydantic>=2"])


GREETING = Generator(
    name="greeting",
    title="Greeting",
    description="Writes a greeting function.",
    spec=GreetingSpec,
    plan=_plan,
    examples={"short": {"greeting": "Hi "}},
)


@pytest.fixture
def with_greeting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "snippets"
    shutil.copytree(skill.catalog.snippets_root(), root)
    (root / "greeting").mkdir()
    (root / "greeting" / "greeting.py.jinja").write_text(SNIPPET, encoding="utf-8")
    registry = registry_of([*REGISTRY.values(), GREETING])
    monkeypatch.setattr(skill.catalog, "SNIPPETS_ROOT", root)
    monkeypatch.setattr(skill.registry, "REGISTRY", registry)
    monkeypatch.setattr(tools.cli, "REGISTRY", registry)


@pytest.mark.usefixtures("with_greeting")
def test_the_engine_catalog_and_checks_pick_it_up() -> None:
    assert [s.id for s in list_snippets("greeting").snippets] == ["greeting/greeting"]
    (only,) = show_snippet("greeting/greeting").rendered
    assert only.checks == ["ast.parse", "ruff format", "ruff check"]
    result = generate("greeting", {"function": "welcome", "greeting": 'It\'s "you", '})
    assert "def welcome(name: str) -> str:" in result.files[0].content
    with pytest.raises(InvalidOutputError, match="F401"):
        generate("greeting", {"sloppy": True})


@pytest.mark.usefixtures("with_greeting")
def test_the_cli_picks_it_up(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert tools.cli.main(["generate", "greeting", "--function", "hi", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["kind"] == "greeting"
    assert "def hi(" in payload["files"][0]["content"]
    assert tools.cli.main(["generate", "greeting", "--function", "class"]) == 2
    assert "function:" in capsys.readouterr().err
    assert tools.cli.main(["list", "--kind", "greeting"]) == 0
    assert "greeting/greeting" in capsys.readouterr().out


@pytest.mark.anyio
@pytest.mark.usefixtures("with_greeting")
async def test_the_mcp_server_picks_it_up() -> None:
    async with Client(build_server(skill.registry.REGISTRY)) as client:
        tools_listed = {t.name for t in (await client.list_tools()).tools}
        assert "dapr_generate_greeting" in tools_listed
        answer = await client.call_tool("dapr_generate_greeting", {"function": "hey"})
        assert not answer.is_error, text_of(answer)
        assert structured(answer)["kind"] == "greeting"
        bad = await client.call_tool("dapr_generate_greeting", {"function": "no way"})
        assert bad.is_error
        assert "function:" in text_of(bad)
