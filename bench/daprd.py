"""Subscription deliveries through a real daprd: the generated route against dapr-ext-fastapi (issue 15).

`python -m bench --only daprd` (or `python -m bench.daprd --help` for the sizes). Needs tests/runtime/setup.sh
(daprd 1.18.3 and Redis); without it the run says why and exits 0.

* One daprd per app under test (tests/runtime/processes.py), each with its own app id, a Redis Streams pub/sub
  component `pubsub` (its `concurrency` metadata: the worker goroutines that deliver at once, 1 or 64) on a topic
  of its own, and a Redis state store `statestore` (the generated app's processed-event records).
* The apps (bench/daprd_app.py) run under uvicorn as the endpoint bench runs them, with the same handler; the
  generated one with its lifespan, so each delivery validates the event and claims its id in the state store
  through its sidecar (three sidecar calls per new event: read the done record, claim, mark done).
* Deliveries/s: N events bulk-published (`/v1.0-alpha1/publish/bulk`, 200 a request), from the first publish to
  the moment the handler saw the N-th (the handler's own clock). Rounds alternate the two apps (the order flips
  every round) so both meet the same machine; the median round is shown, and the CPU the app and its daprd used
  per event.
* Latency: one event published (`/v1.0/publish`), the time until the handler has it; repeated, alternating.
Everything runs one system at a time with the runtime tests (their lock in the cache folder).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pstats
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from bench.daprd_app import KINDS, PROFILE_ENV
from bench.endpoint.apps import spec
from bench.endpoint.payloads import PUBSUB
from bench.interference import proc_seconds
from skill.pipeline import generate
from tests.runtime import environment, processes, resources
from tests.runtime.environment import RuntimeEnv
from tests.runtime.systems import one_system_at_a_time

CONCURRENCIES = (1, 64)
TARGET = 1.0  # generated / dapr-ext-fastapi deliveries per second, at each concurrency
CHUNK = 200  # events per bulk publish request
LABELS = {
    "generated": "generated (idempotency in the state store)",
    "generated-memory": "generated (idempotency in memory)",
    "dapr-ext-fastapi": "dapr-ext-fastapi",
}


@dataclass(frozen=True)
class Sizes:
    events: dict[int, int]  # events per round, by delivery concurrency
    rounds: int
    latency: int  # single events per app
    warmup: int = 20

    @classmethod
    def of(cls, quick: bool, rounds: int) -> Sizes:
        if quick:
            return cls({1: 60, 64: 300}, rounds=2, latency=10)
        return cls({1: 400, 64: 2000}, rounds=rounds, latency=40)


@dataclass
class App:
    kind: str
    topic: str
    app: processes.Process
    app_url: str
    daprd: processes.Daprd
    handled: int = 0  # events its handler has seen so far

    def cpu(self) -> tuple[float, float]:
        return proc_seconds(self.app.popen.pid), proc_seconds(self.daprd.process.popen.pid)


@dataclass
class Cell:
    kind: str
    concurrency: int
    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # app + daprd CPU per event
    app_ms: list[float] = field(default_factory=list)  # the app's share

    def median(self) -> float | None:
        return statistics.median(self.rates) if self.rates else None


def _render(folder: Path, topic: str) -> None:
    endpoint = spec("generated")
    endpoint["subscriptions"][0]["topic"] = topic
    for f in generate("endpoint", endpoint).files:
        target = folder / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.content, encoding="utf-8")


def _resources(runtime: RuntimeEnv, folder: Path, concurrency: int) -> Path:
    pubsub = resources.component(
        PUBSUB,
        "pubsub.redis",
        {"redisHost": runtime.redis_host, "redisPassword": "", "concurrency": str(concurrency), "queueDepth": "100"},
    )
    store = resources.state_store(runtime, "redis", "statestore")
    return resources.write(folder, {"pubsub": pubsub, "statestore": store})


@contextlib.contextmanager
def _app(runtime: RuntimeEnv, workdir: Path, kind: str, concurrency: int, profile: Path | None = None) -> Iterator[App]:
    suffix = uuid.uuid4().hex[:8]
    topic = f"bench-{kind}-{suffix}"  # a stream of its own: the consumer group starts at 0, and no app sees both
    folder = workdir / f"{kind}-c{concurrency}"
    if kind != "dapr-ext-fastapi":
        _render(folder / "package", topic)
    app_port = processes.free_port()
    with processes.daprd(
        runtime, folder, f"bench-{kind}-{suffix}", _resources(runtime, folder / "resources", concurrency),
        app_port=app_port,
    ) as sidecar:  # fmt: skip
        argv = [sys.executable, "-m", "bench.daprd_app", kind, str(folder / "package"), topic, str(app_port)]
        root = Path(__file__).resolve().parent.parent
        env = {"DAPR_HTTP_PORT": str(sidecar.http_port), "DAPR_RUNTIME_HOST": "127.0.0.1", "PYTHONPATH": str(root)}
        if profile is not None:
            env[PROFILE_ENV] = str(profile)
        app = processes.start(kind, argv, folder / "app.log", cwd=root, env=env)
        try:
            # /v1.0/healthz answers 204 once the app channel is up and the subscriptions are made.
            processes.wait_http(f"{sidecar.url}/v1.0/healthz", sidecar.process, timeout=60)
            metadata = httpx.get(f"{sidecar.url}/v1.0/metadata", timeout=5).json()
            topics = [s.get("topic") for s in metadata.get("subscriptions", [])]
            if topic not in topics:
                raise RuntimeError(f"{kind}: daprd did not subscribe to {topic} ({topics}):\n{app.tail()}")
            yield App(kind, topic, app, f"http://127.0.0.1:{app_port}", sidecar)
        finally:
            app.stop()
            _drop_stream(runtime, topic)


def _drop_stream(runtime: RuntimeEnv, topic: str) -> None:
    """The topic's Redis stream: gone after the run (every run has new topics)."""
    host, _, port = runtime.redis_host.rpartition(":")
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=2) as s:
        name = topic.encode()
        s.sendall(b"*2\r\n$3\r\nDEL\r\n$%d\r\n%s\r\n" % (len(name), name))
        s.recv(64)


