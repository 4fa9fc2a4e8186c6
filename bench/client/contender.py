"""The shape every measured client takes: open once, hand out one verified request per workload, close."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from bench.client.payloads import Workload

# One request, verified: returns normally only if status and body are what the stand-in serves.
Op = Callable[[], Awaitable[None]]


class Contender(ABC):
    key: str  # stable id for --json and ratios
    label: str  # row title in the table
    workloads: tuple[Workload, ...] = ("state", "invoke")
    # Clients that cost seconds per window (the seed pattern) are measured once, not every round.
    once: bool = False

    @abstractmethod
    async def open(self, base_url: str) -> None:
        """Build the client. Not timed: one-off costs (an SSL context, the SDK's health wait) belong here."""

    @abstractmethod
    def op(self, workload: Workload) -> Op: ...

    @abstractmethod
    async def close(self) -> None: ...
