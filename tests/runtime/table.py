"""The scenario table: every scenario on every profile, on the real runtime and on the fakes, pass or fail.

    uv run python -m tests.runtime.table [PROFILE ...] [--only SCENARIO]... [--spec NAME]

`--spec NAME` runs a spec of tests/runtime/specs/ (shop, bookings) with its scenarios (spec_scenarios.py) instead
of the todo preset's.

Needs what the runtime tests need (tests/runtime/setup.sh). The fake column is '-' until a fake implements
tests/runtime/system.py's hooks; a failing cell's reason is printed under the table, and the folder with every
log is kept. Exit 1 if any cell failed.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from tests.runtime import environment, real_system, scenarios, spec_scenarios
from tests.runtime.test_scenarios import NOT_ON, one_system_at_a_time, run_profile
from tests.runtime.test_spec_scenarios import run_spec_profile


def main(argv: list[str]) -> int:
    runtime = environment.load()
    if isinstance(runtime, str):
        print(f"cannot run the scenarios: {runtime}", file=sys.stderr)
        return 2
    only = tuple(argv[i + 1] for i, a in enumerate(argv) if a == "--only" and i + 1 < len(argv))
    argv = [a for i, a in enumerate(argv) if a != "--only" and (i == 0 or argv[i - 1] != "--only")]
    spec = next((argv[i + 1] for i, a in enumerate(argv) if a == "--spec" and i + 1 < len(argv)), "todo")
    argv = [a for i, a in enumerate(argv) if a != "--spec" and (i == 0 or argv[i - 1] != "--spec")]
    if spec != "todo":
        return spec_table(runtime, spec, argv, only)
    profiles = argv or list(real_system.PROFILES)
    unknown = [p for p in profiles if p not in real_system.PROFILES]
    if unknown:
        print(f"unknown profile(s) {unknown}: choose from {list(real_system.PROFILES)}", file=sys.stderr)
        return 2
    results: dict[str, dict[str, str | None]] = {}
    work = Path(tempfile.mkdtemp(prefix="dapr-scenarios-"))
    for profile in profiles:
        if profile == "kafka" and (why := environment.kafka_unavailable(runtime)):
            results[profile] = {s.name: f"not run: {why}" for s in scenarios.SCENARIOS}
            continue
        names = tuple(
            s.name for s in scenarios.SCENARIOS if (profile, s.name) not in NOT_ON and (not only or s.name in only)
        )
        print(f"running {len(names)} scenarios on {profile} ...", file=sys.stderr, flush=True)
        with one_system_at_a_time():  # not beside a pytest run's system: the same app ids
            results[profile] = asyncio.run(run_profile(runtime, profile, work / profile, names))
    width = max(len(s.name) for s in scenarios.SCENARIOS)
    header = f"{'scenario':<{width}} | " + " | ".join(f"{p + ' runtime':>22} {'fake':>5}" for p in profiles)
    print(header)
    print("-" * len(header))
    failures: list[str] = []
    for scenario in scenarios.SCENARIOS:
        cells = []
        for profile in profiles:
            if scenario.name not in results[profile]:
                cell = "n/a"
            elif (outcome := results[profile][scenario.name]) is None:
                cell = "pass"
            else:
                cell = "FAIL"
                failures.append(f"{scenario.name} on {profile}: {outcome}")
            cells.append(f"{cell:>22} {'-':>5}")
        print(f"{scenario.name:<{width}} | " + " | ".join(cells))
    for failure in failures:
        print(f"\n{failure}")
    if failures:
        print(f"\nlogs: {work}/<profile>/ (logs.txt, system/*/.dapr/logs/)")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


def spec_table(runtime: environment.RuntimeEnv, spec: str, profiles: list[str], only: tuple[str, ...]) -> int:
    """The table of one spec of tests/runtime/specs/ (spec_scenarios.py): scenario x profile, pass or fail."""
    if spec not in spec_scenarios.SCENARIOS:
        print(f"unknown spec {spec!r}: choose from todo, {', '.join(spec_scenarios.SCENARIOS)}", file=sys.stderr)
        return 2
    profiles = profiles or list(real_system.PROFILES)
    unknown = [p for p in profiles if p not in real_system.PROFILES]
    if unknown:
        print(f"unknown profile(s) {unknown}: choose from {list(real_system.PROFILES)}", file=sys.stderr)
        return 2
    chosen = [s.name for s in spec_scenarios.SCENARIOS[spec] if not only or s.name in only]
    results: dict[str, dict[str, str | None]] = {}
    work = Path(tempfile.mkdtemp(prefix=f"dapr-{spec}-"))
    for profile in profiles:
        needs_kafka = profile == "kafka" or real_system.SPECS[spec].kafka_sources()
        if needs_kafka and (why := environment.kafka_unavailable(runtime)):
            results[profile] = dict.fromkeys(chosen, f"not run: {why}")
            continue
        print(f"running {len(chosen)} {spec} scenarios on {profile} ...", file=sys.stderr, flush=True)
        with one_system_at_a_time():
            results[profile] = asyncio.run(run_spec_profile(runtime, spec, profile, work / profile, tuple(chosen)))
    width = max(len(n) for n in chosen)
    header = f"{spec + ' scenario':<{width}} | " + " | ".join(f"{p + ' runtime':>22}" for p in profiles)
    print(header)
    print("-" * len(header))
    failures: list[str] = []
    for name in chosen:
        cells = []
        for profile in profiles:
            outcome = results[profile].get(name)
            cells.append(f"{'pass' if outcome is None else 'FAIL':>22}")
            if outcome is not None:
                failures.append(f"{name} on {profile}: {outcome}")
        print(f"{name:<{width}} | " + " | ".join(cells))
    for failure in failures:
        print(f"\n{failure}")
    if failures:
        print(f"\nlogs: {work}/<profile>/ (logs.txt, system/*/.dapr/logs/)")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