def _order(kind: str, n: int) -> dict[str, Any]:
    return {"id": f"{kind}-{n}", "customer": "c-42", "total": 12.5, "items": ["tea", "cake"]}


async def _seen(client: httpx.AsyncClient, app: App, count: int, wait: float) -> list[tuple[str, int]]:
    """The events handled after the first `app.handled`, once `count` were (or the timeout)."""
    answer = await client.get(
        f"{app.app_url}/bench/seen",
        params={"count": count, "since": app.handled, "wait": wait},
        timeout=wait + 10,
    )
    answer.raise_for_status()
    body = answer.json()
    if body["count"] < count:
        raise RuntimeError(f"{app.kind}: {body['count'] - app.handled} of {count - app.handled} events handled")
    app.handled = body["count"]
    return [(order, ns) for order, ns in body["events"]]


async def _publish(client: httpx.AsyncClient, app: App, first: int, n: int) -> None:
    url = f"{app.daprd.url}/v1.0-alpha1/publish/bulk/{PUBSUB}/{app.topic}"
    for start in range(first, first + n, CHUNK):
        entries = [
            {"entryId": str(i), "event": _order(app.kind, i), "contentType": "application/json"}
            for i in range(start, min(start + CHUNK, first + n))
        ]
        answer = await client.post(url, json=entries, timeout=60)
        if answer.status_code != 204:
            raise RuntimeError(f"bulk publish to {app.kind}'s daprd: {answer.status_code} {answer.text[:300]}")


async def burst(client: httpx.AsyncClient, app: App, n: int) -> tuple[float, float, float]:
    """Publish n events and wait for the handler to have them all: deliveries/s, and the CPU ms per event the app
    and its daprd used, and the app alone."""
    first = app.handled
    app0, daprd0 = app.cpu()
    t0 = time.monotonic_ns()
    await _publish(client, app, first, n)
    events = await _seen(client, app, first + n, wait=60 + n / 20)
    app1, daprd1 = app.cpu()
    orders = {order for order, _ in events}
    if len(orders) != n or len(events) != n:
        raise RuntimeError(f"{app.kind}: {len(events)} deliveries of {len(orders)} distinct events, {n} published")
    last = max(ns for _, ns in events)
    return n / ((last - t0) / 1e9), (app1 - app0 + daprd1 - daprd0) * 1000 / n, (app1 - app0) * 1000 / n


