"""How much CPU other processes took on our two cores while a window ran (test suites share this machine).

Per core, from /proc/stat: busy time - the time of the process pinned there (the bench on the client core, the
stand-in on the server core). What matters most is the client core, since the load generator is what saturates;
nginx has headroom on its core, so it tolerates more. A disturbed sample is retried, and cells that could not get
a quiet one are marked, so a noisy neighbour shows up as a warning instead of as a slow client.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.cpus import CpuPlan

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

CLIENT_QUIET = 0.1  # cores of foreign CPU on the client's core above which a sample counts as disturbed
# The same on nginx's core. nginx idles most of the time in every row but the raw floor, and wakes ahead of a CPU
# hog: measured, a hog at 0.8 of that core left client-bound rows unchanged, while 0.45 on the client's halved them.
SERVER_QUIET = 0.75


@dataclass(frozen=True)
class Foreign:
    """Cores' worth of CPU that other processes used during a window, per pinned core."""

    client: float
    server: float

    @property
    def disturbed(self) -> bool:
        return self.client > CLIENT_QUIET or self.server > SERVER_QUIET


@dataclass(frozen=True)
class Reading:
    client_busy: float  # seconds: user + nice + system (softirq excluded: loopback traffic lands there)
    server_busy: float
    client_ours: float  # seconds used by this process
    server_ours: float  # seconds used by the stand-in's processes


def proc_seconds(pid: int | str) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it has exited."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0  # a stand-in process that already exited contributes nothing
    fields = text.rsplit(")", 1)[1].split()  # the command name may contain spaces and ')'
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(entry.name))
    return out


def _busy_by_cpu() -> dict[int, float]:
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            out[int(name[3:])] = (int(fields[0]) + int(fields[1]) + int(fields[2])) / _TICK
    return out


class CpuMeter:
    def __init__(self, cpus: CpuPlan, server_pids: Sequence[int]) -> None:
        if cpus.client is None or cpus.server is None:
            raise ValueError("CpuMeter needs a pinned client and server (see CpuMeter.available)")
        self._client_cpu, self._server_cpu = cpus.client, cpus.server
        # nginx's worker is a child of the master we started; it lives as long as the master does.
        self._server = [p for pid in server_pids for p in (pid, *_children(pid))]

    @staticmethod
    def available(cpus: CpuPlan) -> bool:
        distinct = cpus.client is not None and cpus.server is not None and cpus.client != cpus.server
        return distinct and Path("/proc/stat").exists() and Path("/proc/self/stat").exists()

    def read(self) -> Reading:
        busy = _busy_by_cpu()
        server = sum(proc_seconds(pid) for pid in self._server)
        return Reading(busy[self._client_cpu], busy[self._server_cpu], proc_seconds("self"), server)

    @staticmethod
    def foreign(before: Reading, after: Reading, wall: float) -> Foreign:
        """Clock-tick resolution (10 ms): over a 0.5-2 s window that is 0.005-0.02 cores."""
        if wall <= 0:
            return Foreign(0.0, 0.0)
        client = (after.client_busy - before.client_busy) - (after.client_ours - before.client_ours)
        server = (after.server_busy - before.server_busy) - (after.server_ours - before.server_ours)
        return Foreign(max(0.0, client) / wall, max(0.0, server) / wall)
