"""Timing: warm-up, then a fixed wall-clock window with N tasks sharing one client, rounds interleaved.

Rate = completed requests / wall time until the last in-flight request finished. Workers check the deadline
before starting a request, so the window overruns by at most one request latency, and that time is counted.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.client.contender import Contender, Op
from bench.client.payloads import WORKLOADS, Workload
from bench.interference import CpuMeter, Foreign

CONCURRENCIES: tuple[int, ...] = (1, 64)
RETRIES = 2  # extra attempts at a sample disturbed by other processes


@dataclass(frozen=True)
class Settings:
    window: float  # seconds measured per sample
    warmup: float  # seconds run and discarded before each sample (fills the pool, warms caches)
    rounds: int
    retry_share: float  # re-taking disturbed samples may add this share to the planned measuring time


class _Budget:
    """Retries stop when the budget is spent, so a busy machine lengthens the run by a bounded amount."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def allows(self, cost: float) -> bool:
        return self.left >= cost


class RateStats:
    """The median and spread of a cell's measured rates; a failed cell has neither."""

    rates: list[float]
    error: str | None

    @property
    def median(self) -> float | None:
        return statistics.median(self.rates) if self.rates and self.error is None else None

    @property
    def spread(self) -> float | None:
        """(max - min) / median: how much the rounds disagree."""
        med = self.median
        return (max(self.rates) - min(self.rates)) / med if med else None


@dataclass
class Series(RateStats):
    """Every sample of one (client, workload, concurrency) cell; the table shows the median."""

    key: str
    workload: Workload
    concurrency: int
    rates: list[float] = field(default_factory=list)
    foreign: list[Foreign] = field(default_factory=list)  # other processes' CPU during each kept sample
    error: str | None = None

    @property
    def disturbed(self) -> int:
        """Kept samples during which other processes took a noticeable share of our cores."""
        return sum(1 for f in self.foreign if f.disturbed)


async def run_window(op: Op, concurrency: int, seconds: float) -> float:
    loop = asyncio.get_running_loop()
    completed = 0
    deadline = loop.time() + seconds

    async def worker() -> None:
        nonlocal completed
        while loop.time() < deadline:
            await op()
            completed += 1

    start = time.perf_counter()
    # A hung client must not hang the run: the deadline is generous (the seed pattern at c=64 needs seconds).
    async with asyncio.timeout(seconds * 4 + 30), asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return completed / (time.perf_counter() - start)


def describe(exc: BaseException) -> str:
    """A failed cell's error in one short line (the first of an exception group)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:160]


async def _one(op: Op, concurrency: int, settings: Settings, meter: CpuMeter | None) -> tuple[float, Foreign]:
    await run_window(op, concurrency, settings.warmup)
    gc.collect()  # start each window with the same heap, so one client's garbage is not billed to the next
    before, start = (meter.read() if meter else None), time.perf_counter()
    rate = await run_window(op, concurrency, settings.window)
    quiet = Foreign(0.0, 0.0)
    foreign = meter.foreign(before, meter.read(), time.perf_counter() - start) if meter and before else quiet
    return rate, foreign


async def sample(
    contender: Contender, series: Series, settings: Settings, meter: CpuMeter | None, budget: _Budget
) -> None:
    if series.error is not None:
        return  # a client that failed once is out: a partial series would be misleading
    op = contender.op(series.workload)
    cost = settings.warmup + settings.window
    try:
        best = await _one(op, series.concurrency, settings, meter)
        for _ in range(RETRIES if not contender.once else 0):
            if not best[1].disturbed or not budget.allows(cost):
                break
            budget.left -= cost
            # Something else ran: try again and keep the quietest attempt, not the fastest (no cherry-picking).
            attempt = await _one(op, series.concurrency, settings, meter)
            best = min(best, attempt, key=lambda r: (r[1].disturbed, r[1].client + r[1].server))
    except Exception as exc:  # any failure, wrong bodies included, disqualifies the series
        series.error = describe(exc)
        return
    series.rates.append(best[0])
    series.foreign.append(best[1])


async def measure(
    contenders: Sequence[Contender],
    settings: Settings,
    meter: CpuMeter | None,
    progress: Callable[[str], None],
) -> list[Series]:
    """All series, measured round by round so slow drift (thermal, noisy neighbours) hits every client alike."""
    cells = [(c, Series(c.key, w, n)) for w in WORKLOADS for n in CONCURRENCIES for c in contenders if w in c.workloads]
    planned = len(cells) * settings.rounds * (settings.warmup + settings.window)
    budget = _Budget(planned * settings.retry_share)
    for round_no in range(1, settings.rounds + 1):
        progress(f"round {round_no}/{settings.rounds}")
        for contender, series in cells:
            if contender.once and series.rates:
                continue
            await sample(contender, series, settings, meter, budget)
    return [series for _, series in cells]
