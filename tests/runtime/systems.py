"""The real-runtime systems of one pytest run (the todo preset and the specs of tests/runtime/specs/, on each
profile), run one after another by a process of their own.

Two systems must never run at once on one machine (their apps answer to the same ids through mDNS), so they take
a file lock in the cache folder. When a pytest worker ran a system itself, a second worker that asked for one
waited on that lock with nothing to do: with two workers, half the machine idled for the ten minutes the systems
take. So the systems start as soon as the tests are collected (tests/runtime/conftest.py), in this process
(`python -m tests.runtime.systems`), and the workers run every other test meanwhile; the scenario tests are
collected last and read each system's outcomes from a file per test run (PYTEST_XDIST_TESTRUNUID) that this
process writes as each system ends. It stops when the pytest process that started the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from tests.runtime import environment, processes, real_system, scenarios, spec_scenarios
from tests.runtime.environment import RuntimeEnv

Outcomes = dict[str, str | None]  # scenario name -> None (passed) or why it failed
Job = tuple[str, str]  # (spec, profile); the spec "todo" is the todo preset with tests/runtime/scenarios.py
TODO = "todo"
ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 3600.0  # the tests give up waiting for the run's systems this long after they started

# (profile, scenario) pairs of the todo preset not run: none since the Kafka broker has a relayed listener
# (tests/runtime/setup.sh).
NOT_ON: set[tuple[str, str]] = set()


@contextlib.contextmanager
def one_system_at_a_time(say: TextIO | None = None) -> Iterator[None]:
    """The machine's systems lock; with `say`, a line there when it has to wait for it."""
    lock = environment.cache_dir() / "systems.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if say is not None:
                print("waiting for another real-runtime system to finish (its lock) ...", file=say, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def run_system(
    runtime: RuntimeEnv, spec: str, profile: str, workdir: Path, names: tuple[str, ...] | None = None
) -> Outcomes:
    """The system of `spec` (TODO: the todo preset) on `profile` running its scenarios (all, or `names`), with a
    scheduler of its own (a job left by an earlier system must not fire into this one, whose apps have the same
    ids)."""
    with processes.scheduler(runtime, workdir / "scheduler") as scheduler:
        early = spec_scenarios.BEFORE_START.get(spec, ())
        async with real_system.running(
            runtime, real_system.PROFILES[profile], workdir, scheduler.address, spec, early
        ) as system:
            if spec == TODO:
                results = await scenarios.run_all(system, names)
            else:
                results = await spec_scenarios.run_all(system, spec, names)
            if any(results.values()):
                (workdir / "logs.txt").write_text(system.logs(), encoding="utf-8")
            return results


def scenario_names(spec: str, profile: str) -> tuple[str, ...]:
    if spec == TODO:
        return tuple(s.name for s in scenarios.SCENARIOS if (profile, s.name) not in NOT_ON)
    return tuple(s.name for s in spec_scenarios.SCENARIOS[spec])


def needs_kafka(spec: str, profile: str) -> bool:
    """The profile's broker, or the one a spec's Kafka input bindings read."""
    return profile == "kafka" or (spec != TODO and bool(real_system.SPECS[spec].kafka_sources()))


@functools.cache
def _run_folder() -> Path:
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex  # one pytest run, all its workers
    return environment.cache_dir() / "scenario-runs" / run_id


def _outcomes_file(folder: Path, job: Job) -> Path:
    return folder / f"{job[0]}-{job[1]}.json"


def start(jobs: Sequence[Job]) -> None:
    """Start the systems of this pytest run in the background, unless a worker of the run started them already."""
    folder = _run_folder()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        pid_file = os.open(folder / "systems.pid", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    # The process that owns the run: an xdist worker's parent, or pytest itself. A worker may end first.
    owner = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    # Through sh, so that the process is nobody's child here: no pytest process waits for it or leaves a zombie.
    command = [sys.executable, "-m", "tests.runtime.systems", str(folder), str(owner), *(f"{s}/{p}" for s, p in jobs)]
    try:
        launched = subprocess.run(
            ["sh", "-c", '"$@" > "$0" 2>&1 < /dev/null & echo $!', str(folder / "systems.log"), *command],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        os.write(pid_file, launched.stdout.strip().encode())
    finally:
        os.close(pid_file)
    _forget_old_runs(folder)


def _forget_old_runs(current: Path) -> None:
    """Delete the outcomes of runs a week old."""
    for run in current.parent.iterdir():
        if run != current and time.time() - run.stat().st_mtime > 7 * 86400:
            shutil.rmtree(run, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Running: neither ended nor a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def outcomes(spec: str, profile: str) -> Outcomes:
    """The outcomes of `spec` on `profile` in this pytest run, once its system has run."""
    folder = _run_folder()
    done = _outcomes_file(folder, (spec, profile))
    pid_file = folder / "systems.pid"
    while not done.exists():
        text = pid_file.read_text(encoding="ascii") if pid_file.exists() else ""
        # One deadline for the run's systems, from the pid file's creation: a hung system fails the tests that wait
        # after it at once, not each after a wait of its own.
        since = time.time() - pid_file.stat().st_mtime if pid_file.exists() else 0.0
        if not text.isdigit():
            if pid_file.exists() and since < 30:  # its pid is being written
                time.sleep(0.2)
                continue
            raise AssertionError(f"no process runs this pytest run's systems ({folder}): tests/runtime/conftest.py")
        if not _alive(int(text)) and not done.exists():
            log = (folder / "systems.log").read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"the systems' process ended without running {spec} on {profile}:\n{log[-4000:]}")
        if since > WAIT_SECONDS:
            raise AssertionError(f"the run's systems did not end within {WAIT_SECONDS:g} s: {folder}/systems.log")
        time.sleep(0.5)
    loaded: Outcomes = json.loads(done.read_text(encoding="utf-8"))
    return loaded


def _run_one(runtime: RuntimeEnv, job: Job) -> Outcomes:
    """One system's outcomes; a system that fails to start or stop fails each of its scenarios with the reason.
    A failing system's folder (logs.txt, each app's daprd log) is kept and named in each failure."""
    spec, profile = job
    names = scenario_names(spec, profile)
    workdir = Path(tempfile.mkdtemp(prefix=f"dapr-coder-{spec}-{profile}-"))
    try:
        with one_system_at_a_time():
            results = asyncio.run(run_system(runtime, spec, profile, workdir, names))
    except Exception:
        results = dict.fromkeys(names, f"the system did not run to its end:\n{traceback.format_exc()}")
    except BaseException:  # the run was cancelled: nothing to look at
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    if not any(results.values()):
        shutil.rmtree(workdir, ignore_errors=True)
        return results
    return {name: None if why is None else f"{why}\n(the system's folder, logs.txt: {workdir})" for name, why in
            results.items()}  # fmt: skip


def _stop_with(owner: int) -> None:
    """Interrupt this process (its systems stop as a cancelled run does) once `owner` has ended."""
    while _alive(owner):
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGINT)


def main(argv: list[str]) -> int:
    folder, owner = Path(argv[0]), int(argv[1])
    jobs = [(spec, profile) for spec, _, profile in (j.partition("/") for j in argv[2:])]
    # A session of its own: a terminal's Ctrl-C reaches pytest, which ends, and only the watcher below interrupts
    # this process, once (a second SIGINT would cut the systems' clean stop short).
    os.setsid()
    # sh started this process in the background, with SIGINT ignored: a cancelled run must stop its systems.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=_stop_with, args=(owner,), daemon=True).start()
    runtime = environment.load()
    for job in jobs:
        results: Outcomes
        if isinstance(runtime, str):
            results = dict.fromkeys(scenario_names(*job), runtime)
        elif needs_kafka(*job) and (why := environment.kafka_unavailable(runtime)):
            results = dict.fromkeys(scenario_names(*job), why)
        else:
            print(f"{time.strftime('%H:%M:%S')} {job[0]} on {job[1]}: starting", flush=True)
            results = _run_one(runtime, job)
            failed = sum(why is not None for why in results.values())
            print(f"{time.strftime('%H:%M:%S')} {job[0]} on {job[1]}: {failed} failed", flush=True)
        written = _outcomes_file(folder, job)
        partial = written.with_suffix(".part")
        partial.write_text(json.dumps(results), encoding="utf-8")
        partial.replace(written)  # a reader never sees half a file
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
