"""How long the README's main command takes with `--verify` (issue 17: goal under 8 s warm on 2 cores).

    uv run --group bench python -m bench --only generation      (printed after the generation numbers)
    uv run python -m bench.verify [--runs 3]

Runs the real command, `dapr-coder new todo-system DIR --verify`, as a subprocess of this interpreter, and times:

* generation only (no --verify), warm, into a fresh folder: the floor the checks add to;
* first verify in a fresh folder: each service's `uv sync` (uv's cache shared: nothing downloaded once warm) and
  mypy with no cache of its own yet;
* warm: the same command again into the same folder (files unchanged, each service's environment, .mypy_cache and
  .ruff_cache in place), the median of `--runs`.

Printed against the target, with the core count and load average (a shared machine skews every number).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

__all__ = ["TARGET_WARM_S", "run_verify"]

TARGET_WARM_S = 8.0


def _timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST"))}
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    return time.perf_counter() - started, done


def run_verify(say: TextIO, *, runs: int = 3) -> int:
    """The measurements above, printed to `say`; 0 once measured, 1 when the command failed."""
    cli = [sys.executable, "-m", "tools.cli", "new", "todo-system"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"new todo-system --verify (issue 17; {os.cpu_count()} cores, load average {load}):", file=say)
    if shutil.which("uv") is None:
        print("  skipped: uv is not on PATH (--verify runs each service's checks with uv run)", file=say)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        root = Path(tmp)
        _timed([*cli, str(root / "warmup")])  # imports and ruff warm
        generation, _ = _timed([*cli, str(root / "plain")])
        first, done = _timed([*cli, str(root / "todo"), "--verify"])
        if done.returncode != 0:
            print(f"  FAILED (exit {done.returncode}):\n{done.stderr[-3000:]}", file=say)
            return 1
        warm = []
        for _ in range(runs):
            took, done = _timed([*cli, str(root / "todo"), "--verify"])
            if done.returncode != 0:
                print(f"  FAILED (exit {done.returncode}):\n{done.stderr[-3000:]}", file=say)
                return 1
            warm.append(took)
    median = statistics.median(warm)
    verdict = "ok" if median < TARGET_WARM_S else "MISS"
    print(f"  generation only, fresh folder:        {generation:6.2f} s", file=say)
    print(f"  --verify, first run in a fresh folder: {first:6.2f} s", file=say)
    print(
        f"  --verify, warm (median of {runs}):       {median:6.2f} s  (min {min(warm):.2f}; target "
        f"< {TARGET_WARM_S:.0f} s: {verdict})",
        file=say,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs (default 3)")
    args = parser.parse_args(argv)
    return run_verify(sys.stdout, runs=max(1, args.runs))


if __name__ == "__main__":
    sys.exit(main())