async def one_event(client: httpx.AsyncClient, app: App) -> float:
    """Milliseconds from the publish call to the handler."""
    n = app.handled
    t0 = time.monotonic_ns()
    answer = await client.post(f"{app.daprd.url}/v1.0/publish/{PUBSUB}/{app.topic}", json=_order(app.kind, n))
    if answer.status_code != 204:
        raise RuntimeError(f"publish to {app.kind}'s daprd: {answer.status_code} {answer.text[:300]}")
    ((order, ns),) = await _seen(client, app, n + 1, wait=30)
    if order != f"{app.kind}-{n}":
        raise RuntimeError(f"{app.kind}: expected event {n}, handled {order}")
    return (ns - t0) / 1e6


def _order_of(apps: list[App], round_: int) -> list[App]:
    """Every app takes every place in turn."""
    shift = round_ % len(apps)
    return apps[shift:] + apps[:shift]


async def measure(
    runtime: RuntimeEnv, workdir: Path, sizes: Sizes, kinds: tuple[str, ...], say: TextIO, profile: Path | None = None
) -> tuple[list[Cell], dict[str, list[float]]]:
    cells: list[Cell] = []
    latency: dict[str, list[float]] = {k: [] for k in kinds}
    async with httpx.AsyncClient(timeout=30) as client:
        for concurrency in CONCURRENCIES:
            with contextlib.ExitStack() as stack:
                into = None if profile is None else profile / f"c{concurrency}"
                if into is not None:
                    into.mkdir(parents=True, exist_ok=True)
                apps = [stack.enter_context(_app(runtime, workdir, k, concurrency, into)) for k in kinds]
                for app in apps:  # warm-up: imports, pools, the first claims
                    await burst(client, app, sizes.warmup)
                by_kind = {a.kind: Cell(a.kind, concurrency) for a in apps}
                for r in range(sizes.rounds):
                    for app in _order_of(apps, r):
                        rate, cpu, app_cpu = await burst(client, app, sizes.events[concurrency])
                        by_kind[app.kind].rates.append(rate)
                        by_kind[app.kind].cpu_ms.append(cpu)
                        by_kind[app.kind].app_ms.append(app_cpu)
                    print(
                        f"  c={concurrency} round {r + 1}: "
                        + ", ".join(f"{k} {c.rates[-1]:.0f}/s" for k, c in by_kind.items()),
                        file=say,
                        flush=True,
                    )
                cells += by_kind.values()
                if concurrency == CONCURRENCIES[0]:
                    for i in range(sizes.latency):
                        for app in _order_of(apps, i):
                            latency[app.kind].append(await one_event(client, app))
                            await asyncio.sleep(0.02)
    return cells, latency


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cell(cells: list[Cell], kind: str, concurrency: int) -> Cell:
    found = [x for x in cells if x.kind == kind and x.concurrency == concurrency]
    return found[0] if found else Cell(kind, concurrency)  # an app not measured: no rates


RATIOS = (
    ("generated", "dapr-ext-fastapi", TARGET),
    ("generated-memory", "dapr-ext-fastapi", None),
)


