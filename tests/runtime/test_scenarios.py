"""Issue 15's scenarios on the real runtime, on every profile the generators offer (tests/runtime/scenarios.py).

One todo system per profile runs all its scenarios (the calm ones side by side), the first time a test of that
profile asks; each test then reports its own scenario's outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runtime import processes, real_system, scenarios
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]

# The Kafka profile has no broker relay: its outage scenario is not run (tests/runtime/README.md).
NOT_ON = {("kafka", "broker down at publish")}
CASES = [
    pytest.param(profile, scenario.name, id=f"{profile}-{scenario.name.replace(' ', '_')}")
    for profile in real_system.PROFILES
    for scenario in scenarios.SCENARIOS
    if (profile, scenario.name) not in NOT_ON
]

Outcomes = dict[str, str | None]


@pytest.fixture(scope="session")
def outcomes(runtime: RuntimeEnv, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Outcomes]:
    ran: dict[str, Outcomes] = {}

    def of(profile: str) -> Outcomes:
        if profile not in ran:
            names = tuple(s.name for s in scenarios.SCENARIOS if (profile, s.name) not in NOT_ON)
            ran[profile] = asyncio.run(run_profile(runtime, profile, tmp_path_factory.mktemp(profile), names))
        return ran[profile]

    return of


async def run_profile(runtime: RuntimeEnv, profile: str, workdir: Path, names: tuple[str, ...]) -> Outcomes:
    """One system on `profile`, with a scheduler of its own (a job left by an earlier system must not fire
    into this one, whose apps have the same ids)."""
    with processes.scheduler(runtime, workdir / "scheduler") as scheduler:
        async with real_system.running(runtime, real_system.PROFILES[profile], workdir, scheduler.address) as system:
            results = await scenarios.run_all(system, names)
            if any(results.values()):
                (workdir / "logs.txt").write_text(system.logs(), encoding="utf-8")
            return results


@pytest.mark.parametrize(("profile", "scenario"), CASES)
def test_scenario(
    profile: str, scenario: str, outcomes: Callable[[str], Outcomes], request: pytest.FixtureRequest
) -> None:
    if profile == "kafka":
        request.getfixturevalue("kafka")
    failure = outcomes(profile)[scenario]
    assert failure is None, failure
