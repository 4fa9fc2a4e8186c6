"""The async Dapr sidecar client: one module, its settings and errors included."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from skill.generator import Generator
from skill.imports import Import, import_lines
from skill.plan import FilePlan, Plan
from skill.specs.client import (
    BLOCKS,
    SUPPORTED_DAPR_VERSIONS,
    Block,
    ClientSpec,
    DaprVersion,
    Transport,
    requirements_for,
)

__all__ = [
    "GENERATOR",
    "ClientContext",
    "Defaults",
    "Routes",
    "context_for",
    "requirements_for",
    "routes_for",
]

SNIPPET = "client/dapr_client"


def _std(module: str, *names: str) -> tuple[Import, ...]:
    return tuple(Import(module, n) for n in names) if names else (Import(module),)


def _lib(module: str, *names: str) -> tuple[Import, ...]:
    return tuple(Import(module, n, third_party=True) for n in names) if names else (Import(module, third_party=True),)


# What the module always imports: the client class, settings, errors, wire helpers and the httpx backend.
_BASE_IMPORTS = (
    *_std("asyncio"),
    *_std("contextlib"),
    *_std("email.utils"),
    *_std("functools"),
    *_std("logging"),
    *_std("random"),
    *_std("sys"),
    *_std("collections.abc", "Coroutine", "Iterator", "Mapping"),
    *_std("contextvars", "ContextVar"),
    *_std("datetime", "UTC", "datetime"),
    *_std("types", "TracebackType"),
    *_std("typing", "Any", "Self"),
    *_std("urllib.parse", "quote"),
    *_lib("httpx"),
    *_lib("pydantic", "Field", "SecretStr"),
    *_lib("pydantic_core", "from_json"),
    *_lib("pydantic_settings", "BaseSettings", "SettingsConfigDict"),
)
_AIOHTTP_IMPORTS = (*_lib("aiohttp"), *_lib("yarl", "URL"))


@dataclass(frozen=True)
class Helper:
    """A shared module-level helper (or client method) that some blocks need: snippets/client/_parts/helpers/."""

    imports: tuple[Import, ...] = ()
    needs: tuple[str, ...] = ()  # other helpers it calls
    method: bool = False  # a method of the client class rather than a module-level definition


# In the order they appear in the generated module.
HELPERS: Mapping[str, Helper] = {
    "json_headers": Helper(),
    "metadata": Helper(),
    "string_map": Helper(needs=("metadata",)),
    "metadata_params": Helper(needs=("metadata",)),
    "json_bytes": Helper(imports=_lib("pydantic", "TypeAdapter")),
    "payload": Helper(needs=("json_bytes",)),
    "post_json": Helper(needs=("json_bytes", "json_headers"), method=True),
}


@dataclass(frozen=True)
class BlockParts:
    """What one building block adds besides its methods (snippets/client/_parts/<block>.py.jinja)."""

    imports: tuple[Import, ...] = ()
    helpers: tuple[str, ...] = ()
    definitions: bool = True  # the part has module-level definitions (its `definitions()` macro)
    usage: str | None = None  # a line of the module docstring's example


_DATACLASS = _std("dataclasses", "dataclass")
_FIELD = _std("dataclasses", "field")
_SEQUENCE = _std("collections.abc", "Sequence")

PARTS: Mapping[Block, BlockParts] = {
    "state": BlockParts(
        (*_DATACLASS, *_FIELD, *_SEQUENCE, *_std("collections.abc", "Callable"), *_std("typing", "Final", "Literal")),
        ("json_headers", "json_bytes", "post_json", "string_map", "metadata_params"),
        usage='await dapr.save_state("statestore", "order-1", order)  # a Pydantic model',
    ),
    "pubsub": BlockParts(
        (*_DATACLASS, *_SEQUENCE, *_std("base64", "b64encode")),
        ("payload", "post_json", "metadata_params"),
        usage='await dapr.publish_event("pubsub", "orders", order)',
    ),
    "invoke": BlockParts((*_DATACLASS, *_SEQUENCE), ("payload",)),
    "bindings": BlockParts((*_DATACLASS, *_FIELD), ("post_json", "string_map")),
    "secrets": BlockParts((), ("metadata_params",), definitions=False),
    "configuration": BlockParts((*_DATACLASS, *_FIELD, *_SEQUENCE), ("metadata_params",)),
    "lock": BlockParts(_std("enum", "IntEnum"), ("post_json",)),
    "jobs": BlockParts((*_DATACLASS, *_std("datetime", "timedelta")), ("post_json",)),
    "workflow": BlockParts((*_DATACLASS, *_FIELD, *_std("re")), ("json_headers", "json_bytes")),
    "metadata": BlockParts(definitions=False),
}
assert tuple(PARTS) == BLOCKS, "PARTS must describe every block, in BLOCKS order"


@dataclass(frozen=True)
class TransportParts:
    """What a transport choice changes: its imports, its backends and the class docstring's note on them."""

    imports: tuple[Import, ...]  # imported unconditionally
    optional_imports: tuple[Import, ...]  # imported inside `try: ... except ImportError`
    helpers: tuple[str, ...]  # snippets/client/_parts/transport/<name>.py.jinja, after the httpx backend
    backend_type: str
    note: tuple[str, ...]