def report(
    cells: list[Cell], latency: dict[str, list[float]], sizes: Sizes, kinds: tuple[str, ...], say: TextIO
) -> None:
    print(f"\ndeliveries/s, median of {sizes.rounds} rounds; CPU ms per event: app + its daprd (app alone)", file=say)
    print(f"{'':<44}" + "".join(f"{'c=' + str(c):>28}" for c in CONCURRENCIES), file=say)
    for kind in kinds:
        row = ""
        for c in CONCURRENCIES:
            cell = _cell(cells, kind, c)
            m = cell.median()
            if m is None:
                row += f"{'n/a':>28}"
                continue
            cpu, app = statistics.median(cell.cpu_ms), statistics.median(cell.app_ms)
            row += f"{m:>9.0f}/s {cpu:>5.2f} ms ({app:4.2f})"
        print(f"{LABELS[kind]:<44}{row}", file=say)
    for kind, peer_kind, target in RATIOS:
        for c in CONCURRENCIES:
            gen, peer = _cell(cells, kind, c), _cell(cells, peer_kind, c)
            g, p = gen.median(), peer.median()
            if g is None or p is None:
                print(f"{kind} / {peer_kind}  c={c:<3}   n/a", file=say)
                continue
            verdict = f"target >= {target:.1f}: {'PASS' if g / p >= target else 'MISS'}; " if target else ""
            g_cpu, p_cpu = statistics.median(gen.cpu_ms), statistics.median(peer.cpu_ms)
            per_cpu = f"{p_cpu / g_cpu:4.2f}x" if g_cpu > 0 else "n/a"  # 10 ms ticks: a tiny run may see none
            rounds = " ".join(f"{a / b:.2f}" for a, b in zip(gen.rates, peer.rates, strict=True))
            print(
                f"{kind} / {peer_kind}  c={c:<3} {g / p:5.2f}x  ({verdict}events per CPU s {per_cpu}; "
                f"by round {rounds})",
                file=say,
            )
    print(f"\nlatency publish -> handler, one event at a time ({sizes.latency} each, c=1)", file=say)
    for kind in kinds:
        v = latency[kind]
        if v:
            print(
                f"{LABELS[kind]:<44} p50 {_quantile(v, 0.5):6.2f} ms  p90 {_quantile(v, 0.9):6.2f} ms"
                f"  min {min(v):6.2f} ms",
                file=say,
            )


def run_daprd(
    say: TextIO, *, quick: bool = False, rounds: int = 3, sizes: Sizes | None = None, profile: Path | None = None
) -> int:
    sizes = sizes or Sizes.of(quick, rounds)
    print("subscription deliveries through a real daprd (Redis Streams pub/sub, Redis state store)", file=say)
    found = environment.load()
    if isinstance(found, str):
        print(f"skipped: {found}", file=say)
        return 0
    kinds: tuple[str, ...] = KINDS
    if importlib_missing("dapr.ext.fastapi"):
        print("dapr-ext-fastapi is not installed (uv run --group bench): its row and the ratios show n/a", file=say)
        kinds = tuple(k for k in KINDS if k != "dapr-ext-fastapi")
    print(
        f"daprd {found.dapr_version}; {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; events per round {sizes.events}, "
        f"{sizes.rounds} rounds",
        file=say,
        flush=True,
    )
    # Two real systems at once would measure each other.
    with one_system_at_a_time(say), tempfile.TemporaryDirectory(prefix="bench-daprd-") as tmp:
        cells, latency = asyncio.run(measure(found, Path(tmp), sizes, kinds, say, profile))
    report(cells, latency, sizes, kinds, say)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=say)
    if profile is not None:
        _print_profiles(profile, say)
    return 0


def _print_profiles(profile: Path, say: TextIO) -> None:
    """Where each app spent its CPU at c=64 (the whole run of that daprd pair: warm-up, rounds)."""
    for prof in sorted((profile / f"c{CONCURRENCIES[-1]}").glob("*.prof")):
        print(f"\n--- {prof.stem}, c={CONCURRENCIES[-1]}: top functions by own time ({prof})", file=say)
        stats = pstats.Stats(str(prof), stream=say)
        stats.strip_dirs().sort_stats("tottime").print_stats(15)


def importlib_missing(module: str) -> bool:
    import importlib.util
    import warnings

    try:
        with warnings.catch_warnings():  # dapr >= 1.19 warns that the extension now ships inside the core wheel
            warnings.simplefilter("ignore")
            return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.daprd", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few events, 2 rounds (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, nargs=2, metavar=("C1", "C64"), help="events per round at c=1, c=64")
    parser.add_argument("--latency", type=int, help="single events per app for the latency")
    parser.add_argument("--profile", metavar="DIR", type=Path, help="run the apps under cProfile, profiles into DIR")
    args = parser.parse_args(argv)
    sizes = Sizes.of(args.quick, args.rounds)
    if args.events or args.latency:
        events = dict(zip(CONCURRENCIES, args.events, strict=True)) if args.events else sizes.events
        sizes = Sizes(events, sizes.rounds, args.latency or sizes.latency)
    return run_daprd(sys.stdout, sizes=sizes, profile=args.profile and args.profile.resolve())


if __name__ == "__main__":
    sys.exit(main())
