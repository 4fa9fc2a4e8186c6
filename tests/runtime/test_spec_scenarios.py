"""Issue 15's proof point for project specs other than todo: the system generated from each spec of
tests/runtime/specs/ (shop, bookings) passes the scenarios that apply to it (tests/runtime/spec_scenarios.py) on
real daprd, on every profile. One system per spec and profile runs all its scenarios, the first time a test of
that pair asks; a system runs alone on the machine and outcomes are shared between xdist workers as in
test_scenarios.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runtime import environment, processes, real_system, spec_scenarios
from tests.runtime.environment import RuntimeEnv
from tests.runtime.test_scenarios import one_system_at_a_time

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]

Outcomes = dict[str, str | None]

CASES = [
    pytest.param(spec, profile, scenario.name, id=f"{spec}-{profile}-{scenario.name.replace(' ', '_')}")
    for spec, scenarios in spec_scenarios.SCENARIOS.items()
    for profile in real_system.PROFILES
    for scenario in scenarios
]


async def run_spec_profile(
    runtime: RuntimeEnv, spec: str, profile: str, workdir: Path, names: tuple[str, ...] | None = None
) -> Outcomes:
    """One system of `spec` on `profile`, with a scheduler of its own."""
    with processes.scheduler(runtime, workdir / "scheduler") as scheduler:
        early = spec_scenarios.BEFORE_START.get(spec, ())
        async with real_system.running(
            runtime, real_system.PROFILES[profile], workdir, scheduler.address, spec, early
        ) as system:
            results = await spec_scenarios.run_all(system, spec, names)
            if any(results.values()):
                (workdir / "logs.txt").write_text(system.logs(), encoding="utf-8")
            return results


@pytest.fixture(scope="session")
def spec_outcomes(runtime: RuntimeEnv, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Outcomes]:
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    shared = environment.cache_dir() / "scenario-runs" / run_id

    def of(spec: str, profile: str) -> Outcomes:
        done = shared / f"{spec}-{profile}.json"
        with one_system_at_a_time():
            if not done.exists():
                results = asyncio.run(
                    run_spec_profile(runtime, spec, profile, tmp_path_factory.mktemp(f"{spec}-{profile}"))
                )
                shared.mkdir(parents=True, exist_ok=True)
                done.write_text(json.dumps(results), encoding="utf-8")
        loaded: Outcomes = json.loads(done.read_text(encoding="utf-8"))
        return loaded

    return of


@pytest.mark.parametrize(("spec", "profile", "scenario"), CASES)
def test_spec_scenario(
    spec: str,
    profile: str,
    scenario: str,
    spec_outcomes: Callable[[str, str], Outcomes],
    request: pytest.FixtureRequest,
) -> None:
    if profile == "kafka" or real_system.SPECS[spec].kafka_sources():
        request.getfixturevalue("kafka")  # the profile's broker, or the one the spec's Kafka bindings read
    failure = spec_outcomes(spec, profile)[scenario]
    assert failure is None, failure