TRANSPORTS: Mapping[Transport, TransportParts] = {
    "auto": TransportParts(
        (),
        _AIOHTTP_IMPORTS,
        ("aiohttp_backend",),
        "_HttpxBackend | _AiohttpBackend",
        (
            "Its own pool is an aiohttp session used directly when aiohttp is installed,",
            "several times faster under concurrency than httpx's own pool, the fallback.",
        ),
    ),
    "httpx": TransportParts((), (), (), "_HttpxBackend", ()),
    "aiohttp": TransportParts(
        _AIOHTTP_IMPORTS,
        (),
        ("aiohttp_backend",),
        "_HttpxBackend | _AiohttpBackend",
        ("Its own pool is an aiohttp session used directly, the fastest option.",),
    ),
}


@dataclass(frozen=True)
class Routes:
    """The API version prefix of each route family (references/dapr-contract.md, "Route versions")."""

    jobs: str
    bulk_publish: str
    workflow: str
    state_query: str = "v1.0-alpha1"
    lock: str = "v1.0-alpha1"
    configuration: str = "v1.0"


@dataclass(frozen=True)
class Defaults:
    timeout_seconds: float
    max_retries: int
    backoff_initial_seconds: float
    backoff_max_seconds: float
    health_timeout_seconds: float
    max_connections: int


@dataclass(frozen=True)
class ClientContext:
    class_name: str
    blocks: tuple[Block, ...]  # canonical order: output does not depend on input order
    defining_blocks: tuple[Block, ...]  # the blocks with module-level definitions
    usage: tuple[str, ...]  # example lines of the module docstring
    stdlib_imports: tuple[str, ...]
    third_party_imports: tuple[str, ...]
    optional_imports: tuple[str, ...]  # inside `try: ... except ImportError` (transport 'auto')
    helpers: tuple[str, ...]  # snippets/client/_parts/helpers/<name>.py.jinja, module level, in order
    method_helpers: tuple[str, ...]  # the same, rendered inside the client class
    transport: Transport
    transport_helpers: tuple[str, ...]
    backend_type: str
    transport_note: tuple[str, ...]
    routes: Routes
    dapr_target: str
    defaults: Defaults
    binding_calls: tuple[str, ...] = ()  # typed output-binding calls (the bindings part renders them)


def _helpers_for(blocks: Iterable[Block]) -> list[str]:
    wanted: set[str] = set()
    todo = [h for b in blocks for h in PARTS[b].helpers]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(HELPERS[name].needs)
    return [name for name in HELPERS if name in wanted]


def _at_least(version: DaprVersion | None, floor: tuple[int, int]) -> bool:
    """Whether every release from `version` on (unset: the oldest supported) is at least `floor`."""
    major, minor = (int(part) for part in (version or SUPPORTED_DAPR_VERSIONS[0]).split("."))
    return (major, minor) >= floor


def routes_for(version: DaprVersion | None) -> Routes:
    """Routes for the oldest runtime the client must support: the alpha Jobs and bulk-publish routes and the v1.0
    workflow route are served by every supported release (1.15 to 1.18, references/dapr-contract.md §17), the
    stable Jobs and bulk-publish routes appear later."""
    return Routes(
        jobs="v1.0" if _at_least(version, (1, 18)) else "v1.0-alpha1",
        bulk_publish="v1.0" if _at_least(version, (1, 17)) else "v1.0-alpha1",
        workflow="v1.0",
    )


