"""Issue 15's scenarios on the stand-in (tools/standin, what `dapr-coder run` serves), on every profile: the same
scenario code as on real daprd (tests/runtime/scenarios.py), through tests/runtime/standin_system.py. Needs no
Dapr, broker or database, so it is not marked `runtime` and runs everywhere.

One system per profile runs all its scenarios the first time a test of that profile asks; each test then reports
its own scenario's outcome. Stand-in systems do not meet each other (free ports, nothing found by mDNS), so
profiles run side by side; a file lock per profile makes the first xdist worker that asks run it (a worker that
finds it taken runs a profile nobody has started meanwhile), and the outcomes are written beside the lock for
this pytest run (PYTEST_XDIST_TESTRUNUID) for the other workers to read.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.runtime import environment, scenarios, standin_system
from tests.runtime.hooks import PROFILES

# (profile, scenario) pairs the stand-in cannot model, each with the reason: skipped with it, not run.
NOT_MODELLED: dict[tuple[str, str], str] = {}

CASES = [
    pytest.param(
        profile,
        scenario.name,
        id=f"{profile}-{scenario.name.replace(' ', '_')}",
        marks=[pytest.mark.skip(reason=NOT_MODELLED[profile, scenario.name])]
        if (profile, scenario.name) in NOT_MODELLED
        else [],
    )
    for profile in PROFILES
    for scenario in scenarios.SCENARIOS
]

Outcomes = dict[str, str | None]


def runs_folder(run_id: str) -> Path:
    return environment.cache_dir() / "standin-scenario-runs" / run_id


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the file lock at `path`; with `wait=False`, yield False at once when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def run_profile(profile: str, workdir: Path, names: tuple[str, ...]) -> Outcomes:
    async with standin_system.running(PROFILES[profile], workdir) as system:
        results = await scenarios.run_all(system, names)
        if any(results.values()):
            (workdir / "logs.txt").write_text(system.logs(), encoding="utf-8")
        return results


def runnable(profile: str) -> tuple[str, ...]:
    return tuple(s.name for s in scenarios.SCENARIOS if (profile, s.name) not in NOT_MODELLED)


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Outcomes]:
    shared = runs_folder(os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex)

    def settled(profile: str, *, wait: bool) -> bool:
        """Run `profile` unless it ran already; False when another worker is running it (and `wait` is False)."""
        done = shared / f"{profile}.json"
        with locked(shared / f"{profile}.lock", wait=wait) as held:
            if held and not done.exists():
                workdir = tmp_path_factory.mktemp(f"standin-{profile}")
                results = asyncio.run(run_profile(profile, workdir, runnable(profile)))
                done.write_text(json.dumps(results), encoding="utf-8")
            return held

    def of(profile: str) -> Outcomes:
        # While another worker runs this profile, run one nobody has started instead of waiting idle.
        while not settled(profile, wait=False):
            if not any(settled(p, wait=False) for p in PROFILES if not (shared / f"{p}.json").exists()):
                settled(profile, wait=True)
        loaded: Outcomes = json.loads((shared / f"{profile}.json").read_text(encoding="utf-8"))
        return loaded

    return of


@pytest.mark.parametrize(("profile", "scenario"), CASES)
def test_scenario_on_the_standin(profile: str, scenario: str, outcomes: Callable[[str], Outcomes]) -> None:
    failure = outcomes(profile)[scenario]
    assert failure is None, failure
