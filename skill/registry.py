"""The one list of generators. The MCP server and the CLI are both built from it and nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from skill.errors import FieldProblem, SpecError
from skill.generator import Generator
from skill.generators import client, components, endpoint, models, project, service

__all__ = ["REGISTRY", "get_generator", "known_generators", "registry_of"]


def registry_of(generators: Iterable[Generator]) -> Mapping[str, Generator]:
    """A read-only registry keyed by name; two generators of one name are a programming error."""
    found: dict[str, Generator] = {}
    for g in generators:
        if g.name in found:
            raise ValueError(f"two generators are named {g.name!r}")
        found[g.name] = g
    return MappingProxyType(found)


REGISTRY = registry_of(
    [client.GENERATOR, models.GENERATOR, endpoint.GENERATOR, components.GENERATOR, service.GENERATOR, project.GENERATOR]
)


def known_generators() -> Mapping[str, Generator]:
    """The registry in use, read at call time (a test may install one with an extra generator)."""
    return REGISTRY


def get_generator(name: str, registry: Mapping[str, Generator] | None = None) -> Generator:
    """The generator called `name`, or a SpecError listing the known ones."""
    known = REGISTRY if registry is None else registry
    try:
        return known[name]
    except KeyError:
        rule = f"is not a generator; known generators: {', '.join(known) or 'none'}"
        raise SpecError("generate", [FieldProblem.of(["generator"], name, rule)], what="request") from None
