"""Where one client's time goes: `python -m bench.client.profile CLIENT WORKLOAD CONCURRENCY`.

Runs a single cell of the benchmark under cProfile (same stand-in, same environment) and prints the functions
with the most own time and the most cumulative time. cProfile slows Python code several-fold, so read shares,
not rates; e.g. `uv run --group bench python -m bench.client.profile generated-auto state 64`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
from pathlib import Path

from bench.client.contender import Contender
from bench.client.generated import TRANSPORTS, GeneratedClient, load, render
from bench.client.measure import run_window
from bench.client.payloads import WORKLOADS, Workload
from bench.client.runner import dapr_env
from bench.client.stand_in import running_stand_in
from bench.client.transport import reference_contenders
from bench.cpus import pinned, plan_cpus


def _find(key: str, directory: Path) -> Contender:
    for contender in reference_contenders():
        if contender.key == key:
            return contender
    for transport in TRANSPORTS:
        if key == f"generated-{transport}":
            return GeneratedClient(transport, load(transport, render(transport), directory))
    known = [c.key for c in reference_contenders()] + [f"generated-{t}" for t in TRANSPORTS]
    raise SystemExit(f"unknown client {key!r}; one of: {', '.join(known)}")


async def _profile(contender: Contender, base_url: str, workload: Workload, concurrency: int, seconds: float) -> str:
    await contender.open(base_url)
    try:
        op = contender.op(workload)
        await run_window(op, concurrency, 0.5)
        profiler = cProfile.Profile()
        profiler.enable()
        rate = await run_window(op, concurrency, seconds)
        profiler.disable()
    finally:
        await contender.close()
    out = io.StringIO()
    out.write(f"{contender.label}, {workload} c={concurrency}: {rate:,.0f} req/s under cProfile\n")
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.client.profile", description=__doc__)
    parser.add_argument("client")
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("concurrency", type=int)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    cpus = plan_cpus()
    with pinned(cpus), tempfile.TemporaryDirectory(prefix="dapr-bench-gen-") as tmp:
        contender = _find(args.client, Path(tmp))
        if args.workload not in contender.workloads:
            raise SystemExit(f"{contender.label} does not take part in the {args.workload} workload")
        with running_stand_in(cpus) as stand_in, dapr_env(stand_in):
            report = asyncio.run(_profile(contender, stand_in.base_url, args.workload, args.concurrency, args.seconds))
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
