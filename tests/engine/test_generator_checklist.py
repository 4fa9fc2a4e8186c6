"""CONTRIBUTING.md's "Adding a generator", checked: each registered generator has every part, and a missing part
fails here by name."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from skill import REGISTRY, generate, list_snippets
from tests.engine.strategies import STRATEGIES
from tests.golden.cases import CASES

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(REGISTRY)


@pytest.mark.parametrize("name", NAMES)
def test_module_spec_and_snippets(name: str) -> None:
    g = REGISTRY[name]
    module = importlib.import_module(f"skill.generators.{name}")
    assert getattr(module, "GENERATOR", None) is g, f"skill/generators/{name}.py must export GENERATOR"
    assert g.spec.__module__ == f"skill.specs.{name}", f"{name}'s spec belongs in skill/specs/{name}.py"
    assert list_snippets(name).snippets, f"snippets/{name}/ has no snippet"
    assert g.examples, f"{name}: GENERATOR.examples needs non-default specs (golden files, both doors)"


@pytest.mark.parametrize("name", NAMES)
def test_golden_cases(name: str) -> None:
    wanted = {f"{name}-default", *(f"{name}-{example}" for example in REGISTRY[name].examples)}
    assert wanted <= set(CASES), f"golden cases missing for {name}: run `uv run python -m tests.golden.regen`"
    for case in wanted:
        assert (ROOT / "tests" / "golden" / case).is_dir(), f"run `uv run python -m tests.golden.regen` ({case})"


@pytest.mark.parametrize("name", NAMES)
def test_docs(name: str) -> None:
    g = REGISTRY[name]
    skill_md = (ROOT / "SKILL.md").read_text(encoding="utf-8")
    assert g.tool_name in skill_md, f"SKILL.md's table lacks {g.tool_name}"
    assert f"dapr-coder generate {name}" in skill_md, f"SKILL.md's table lacks `dapr-coder generate {name}`"
    assert (ROOT / "references" / f"{name}.md").is_file(), f"references/{name}.md is missing"
    assert f"references/{name}.md" in skill_md, f"SKILL.md does not link references/{name}.md"


@pytest.mark.parametrize("name", NAMES)
def test_property_strategy(name: str) -> None:
    assert name in STRATEGIES, f"tests/engine/strategies.py has no strategy of valid {name} specs"


@pytest.mark.parametrize("name", NAMES)
def test_python_output_takes_a_line_length(name: str) -> None:
    g = REGISTRY[name]
    if any(f.language == "python" for f in generate(name).files):
        assert "line_length" in g.spec.model_fields, f"{name} writes Python: give its spec `line_length`"
