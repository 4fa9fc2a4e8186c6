"""Warm MCP tool-call latency, measured from outside: `dapr-coder mcp` is started as a subprocess and driven over
stdio by the official Python SDK's client, then by the official TypeScript SDK's client (`bench/mcp_latency.mjs`,
the external client of the test suite; skipped with a note when `npm ci` has not been run), so each timing includes
JSON-RPC framing, the pipe round trip, argument checking, the engine (render, ast.parse, ruff format, ruff check)
and the structured-result validation on both ends.

    uv run python -m bench.mcp_latency [--calls 50] [--warmup 5] [--json]

Prints median and p90 in ms for generator calls (a repeated spec, which the server answers from its cache of recent
results, and a new spec on every call, which runs the engine) and, for comparison, for a trivial tool
(`dapr_list_snippets`: no rendering, no ruff). Target: the uncached generator call under 30 ms at the median as the
TypeScript client (an external client) sees it. Then the server's own part of that call measured in this process,
wall and CPU time (its own and its ruff processes'), and the machine's load: on a busy machine wall times are noisy.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

__all__ = ["InProcess", "Timing", "main", "measure", "measure_in_process"]

# (label, tool, arguments for call number i). The server keeps recent results (output is deterministic), so a
# repeated spec measures the server and the protocol; a new class name on every call makes the engine run each time.
CASES: tuple[tuple[str, str, Callable[[int], dict[str, Any]]], ...] = (
    ("dapr_generate_client, same spec (served from cache)", "dapr_generate_client", lambda i: {}),
    (
        "dapr_generate_client, new spec each call (engine runs)",
        "dapr_generate_client",
        lambda i: {"class_name": f"Dapr{i}"},
    ),
    (
        "  ... long names, line length 79-120, every transport",
        "dapr_generate_client",
        lambda i: {
            "class_name": f"OrderSidecarClient{i}",
            "line_length": (79, 88, 100, 120)[i % 4],
            "transport": ("auto", "httpx", "aiohttp")[i % 3],
        },
    ),
    (
        "  ... state + pubsub only, new spec each call",
        "dapr_generate_client",
        lambda i: {"blocks": ["state", "pubsub"], "class_name": f"Dapr{i}"},
    ),
    ("dapr_list_snippets (trivial round trip)", "dapr_list_snippets", lambda i: {}),
)


@dataclass(frozen=True)
class Timing:
    label: str
    calls: int
    median_ms: float
    p90_ms: float
    min_ms: float
    max_ms: float


def _server() -> StdioServerParameters:
    script = Path(sys.executable).parent / "dapr-coder"
    if script.is_file():
        return StdioServerParameters(command=str(script), args=["mcp"])
    return StdioServerParameters(command=sys.executable, args=["-m", "tools.cli", "mcp"])


def _summary(label: str, samples: list[float]) -> Timing:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Timing(label, len(samples), statistics.median(samples), p90, ordered[0], ordered[-1])


async def measure(calls: int = 50, warmup: int = 5) -> list[Timing]:
    """Start the server once, warm each case up, then time `calls` sequential calls of each."""
    timings = []
    async with Client(_server()) as client:
        serial = itertools.count()  # a fresh number per call: "new spec" cases never repeat one
        for label, tool, arguments in CASES:
            for _ in range(warmup):
                result = await client.call_tool(tool, arguments(next(serial)))
                if result.is_error:
                    raise RuntimeError(f"{tool} failed: {result.content}")
            samples = []
            for _ in range(calls):
                args = arguments(next(serial))
                start = time.perf_counter()
                await client.call_tool(tool, args)
                samples.append((time.perf_counter() - start) * 1000)
            timings.append(_summary(label, samples))
    return timings


_ROOT = Path(__file__).resolve().parents[1]


def measure_typescript(calls: int = 50, warmup: int = 5) -> list[Timing] | str:
    """The same cases from the TypeScript SDK client; a reason string when it cannot run here."""
    node = shutil.which("node")
    if node is None or not (_ROOT / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        return "TypeScript SDK client not run: needs node and `npm ci` in the repository root"
    server = _server()
    argv = [node, str(_ROOT / "bench" / "mcp_latency.mjs"), str(calls), str(warmup), server.command, *server.args]
    run = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=_ROOT, timeout=600)
    if run.returncode != 0:
        return f"TypeScript SDK client failed: {run.stderr.strip()[-500:]}"
    samples: dict[str, list[float]] = json.loads(run.stdout)
    return [_summary(label, values) for label, values in samples.items()]


@dataclass(frozen=True)
class InProcess:
    """The server's own work for an uncached `dapr_generate_client` (the engine and the answer), in this process:
    wall time and CPU time, this process's (every thread) and its ruff processes'. Medians per call, in ms."""

    calls: int
    wall_ms: float
    cpu_ms: float
    ruff_cpu_ms: float


def measure_in_process(calls: int = 50, warmup: int = 5) -> InProcess:
    """What a new spec costs the server before the protocol: on a busy machine wall time grows, CPU time does not."""
    import resource

    from skill import generate
    from tools._answer import ResultStore, inline_answer

    store = ResultStore()
    walls, cpus, ruffs = [], [], []
    for i in range(warmup + calls):
        wall, cpu = time.perf_counter(), time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        inline_answer(generate("client", {"class_name": f"InProcess{i}"}), store)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i >= warmup:
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            ruffs.append((after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) * 1000)
    return InProcess(calls, statistics.median(walls), statistics.median(cpus), statistics.median(ruffs))


def _load_note() -> str:
    """The machine's load against its cores: timings taken on a busy machine are noisy and high."""
    one_minute = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    busy = " (busy: the wall times below are noisy and high; the CPU times hold)" if one_minute > cores else ""
    return f"load average {one_minute:.1f} on {cores} cores{busy}"


def _print(title: str, timings: list[Timing]) -> None:
    print(title)
    for t in timings:
        print(f"  {t.label:56} median {t.median_ms:6.1f} ms   p90 {t.p90_ms:6.1f} ms   (min {t.min_ms:.1f})")
    fresh, trivial = timings[1], timings[-1]
    print(f"  engine share of an uncached generator call (median): {fresh.median_ms - trivial.median_ms:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mcp_latency", description="Warm MCP tool-call latency over stdio."
    )
    parser.add_argument("--calls", type=int, default=50, help="timed calls per case (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls per case first (default 5)")
    parser.add_argument("--json", action="store_true", help="print the timings as JSON")
    args = parser.parse_args(argv)
    load = _load_note()
    timings = anyio.run(measure, args.calls, args.warmup)
    typescript = measure_typescript(args.calls, args.warmup)
    local = measure_in_process(args.calls, args.warmup)
    if args.json:
        ts = typescript if isinstance(typescript, str) else [asdict(t) for t in typescript]
        report = {"load": load, "python_sdk": [asdict(t) for t in timings], "typescript_sdk": ts}
        print(json.dumps({**report, "in_process": asdict(local)}, indent=2))
        return 0
    print(load)
    each = f"{args.calls} calls each after {args.warmup} warm-up"
    _print(f"warm MCP tool calls over stdio (Python SDK client), {each}", timings)
    if isinstance(typescript, str):
        print(typescript)
    else:
        _print(f"warm MCP tool calls over stdio (TypeScript SDK client), {each}", typescript)
    print(
        f"in process, uncached dapr_generate_client (engine and answer, no protocol), median of {local.calls}: "
        f"wall {local.wall_ms:.1f} ms, CPU {local.cpu_ms:.1f} ms here + {local.ruff_cpu_ms:.1f} ms in ruff"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
