"""The scenario table: every scenario on every profile, on the real runtime and on the stand-in, pass or fail.

    uv run python -m tests.runtime.table [PROFILE ...] [--only SCENARIO]... [--standin-only] [--spec NAME]

`--spec NAME` runs a spec of tests/runtime/specs/ (shop, bookings) with its scenarios (spec_scenarios.py) on the
runtime instead of the todo preset's.

The runtime column needs what the runtime tests need (tests/runtime/setup.sh); the stand-in column
(tests/runtime/standin_system.py, what `dapr-coder run` serves) needs nothing, and `--standin-only` fills just it
(the runtime column then reads '-'). A scenario the stand-in cannot model reads 'skip' (its reason under the
table); a failing cell's reason is printed under the table, and the folder with every log is kept. Exit 1 if any
cell failed.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from tests.runtime import environment, real_system, scenarios, spec_scenarios
from tests.runtime.systems import NOT_ON, TODO, one_system_at_a_time, run_system
from tests.runtime.test_standin_scenarios import NOT_MODELLED
from tests.runtime.test_standin_scenarios import run_profile as run_standin


def _cell(results: dict[str, str | None] | None, name: str, where: str, failures: list[str]) -> str:
    if results is None:
        return "-"
    if name not in results:
        return "n/a"
    outcome = results[name]
    if outcome is None:
        return "pass"
    if outcome.startswith("skip: "):
        failures.append(f"(skipped) {name} on {where}: {outcome.removeprefix('skip: ')}")
        return "skip"
    failures.append(f"{name} on {where}: {outcome}")
    return "FAIL"


def main(argv: list[str]) -> int:
    only = tuple(argv[i + 1] for i, a in enumerate(argv) if a == "--only" and i + 1 < len(argv))
    argv = [a for i, a in enumerate(argv) if a != "--only" and (i == 0 or argv[i - 1] != "--only")]
    spec = next((argv[i + 1] for i, a in enumerate(argv) if a == "--spec" and i + 1 < len(argv)), "todo")
    argv = [a for i, a in enumerate(argv) if a != "--spec" and (i == 0 or argv[i - 1] != "--spec")]
    standin_only = "--standin-only" in argv
    argv = [a for a in argv if a != "--standin-only"]
    runtime = None if standin_only else environment.load()
    if isinstance(runtime, str):
        print(f"cannot run the scenarios on the runtime: {runtime} (--standin-only: the stand-in's)", file=sys.stderr)
        return 2
    if spec != "todo":
        if runtime is None:
            print("--spec runs on the runtime only: the stand-in column is the todo preset's", file=sys.stderr)
            return 2
        return spec_table(runtime, spec, argv, only)
    profiles = argv or list(real_system.PROFILES)
    unknown = [p for p in profiles if p not in real_system.PROFILES]
    if unknown:
        print(f"unknown profile(s) {unknown}: choose from {list(real_system.PROFILES)}", file=sys.stderr)
        return 2
    real: dict[str, dict[str, str | None]] = {}
    stand: dict[str, dict[str, str | None]] = {}
    work = Path(tempfile.mkdtemp(prefix="dapr-scenarios-"))
    for profile in profiles:
        chosen = [s.name for s in scenarios.SCENARIOS if not only or s.name in only]
        names = tuple(n for n in chosen if (profile, n) not in NOT_MODELLED)
        print(f"running {len(names)} scenarios on the stand-in, {profile} ...", file=sys.stderr, flush=True)
        stand[profile] = asyncio.run(run_standin(profile, work / f"standin-{profile}", names))
        stand[profile] |= {n: f"skip: {NOT_MODELLED[profile, n]}" for n in chosen if (profile, n) in NOT_MODELLED}
        if runtime is None:
            continue
        if profile == "kafka" and (why := environment.kafka_unavailable(runtime)):
            real[profile] = {s.name: f"not run: {why}" for s in scenarios.SCENARIOS}
            continue
        names = tuple(n for n in chosen if (profile, n) not in NOT_ON)
        print(f"running {len(names)} scenarios on {profile} ...", file=sys.stderr, flush=True)
        with one_system_at_a_time():  # not beside a pytest run's system: the same app ids
            real[profile] = asyncio.run(run_system(runtime, TODO, profile, work / profile, names))
    width = max(len(s.name) for s in scenarios.SCENARIOS)
    header = f"{'scenario':<{width}} | " + " | ".join(f"{p + ' runtime':>22} {'stand-in':>8}" for p in profiles)
    print(header)
    print("-" * len(header))
    failures: list[str] = []
    for scenario in scenarios.SCENARIOS:
        cells = []
        for profile in profiles:
            left = _cell(real.get(profile), scenario.name, f"{profile} runtime", failures)
            right = _cell(stand.get(profile), scenario.name, f"{profile} stand-in", failures)
            cells.append(f"{left:>22} {right:>8}")
        print(f"{scenario.name:<{width}} | " + " | ".join(cells))
    for failure in failures:
        print(f"\n{failure}")
    if any(not f.startswith("(skipped)") for f in failures):
        print(f"\nlogs: {work}/<profile>/ (logs.txt, system/*/.dapr/logs/), {work}/standin-<profile>/ (standin.log)")
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
            results[profile] = asyncio.run(run_system(runtime, spec, profile, work / profile, tuple(chosen)))
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
