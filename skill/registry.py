"""The one list of generators. The MCP server and the CLI are both built from it and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skill.generators import client
from skill.plan import Plan
from skill.specs.client import ClientSpec
from skill.specs.common import SpecModel

__all__ = ["REGISTRY", "Generator", "get_generator"]


@dataclass(frozen=True)
class Generator:
    name: str
    title: str
    description: str
    spec: type[SpecModel]
    plan: Callable[[Any], Plan]

    @property
    def tool_name(self) -> str:
        return f"dapr_generate_{self.name}"


REGISTRY: dict[str, Generator] = {
    g.name: g
    for g in (
        Generator(
            name="client",
            title="Async Dapr sidecar client",
            description="Generate an async Python client for the Dapr sidecar HTTP API (httpx, pooled, typed): "
            "state with ETags, pub/sub, service invocation, bindings, secrets, configuration, locks, the Jobs "
            "API, workflow management, metadata, health. Settings from the official DAPR_* environment "
            "variables; safe retries; typed DaprError. Returns one checked module.",
            spec=ClientSpec,
            plan=client.plan,
        ),
    )
}


def get_generator(name: str) -> Generator:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown generator {name!r}; known: {', '.join(REGISTRY)}") from None
