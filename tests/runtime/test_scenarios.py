"""Issue 15's scenarios on the real runtime, on every profile the generators offer (tests/runtime/scenarios.py).

One todo system per profile runs all its scenarios (the calm ones side by side), in the background process that
runs this pytest run's systems one at a time (tests/runtime/systems.py); each test reports its own scenario's
outcome once its system has run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from tests.runtime import real_system, scenarios, systems
from tests.runtime.environment import RuntimeEnv

pytestmark = pytest.mark.runtime

# Known bugs, open, each citing where it is described: marked as the known failure it is (not strict) rather than
# left to fail CI at random or hidden. None now ("restart mid-flow" was one: references/dapr-contract.md §18.5).
KNOWN_BUGS: dict[str, str] = {}

CASES = [
    pytest.param(
        profile,
        scenario.name,
        id=f"{profile}-{scenario.name.replace(' ', '_')}",
        marks=[pytest.mark.xfail(reason=KNOWN_BUGS[scenario.name], strict=False)]
        if scenario.name in KNOWN_BUGS
        else [],
    )
    for profile in real_system.PROFILES
    for scenario in scenarios.SCENARIOS
    if (profile, scenario.name) not in systems.NOT_ON
]


@pytest.fixture(scope="session")
def outcomes(runtime: RuntimeEnv) -> Callable[[str], systems.Outcomes]:
    return functools.partial(systems.outcomes, systems.TODO)


@pytest.mark.parametrize(("profile", "scenario"), CASES)
def test_scenario(
    profile: str, scenario: str, outcomes: Callable[[str], systems.Outcomes], request: pytest.FixtureRequest
) -> None:
    if profile == "kafka":
        request.getfixturevalue("kafka")
    failure = outcomes(profile)[scenario]
    assert failure is None, failure
