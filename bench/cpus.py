"""Which core the load generator gets and which one the stand-in sidecar gets.

The brief is one client process on one core against one nginx worker: pinning both keeps the two from
trading places on the scheduler between rounds, which is most of the run-to-run noise on a 2-core machine.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class CpuPlan:
    client: int | None
    server: int | None

    def describe(self) -> str:
        if self.client is None:
            return "not pinned (sched_setaffinity unavailable)"
        if self.client == self.server:
            return f"client and server share CPU {self.client} (only one CPU: absolute rates drop)"
        return f"client on CPU {self.client}, server on CPU {self.server}"


def plan_cpus() -> CpuPlan:
    if not hasattr(os, "sched_getaffinity"):
        return CpuPlan(None, None)
    cpus = sorted(os.sched_getaffinity(0))
    return CpuPlan(cpus[0], cpus[1] if len(cpus) > 1 else cpus[0])


@contextlib.contextmanager
def pinned(plan: CpuPlan) -> Iterator[None]:
    """Pin this process for the block, then give back the old mask (so later benchmarks get every core).

    Enter it before any thread starts: threads inherit the mask of the thread that creates them.
    """
    if plan.client is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {plan.client})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pin_child(plan: CpuPlan) -> None:
    """preexec_fn body for the server: nginx's forked worker inherits the master's mask."""
    if plan.server is not None:
        os.sched_setaffinity(0, {plan.server})
