"""Properties every registered generator has: valid specs render clean and deterministically, and each file of
the result says which checks it passed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from skill import REGISTRY, generate
from skill.checks import CHECKS
from tests.engine.strategies import STRATEGIES


@pytest.mark.parametrize("name", sorted(set(REGISTRY) & set(STRATEGIES)))
def test_valid_specs_render_clean_and_the_same_twice(name: str) -> None:
    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(STRATEGIES[name])
    def check(spec: dict[str, Any]) -> None:
        # generate() raises unless every file passed its language's checks.
        first = generate(name, spec)
        assert first == generate(name, spec)
        for f in first.files:
            assert f.checks == list(CHECKS[f.language]), f.path

    check()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_defaults_and_examples_render(name: str) -> None:
    g = REGISTRY[name]
    for spec in [{}, *g.examples.values()]:
        result = generate(name, spec)
        assert result.files, (name, spec)
        assert result.kind == name
