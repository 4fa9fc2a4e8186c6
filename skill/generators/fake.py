"""The in-memory Dapr sidecar a generated service ships in its tests (`tests/fake_dapr.py`).

Not a generator of its own: the service generator adds the file to its plan with `context_for(blocks)`, where
`blocks` are the client blocks the service uses. Only the parts for those blocks are rendered, so the fake answers
exactly the API the service's client can call; every other Dapr API answers 501 naming what is missing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from skill.imports import Import, import_lines
from skill.specs.client import BLOCKS, Block
from skill.specs.components import Environment, StateSpec

__all__ = ["ANSWERED", "SNIPPET", "STATE_STORE_TYPES", "FakeContext", "context_for", "store_types"]

SNIPPET = "service/fake_dapr"

# The client blocks the fake answers; configuration, lock, workflow and metadata are left out (their calls get 501).
ANSWERED: tuple[Block, ...] = ("state", "pubsub", "invoke", "bindings", "secrets", "jobs")

# The sidecar API path segment (`/v1.0/<api>/...`) of each block, for the 501 of the APIs not rendered.
_APIS: Mapping[Block, tuple[str, ...]] = {
    "state": ("state",),
    "pubsub": ("publish",),
    "invoke": ("invoke",),
    "bindings": ("bindings",),
    "secrets": ("secrets",),
    "configuration": ("configuration",),
    "lock": ("lock", "unlock"),
    "jobs": ("jobs",),
    "workflow": ("workflows",),
    "metadata": ("metadata",),
}
assert tuple(_APIS) == BLOCKS, "_APIS must name every block's API, in BLOCKS order"


def _std(module: str, *names: str) -> tuple[Import, ...]:
    return tuple(Import(module, n) for n in names) if names else (Import(module),)


# What every render uses: the transport, routing, errors, health, the app channel.
_BASE_IMPORTS = (
    *_std("asyncio"),
    *_std("json"),
    *_std("collections.abc", "Awaitable", "Callable", "MutableMapping"),
    *_std("dataclasses", "dataclass"),
    *_std("typing", "Any"),
    *_std("urllib.parse", "parse_qsl", "quote", "unquote_plus"),
    Import("httpx", third_party=True),
)
_ITERABLE = _std("collections.abc", "Iterable")
_FIELD = _std("dataclasses", "field")
_CLOUD_EVENTS = (*_std("base64"), *_std("uuid"), *_std("datetime", "UTC", "datetime", "timedelta"))
_PART_IMPORTS: Mapping[str, tuple[Import, ...]] = {
    "state": (*_ITERABLE, *_std("time"), *_std("uuid"), *_std("typing", "Literal")),
    "pubsub": (*_ITERABLE, *_CLOUD_EVENTS),
    "invoke": (),
    "bindings": (*_ITERABLE, *_FIELD),
    "secrets": _std("collections.abc", "Mapping"),
    "jobs": (*_FIELD,),
    "delivery": (*_FIELD, *_CLOUD_EVENTS, *_std("re"), *_std("typing", "Literal")),
}

# The state store components whose answers the fake's stores reproduce (FakeDapr's `state_store_type`), as
# "<type>" or "<type>-<version>" of state.<type> (references/dapr-pitfalls.md, "State stores differ").
STATE_STORE_TYPES = ("redis", "postgresql-v1", "postgresql-v2", "in-memory")


def store_types(state: StateSpec | None, environments: Iterable[Environment]) -> tuple[str, ...]:
    """The state store type each environment runs a service with, in order and once each: the components generator's
    choice (Redis locally, PostgreSQL `postgresql_version` on Kubernetes); () without a state store."""
    if state is None:
        return ()
    by_environment = {"local": "redis", "kubernetes": f"postgresql-{state.postgresql_version}"}
    return tuple(dict.fromkeys(by_environment[e] for e in environments))


# One line per part for the module docstring's list of what is answered.
_SUMMARY: Mapping[str, str] = {
    "state": "state: get, bulk get, save, delete, transactions and queries, with ETags",
    "pubsub": "pub/sub: publish and bulk publish, recorded in `published`",
    "invoke": "service invocation: routed to the ASGI apps in `apps`",
    "bindings": "output bindings: recorded in `binding_calls`, answered from `binding_replies`",
    "secrets": "secrets: read from `secrets`",
    "jobs": "jobs: schedule, get and delete, kept in `jobs`; `trigger_job()` fires one",
}


@dataclass(frozen=True)
class FakeContext:
    """Template variables of snippets/service/fake_dapr.py.jinja."""

    blocks: tuple[Block, ...]  # the answered client blocks in use, in BLOCKS order
    unsupported: tuple[Block, ...]  # client blocks in use that the fake leaves out (their calls get 501)
    unanswered_apis: tuple[str, ...]  # sidecar API segments answered 501, sorted
    state: bool
    pubsub: bool
    invoke: bool
    bindings: bool
    secrets: bool
    jobs: bool
    delivery: bool  # deliver()/deliver_pending(): the app's subscriptions fed as daprd feeds them
    summary: tuple[str, ...]  # docstring lines: what this render answers
    stdlib_imports: tuple[str, ...]
    third_party_imports: tuple[str, ...]
    client_import: str  # the docstring example's import of the service's client
    state_store_type: str  # FakeDapr's default state_store_type: the store the service runs on locally
    state_store_types: tuple[str, ...] = STATE_STORE_TYPES


def context_for(
    blocks: Collection[str],
    *,
    client_module: str = "dapr_client",
    package: str = "app",
    subscriptions: bool = False,
    state_store_type: str = "redis",
) -> FakeContext:
    """The fake for a client using `blocks` (the client generator's block names).

    `subscriptions`: render the delivery helpers even without the pubsub block (an app that subscribes but never
    publishes); with the pubsub block they are always there. `state_store_type`: the store FakeDapr behaves like
    by default (one of STATE_STORE_TYPES). Unknown block names or store types raise ValueError."""
    unknown = sorted(set(blocks) - set(BLOCKS))
    if unknown:
        raise ValueError(f"unknown client blocks {unknown}; known: {list(BLOCKS)}")
    if state_store_type not in STATE_STORE_TYPES:
        raise ValueError(f"unknown state store type {state_store_type!r}; known: {list(STATE_STORE_TYPES)}")
    used = tuple(b for b in BLOCKS if b in blocks)
    answered = tuple(b for b in used if b in ANSWERED)
    delivery = "pubsub" in answered or subscriptions
    parts = [*answered, *(["delivery"] if delivery else [])]
    imports = [*_BASE_IMPORTS, *(i for p in parts for i in _PART_IMPORTS[p])]
    return FakeContext(
        blocks=answered,
        unsupported=tuple(b for b in used if b not in ANSWERED),
        unanswered_apis=tuple(sorted(api for b in BLOCKS if b not in answered for api in _APIS[b])),
        state="state" in answered,
        pubsub="pubsub" in answered,
        invoke="invoke" in answered,
        bindings="bindings" in answered,
        secrets="secrets" in answered,
        jobs="jobs" in answered,
        delivery=delivery,
        summary=tuple(_SUMMARY[b] for b in answered),
        stdlib_imports=import_lines(i for i in imports if not i.third_party),
        third_party_imports=import_lines(i for i in imports if i.third_party),
        client_import=f"from {package}.{client_module} import DaprClient, DaprSettings",
        state_store_type=state_store_type,
    )
