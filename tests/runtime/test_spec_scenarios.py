"""Issue 15's proof point for project specs other than todo: the system generated from each spec of
tests/runtime/specs/ (shop, bookings) passes the scenarios that apply to it (tests/runtime/spec_scenarios.py) on
real daprd, on every profile. One system per spec and profile runs all its scenarios, in the background process
that runs this pytest run's systems one at a time (tests/runtime/systems.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.runtime import real_system, spec_scenarios, systems
from tests.runtime.environment import RuntimeEnv

pytestmark = pytest.mark.runtime

CASES = [
    pytest.param(spec, profile, scenario.name, id=f"{spec}-{profile}-{scenario.name.replace(' ', '_')}")
    for spec, scenarios in spec_scenarios.SCENARIOS.items()
    for profile in real_system.PROFILES
    for scenario in scenarios
]


@pytest.fixture(scope="session")
def spec_outcomes(runtime: RuntimeEnv) -> Callable[[str, str], systems.Outcomes]:
    return systems.outcomes


@pytest.mark.parametrize(("spec", "profile", "scenario"), CASES)
def test_spec_scenario(
    spec: str,
    profile: str,
    scenario: str,
    spec_outcomes: Callable[[str, str], systems.Outcomes],
    request: pytest.FixtureRequest,
) -> None:
    if systems.needs_kafka(spec, profile):
        request.getfixturevalue("kafka")
    failure = spec_outcomes(spec, profile)[scenario]
    assert failure is None, failure