def _target(spec: ClientSpec) -> str:
    if spec.dapr_version:
        return f"Dapr {spec.dapr_version} and newer"
    return f"Dapr {SUPPORTED_DAPR_VERSIONS[0]} through {SUPPORTED_DAPR_VERSIONS[-1]}"


def context_for(spec: ClientSpec) -> ClientContext:
    """The client's template context (also used by generators that embed the client)."""
    blocks = tuple(b for b in BLOCKS if b in spec.blocks)
    transport = TRANSPORTS[spec.transport]
    helpers = _helpers_for(blocks)
    imports = [
        *_BASE_IMPORTS,
        *transport.imports,
        *(i for b in blocks for i in PARTS[b].imports),
        *(i for h in helpers for i in HELPERS[h].imports),
        # sql_exec/sql_query: params as a JSON array.
        *((*_SEQUENCE, *_std("json")) if "postgresql" in spec.binding_calls else ()),
    ]
    return ClientContext(
        class_name=spec.class_name,
        blocks=blocks,
        defining_blocks=tuple(b for b in blocks if PARTS[b].definitions),
        usage=tuple(line for b in blocks if (line := PARTS[b].usage)),
        stdlib_imports=import_lines(i for i in imports if not i.third_party),
        third_party_imports=import_lines(i for i in imports if i.third_party),
        optional_imports=import_lines(transport.optional_imports),
        helpers=tuple(h for h in helpers if not HELPERS[h].method),
        method_helpers=tuple(h for h in helpers if HELPERS[h].method),
        transport=spec.transport,
        transport_helpers=transport.helpers,
        backend_type=transport.backend_type,
        transport_note=transport.note,
        routes=routes_for(spec.dapr_version),
        dapr_target=_target(spec),
        binding_calls=tuple(k for k in ("email", "http", "kafka", "postgresql") if k in spec.binding_calls),
        defaults=Defaults(
            timeout_seconds=spec.timeout_seconds,
            max_retries=spec.max_retries,
            backoff_initial_seconds=spec.backoff_initial_seconds,
            backoff_max_seconds=spec.backoff_max_seconds,
            health_timeout_seconds=spec.health_timeout_seconds,
            max_connections=spec.max_connections,
        ),
    )


def plan(spec: ClientSpec) -> Plan:
    target = _target(spec)
    notes = [
        f"Targets {target}. Settings come from DAPR_HTTP_ENDPOINT or DAPR_RUNTIME_HOST/DAPR_HTTP_PORT, "
        "DAPR_API_TOKEN, DAPR_API_TIMEOUT_SECONDS, DAPR_API_MAX_RETRIES and DAPR_HEALTH_TIMEOUT.",
        "Open one client per process (`async with` it in your app's lifespan) and await wait_for_sidecar() "
        "before the first call.",
    ]
    if spec.transport == "auto":
        notes.append(
            "aiohttp is optional: with it the client sends over an aiohttp session (the fast path); without "
            "it, over httpx's own pool, several times slower under concurrency."
        )
    if "jobs" in spec.blocks and not _at_least(spec.dapr_version, (1, 16)):
        notes.append(
            "Jobs `overwrite` and `failure_policy` are ignored by Dapr 1.15: a job is replaced silently there, and a "
            "failed trigger is retried 3 times about a second apart whatever the policy says."
        )
    return Plan(
        files=[FilePlan(f"{spec.module}.py", SNIPPET, context_for(spec))],
        requirements=requirements_for(spec),
        notes=notes,
    )


GENERATOR = Generator(
    name="client",
    title="Async Dapr sidecar client",
    description="An async, pooled, typed client for the Dapr sidecar HTTP API: every building block, safe "
    "retries, typed errors.",
    spec=ClientSpec,
    plan=plan,
    examples={
        "state-httpx": {"blocks": ["state"], "transport": "httpx"},
        "aiohttp-1.18": {"transport": "aiohttp", "dapr_version": "1.18", "class_name": "Sidecar"},
        "orders": {"blocks": ["state", "pubsub", "jobs"], "dapr_version": "1.18", "module": "orders_dapr"},
    },
)
