"""Generation time of whole services and of the todo system, in process and through MCP (issues 10 and 11).

    uv run --group bench python -m bench --only generation [--quick]
    uv run python -m bench.generation [--runs 7] [--sizes 1 10 100] [--profile N|project]

* Services of size N (1, 10, 100): N models (seven fields of varied types: constrained str, int, float | None,
  bool, datetime, list[str], Decimal | None; from the second model on, `Item000 | None`: a reference of constant
  depth) and N endpoints, one per model, cycling through a subscription (its own topic), an invocation target and a CRUD
  resource with change events (six routes), so models, routes, handlers and topics all grow with N. Numbers in
  names are zero-padded (Item007) so that names sort the same in any order.
* In process: `skill.pipeline.generate("service", spec)`. Through MCP: the SDK's in-memory client (declaring a
  temp folder as its root) against `tools.mcp_server.build_server()`, calling `dapr_generate_service` with
  `output_dir`: so the MCP number includes argument checking, the engine, writing every file and the answer.
* Warm: one untimed call per cell, then `--runs` rounds (3 with --quick) calling every cell once, interleaved;
  the median, and the CPU time of this process and its ruff processes per call (steadier on a shared machine).
  Every call differs in `image_tag` only, so the server's cache of recent results (`_Recent`) never answers (cold
  cache, engine runs), and goes to a folder of its own, so it is a first write (no regeneration merge).
* Growth: t(10)/t(1) and t(100)/t(10) against linear (10x); printed, never asserted. A fixed cost per call (ruff
  processes, the deployment files, the tests of the service) makes small N look cheap per unit, so the ratio that
  says most is t(100)/t(10).
* A breakdown of one warm in-process call per N by stage (spec validation, plan, render, YAML/TOML checks,
  Python checks: ast.parse + ruff format + ruff check), timed around the same calls `skill/pipeline.py` chains.
* The todo system: `generate("project", {})` and `dapr_generate_project`, against the 1-second target.
* `--profile N` (or `project`): cProfile of one warm in-process call of a size-N service (or the todo system),
  top functions by cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import itertools
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "SIZES",
    "Cell",
    "Stages",
    "Timing",
    "growth",
    "measure",
    "project_spec",
    "route_count",
    "run_generation",
    "service_spec",
    "stages",
]

SIZES = (1, 10, 100)
TARGET_PROJECT_S = 1.0  # issue 11: the whole todo system under one second warm
SLOW_SERVICE_S = 5.0  # above this at N=100, the run prints a note to profile it (--profile 100)
ENDPOINT_KINDS = ("subscription", "invocation", "crud")


# -- specs ------------------------------------------------------------------------------------------------------------
def _model(i: int) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": "id", "type": "str", "min_length": 1, "max_length": 64, "pattern": "^[A-Za-z0-9_-]+$"},
        {"name": "count", "type": "int", "ge": 0, "default": 0},
        {"name": "score", "type": "float | None", "default": None},
        {"name": "active", "type": "bool", "default": False},
        {"name": "created_at", "type": "datetime"},
        {"name": "tags", "type": "list[str]", "default": [], "description": f"Labels of item {i}."},
        {"name": "amount", "type": "Decimal | None", "default": None, "max_digits": 12, "decimal_places": 2},
    ]
    if i > 0:  # a reference of constant depth (a tree, i -> i // 2, would make each sample O(log N) deep)
        fields.append({"name": "first", "type": "Item000 | None", "default": None})
    return {"name": f"Item{i:03d}", "description": f"Item kind {i}.", "fields": fields}


def service_spec(n: int, tag: int = 0) -> dict[str, Any]:
    """A valid service spec with `n` models and `n` endpoints (kinds cycle: subscription, invocation, CRUD).
    `tag` only changes the image tag: a new spec for every cache, the same work for the engine."""
    subscriptions: list[dict[str, Any]] = []
    invocations: list[dict[str, Any]] = []
    crud: list[dict[str, Any]] = []
    for i in range(n):
        kind = ENDPOINT_KINDS[i % len(ENDPOINT_KINDS)]
        if kind == "subscription":
            subscriptions.append({"topic": f"items-{i:03d}", "model": f"Item{i:03d}", "idempotent": i % 2 == 0})
        elif kind == "invocation":
            invocations.append(
                {"method": f"/score-{i:03d}", "request_model": f"Item{i:03d}", "response_model": f"Item{i:03d}"}
            )
        else:
            crud.append(
                {
                    "name": f"items_{i:03d}",
                    "model": f"Item{i:03d}",
                    "topic": f"items-{i:03d}-changes",
                    "actions": [{"name": "activate", "field": "active"}],
                }
            )
    return {
        "app_id": f"bench-svc-{n}",
        "port": 8000,
        "models": {"models": [_model(i) for i in range(n)]},
        "subscriptions": subscriptions,
        "invocations": invocations,
        "crud": crud,
        "image_tag": f"0.1.{tag}",
    }


def route_count(spec: dict[str, Any]) -> int:
    """Routes the endpoints add (subscription 1, invocation 1, CRUD 5 + one per action)."""
    crud = sum(5 + len(c.get("actions", [])) for c in spec["crud"])
    return len(spec["subscriptions"]) + len(spec["invocations"]) + crud


def project_spec(tag: int = 0, example: str | None = None) -> dict[str, Any]:
    """The todo system (the project generator's default), or one of its examples, with a distinct image tag."""
    base: dict[str, Any] = {}
    if example is not None:
        from skill.generators.project import GENERATOR

        base = dict(GENERATOR.examples[example])
    return {**base, "image_tag": f"0.1.{tag}"}


# -- measurements -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    label: str
    size: int  # N; 0 for the project
    runs: int
    median: float  # seconds
    low: float
    high: float
    files: int
    cpu: float  # median CPU seconds of this process and its ruff processes per call: steadier than wall time


def _timing(label: str, size: int, samples: Sequence[tuple[float, float]], files: int) -> Timing:
    wall = [w for w, _ in samples]
    cpu = statistics.median(c for _, c in samples)
    return Timing(label, size, len(wall), statistics.median(wall), min(wall), max(wall), files, cpu)


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the ruff processes) so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


