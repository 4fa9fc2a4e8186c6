"""A hypothesis strategy of valid specs for each generator: the shared property and determinism tests draw from it,
and the generator checklist requires an entry for every registered generator."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Collection
from typing import Any

from hypothesis import strategies as st

from skill.generators.client import requirements_for
from skill.specs.client import BLOCKS, ClientSpec, reserved_class_names
from skill.specs.names import module_name_problem
from tests.components.strategies import components_specs
from tests.models.strategies import models_specs

__all__ = ["STRATEGIES", "class_names", "module_names"]

_SOFT = {"case", "match", "type", "_"}


def class_names(reserved: Callable[[], Collection[str]] = frozenset) -> st.SearchStrategy[str]:
    """Class names, less `reserved()` (asked for when drawing, so importing this module stays cheap)."""
    return st.from_regex(re.compile(r"[A-Z][A-Za-z0-9]{0,20}"), fullmatch=True).filter(
        lambda s: not keyword.iskeyword(s) and s not in {"I", "O"} and s not in reserved()
    )


def module_names(requirements: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Module names that shadow nothing the output (with `requirements`) imports."""
    return st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
        lambda s: not keyword.iskeyword(s) and s not in _SOFT and module_name_problem(s, requirements) is None
    )


_client: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "blocks": st.lists(st.sampled_from(BLOCKS), min_size=1, unique=True),
        "transport": st.sampled_from(["auto", "httpx", "aiohttp"]),
        "dapr_version": st.sampled_from([None, "1.15", "1.16", "1.17", "1.18"]),
        "class_name": class_names(reserved_class_names),
        "module": module_names(requirements_for(ClientSpec())),
        "timeout_seconds": st.floats(min_value=0.001, max_value=600),
        "max_retries": st.integers(min_value=0, max_value=10),
        "max_connections": st.integers(min_value=1, max_value=10_000),
    },
)


def _endpoint() -> st.SearchStrategy[dict[str, Any]]:
    """The endpoint spec is a graph of names (models, topics, routes, handlers); its own tests cover the shapes.
    Here: its default and examples, moved to another package and line length."""
    from skill.generators.endpoint import GENERATOR

    bases = st.sampled_from([{}, *(dict(e) for e in GENERATOR.examples.values())])
    extra = st.fixed_dictionaries(
        {},
        optional={
            "package": st.sampled_from(["app", "orders", "svc_api"]),
            "line_length": st.integers(min_value=60, max_value=140),
        },
    )
    return st.tuples(bases, extra).map(lambda pair: {**pair[0], **pair[1]})


_APP_IDS = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)


def _service() -> st.SearchStrategy[dict[str, Any]]:
    """The default and examples (their own tests cover the shapes), with the options a service adds varied."""
    from skill.generators.service import GENERATOR

    bases = st.sampled_from([{}, *(dict(e) for e in GENERATOR.examples.values())])
    extra = st.fixed_dictionaries(
        {},
        optional={
            "app_id": _APP_IDS,
            "port": st.integers(min_value=1024, max_value=65535),
            "environments": st.sampled_from([["local"], ["kubernetes"], ["kubernetes", "local"]]),
            "line_length": st.integers(min_value=60, max_value=140),
            "replicas": st.integers(min_value=1, max_value=100),
            "app_token": st.booleans(),
        },
    )
    specs: st.SearchStrategy[dict[str, Any]] = st.tuples(bases, extra).map(lambda pair: {**pair[0], **pair[1]})
    return specs.filter(_calls_another)


def _calls_another(spec: dict[str, Any]) -> bool:
    """A service may not list itself in `calls`."""
    calls = spec.get("calls", [])
    return isinstance(calls, list) and spec.get("app_id", "task-api") not in calls


def _project() -> st.SearchStrategy[dict[str, Any]]:
    """The todo system and the examples, in other environments and line lengths."""
    from skill.generators.project import GENERATOR

    bases = st.sampled_from([{}, *(dict(e) for e in GENERATOR.examples.values())])
    extra = st.fixed_dictionaries(
        {},
        optional={
            "name": _APP_IDS,
            "environments": st.sampled_from([["local"], ["kubernetes"], ["kubernetes", "local"]]),
            "line_length": st.integers(min_value=60, max_value=140),
        },
    )
    return st.tuples(bases, extra).map(lambda pair: {**pair[0], **pair[1]})


STRATEGIES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "service": st.deferred(_service),
    "project": st.deferred(_project),
    "endpoint": st.deferred(_endpoint),
    "client": _client,
    "components": components_specs(),
    "models": models_specs,
}