_serial = itertools.count(1)  # image tags never repeat within a run: no cache anywhere can answer


@dataclass(frozen=True)
class Cell:
    """One thing to time: `generator` on specs from `make(serial)`, in process or through `tool` over MCP."""

    label: str
    size: int  # N; 0 for the project
    generator: str
    tool: str | None  # None: in process
    make: Callable[[int], dict[str, Any]]


@asynccontextmanager
async def _rooted_client(root: Path) -> AsyncIterator[Any]:
    """The SDK's in-memory client against a freshly built server, answering roots/list with `root`."""
    from mcp import Client
    from mcp.client.session import ClientRequestContext
    from mcp_types import ListRootsResult, Root

    from tools.mcp_server import build_server

    async def list_roots(context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root.model_validate({"uri": root.as_uri()})])

    async with Client(build_server(), list_roots_callback=list_roots) as client:
        yield client


async def _once(cell: Cell, client: Any, root: Path) -> tuple[tuple[float, float], int]:
    """(wall, CPU) seconds of one call of `cell` with a new spec (and a new output folder), and the files made.
    The MCP server runs in this process (the in-memory transport), so its CPU time is counted too."""
    from skill.pipeline import generate

    serial = next(_serial)
    spec = cell.make(serial)
    if cell.tool is None:
        cpu, start = _cpu(), time.perf_counter()
        result = generate(cell.generator, spec)
        return (time.perf_counter() - start, _cpu() - cpu), len(result.files)
    folder = f"out-{serial}"
    cpu, start = _cpu(), time.perf_counter()
    answer = await client.call_tool(cell.tool, {**spec, "output_dir": folder})
    took = (time.perf_counter() - start, _cpu() - cpu)
    if answer.is_error:
        raise RuntimeError(f"{cell.tool} failed: {answer.content}")
    # The answer may name a folder instead of its files: count them on disk.
    return took, sum(1 for p in (root / folder).rglob("*") if p.is_file())


async def measure(cells: Sequence[Cell], runs: int) -> list[Timing]:
    """One warm-up call per cell, then `runs` rounds, each calling every cell once (interleaved, so that a change
    in the machine's load touches every cell alike); the median per cell. One server and client for all."""
    with tempfile.TemporaryDirectory(prefix="bench-generation-") as tmp:
        root = Path(tmp)
        async with _rooted_client(root) as client:
            files = [(await _once(cell, client, root))[1] for cell in cells]
            samples: list[list[tuple[float, float]]] = [[] for _ in cells]
            for _ in range(runs):
                for i, cell in enumerate(cells):
                    samples[i].append((await _once(cell, client, root))[0])
    return [_timing(c.label, c.size, s, f) for c, s, f in zip(cells, samples, files, strict=True)]


# -- where the time goes ----------------------------------------------------------------------------------------------
@dataclass
class Stages:
    """Seconds per stage of one call, in the order `skill/pipeline.py: generate` chains them."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def stages(generator: str, spec: dict[str, Any]) -> Stages:
    """One call taken apart: the same stage functions `generate` calls, each under a timer (no Result built)."""
    from skill.catalog import get_snippet
    from skill.checks import Draft, data
    from skill.checks.python import check_python
    from skill.pipeline import _style_for, parse_spec
    from skill.plan import template_variables
    from skill.registry import get_generator
    from skill.render import render_template

    took = Stages()
    with took.timer("spec validation"):
        parsed = parse_spec(generator, spec)
    with took.timer("plan"):
        plan = get_generator(generator).plan(parsed)
    style = _style_for(parsed, None)
    drafts = []
    with took.timer("render"):
        for f in plan.files:
            text = render_template(get_snippet(f.snippet).template, template_variables(f.context))
            drafts.append(Draft(f.path, text, f.language, f.snippet))
    with took.timer("yaml/toml/json checks"):
        for d in drafts:
            if d.language != "python":
                data.check(d.path, d.language, d.content)
    python = [(d.path, d.content) for d in drafts if d.language == "python"]
    with took.timer(f"python checks ({len(python)} files: ast + ruff)"):
        check_python(python, style, plan.known_first_party)
    return took


def profile(generator: str, spec: dict[str, Any], say: TextIO, top: int = 25) -> None:
    """cProfile of one warm call: the functions with the most cumulative and the most own time."""
    from skill.pipeline import generate

    generate(generator, spec)  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    generate(generator, {**spec, "image_tag": "9.9.9"})
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"--- by {order} ---", file=say)
        print(out.getvalue().split("\n\n", 1)[-1].rstrip(), file=say)


# -- report -----------------------------------------------------------------------------------------------------------
def growth(timings: Sequence[Timing]) -> list[tuple[int, int, float, float, bool]]:
    """(N from, N to, wall ratio t(to)/t(from), CPU ratio, no worse than linear) for consecutive sizes. The verdict
    is on wall time: a ratio at most to/from (10x for 1 -> 10 -> 100)."""
    ordered = sorted(timings, key=lambda t: t.size)
    found = []
    for a, b in itertools.pairwise(ordered):
        ratio = b.median / a.median
        found.append((a.size, b.size, ratio, b.cpu / a.cpu, ratio <= b.size / a.size))
    return found


def _print_services(title: str, timings: Sequence[Timing], routes: dict[int, int], say: TextIO) -> bool:
    print(title, file=say)
    for t in sorted(timings, key=lambda t: t.size):
        per = t.median / t.size * 1000
        print(
            f"  N={t.size:<4} ({routes[t.size]:3} routes, {t.files:3} files)  median {t.median * 1000:8.1f} ms"
            f"   ({t.low * 1000:.1f}-{t.high * 1000:.1f}, {t.runs} runs)   {per:7.1f} ms per N"
            f"   CPU {t.cpu * 1000:7.1f} ms",
            file=say,
        )
    linear = True
    for a, b, ratio, cpu, ok in growth(timings):
        linear = linear and ok
        verdict = "no worse than linear" if ok else "SUPERLINEAR"
        print(f"  t({b})/t({a}) = {ratio:5.2f}x  (CPU {cpu:5.2f}x; linear: {b / a:.0f}x)  {verdict}", file=say)
    return linear


def _print_project(timings: Sequence[Timing], what: str, say: TextIO) -> None:
    for t in timings:
        verdict = "PASS" if t.median < TARGET_PROJECT_S else "MISS"
        print(
            f"  {t.label:12} median {t.median * 1000:7.1f} ms ({t.low * 1000:.1f}-{t.high * 1000:.1f}, {t.runs} runs,"
            f" {t.files} files, CPU {t.cpu * 1000:.0f} ms)  target < {TARGET_PROJECT_S * 1000:.0f} ms: {verdict}",
            file=say,
        )
    print(f"  ({what})", file=say)


def _todo_available() -> bool:
    from skill.pipeline import generate

    try:
        generate("project", {})
    except NotImplementedError:
        return False
    return True


def run_generation(say: TextIO, *, runs: int = 7, sizes: Sequence[int] = SIZES) -> int:
    """Every measurement of this module, printed to `say`. Exits 0 once measured (MISS lines say what missed)."""
    import anyio

    routes = {n: route_count(service_spec(n)) for n in sizes}
    todo = _todo_available()
    example = None if todo else "orders-pipeline"

    def project(i: int) -> dict[str, Any]:
        return project_spec(i, example)

    cells: list[Cell] = []
    for n in sizes:
        make = functools.partial(service_spec, n)
        cells += [
            Cell("in process", n, "service", None, make),
            Cell("MCP", n, "service", "dapr_generate_service", make),
        ]
    cells += [
        Cell("in process", 0, "project", None, project),
        Cell("through MCP", 0, "project", "dapr_generate_project", project),
    ]
    print(
        f"generation time, warm: one untimed call per cell, then {runs} interleaved rounds, median (every call a new "
        "image tag, so no cache answers; MCP: in-memory client, output_dir a new folder under its root)",
        file=say,
    )
    load = os.getloadavg()[0]
    timings = anyio.run(measure, cells, runs)
    print(
        f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs (other processes"
        " slow wall times; the CPU column moves less)",
        file=say,
    )
    services = [t for t, c in zip(timings, cells, strict=True) if c.generator == "service"]
    in_process = [t for t in services if t.label == "in process"]
    over_mcp = [t for t in services if t.label == "MCP"]
    process_linear = _print_services("service, in process (skill.pipeline.generate)", in_process, routes, say)
    mcp_linear = _print_services("service, through MCP (dapr_generate_service with output_dir)", over_mcp, routes, say)
    print("  MCP over in process (argument checks, writing the files, the answer):", file=say)
    for p, m in zip(in_process, over_mcp, strict=True):
        print(f"    N={p.size:<4} {(m.median - p.median) * 1000:+7.1f} ms  ({m.median / p.median:.2f}x)", file=say)

    print("where one warm in-process call spends its time (the median of 3 calls by total):", file=say)
    for n in sizes:
        took = sorted((stages("service", service_spec(n, next(_serial))) for _ in range(3)), key=lambda s: s.total)[1]
        parts = "  ".join(f"{k} {v * 1000:.0f} ms ({v / took.total:.0%})" for k, v in took.seconds.items())
        print(f"  N={n:<4} {took.total * 1000:7.1f} ms: {parts}", file=say)

    print("the todo system (issue 11): project generator, warm", file=say)
    what = (
        "the todo system: generate('project', {})"
        if todo
        else "generate('project', {}) raises NotImplementedError (todo starters unfinished): the project "
        "generator's 'orders-pipeline' example instead"
    )
    _print_project([t for t, c in zip(timings, cells, strict=True) if c.generator == "project"], what, say)

    linear = process_linear and mcp_linear
    print(
        "verdict: service generation grows "
        + ("no worse than linearly in N" if linear else "SUPERLINEARLY in N somewhere (see above)")
        + " (flagged, not asserted)",
        file=say,
    )
    biggest = max(in_process, key=lambda t: t.size)
    if biggest.median > SLOW_SERVICE_S or not linear:
        print(f"  note: profile it with `python -m bench.generation --profile {biggest.size}`", file=say)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed calls per cell after one warm-up (default 7)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="service sizes N (default 1 10 100)")
    parser.add_argument(
        "--profile",
        metavar="N|project",
        help="cProfile one warm in-process call (service of size N, or the todo system)",
    )
    args = parser.parse_args(argv)
    sizes = [*args.sizes, *([int(args.profile)] if args.profile and args.profile.isdigit() else [])]
    if args.runs < 1 or any(n < 1 or n > 200 for n in sizes):
        parser.error("--runs must be >= 1 and sizes within 1-200 (the models spec holds at most 200 models)")
    if args.profile == "project":
        profile("project", project_spec(), sys.stdout)
    elif args.profile is not None:
        if not args.profile.isdigit():
            parser.error("--profile takes a size N or 'project'")
        profile("service", service_spec(int(args.profile)), sys.stdout)
    else:
        return run_generation(sys.stdout, runs=args.runs, sizes=args.sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
