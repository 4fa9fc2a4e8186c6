"""Input of the client generator."""

from __future__ import annotations

import builtins
import functools
import re
from collections.abc import Callable
from typing import Literal, Self, get_args

from pydantic import Field, field_validator, model_validator

from skill.specs.common import ClassName, LineLengthOption, ModuleName, SpecModel
from skill.specs.names import module_name_problem

__all__ = [
    "BLOCKS",
    "SUPPORTED_DAPR_VERSIONS",
    "Block",
    "ClientSpec",
    "DaprVersion",
    "Transport",
    "requirements_for",
    "reserved_class_names",
    "use_bound_names",
]

Block = Literal[
    "state", "pubsub", "invoke", "bindings", "secrets", "configuration", "lock", "jobs", "workflow", "metadata"
]
BLOCKS: tuple[Block, ...] = get_args(Block)
# The Dapr releases the generated code supports (README, "Supported Dapr releases"). 1.15 is the oldest: from it
# the scheduler retries a job whose trigger the app failed (dapr/dapr v1.15.0 pkg/runtime/scheduler/internal/
# cluster/streamer.go answers FAILED), which the generated reminder jobs rely on; 1.14 marks every trigger done.
DaprVersion = Literal["1.15", "1.16", "1.17", "1.18"]
SUPPORTED_DAPR_VERSIONS: tuple[DaprVersion, ...] = get_args(DaprVersion)
_OLDEST_RULE = (
    f"the generated code supports Dapr {SUPPORTED_DAPR_VERSIONS[0]} to {SUPPORTED_DAPR_VERSIONS[-1]}: before 1.15 "
    "the scheduler marks every job trigger done, so a reminder whose delivery failed is never retried"
)
Transport = Literal["auto", "httpx", "aiohttp"]

_CLASS_LIKE = re.compile(r"[A-Z][A-Za-z0-9_]*")


# What the generated module imports besides the standard library, by transport (a module name must not shadow them).
_BASE_REQUIREMENTS = ("httpx>=0.28,<1", "pydantic>=2.7,<3", "pydantic-settings>=2.4,<3")
_TRANSPORT_REQUIREMENTS = {"auto": ("aiohttp>=3.10,<4",), "httpx": (), "aiohttp": ("aiohttp>=3.10,<4",)}

# The names the generated module binds are read from what its snippet renders, which takes the generator layer
# (skill.reserved). That layer hands its reader down when `skill` is imported, so the specs import nothing above
# them (tests/engine/test_public_api.py).
_bound_names: list[Callable[[], frozenset[str]]] = []


def use_bound_names(reader: Callable[[], frozenset[str]]) -> None:
    """Install what tells the names the generated module binds at top level (skill.reserved, on import)."""
    _bound_names[:] = [reader]


def requirements_for(spec: ClientSpec) -> tuple[str, ...]:
    """The distributions the generated module imports with `spec`'s transport."""
    return (*_BASE_REQUIREMENTS, *_TRANSPORT_REQUIREMENTS[spec.transport])


@functools.cache
def reserved_class_names() -> frozenset[str]:
    """Class-like names the generated module binds at top level (for any choice of blocks and transport) or
    takes from builtins: a client class of the same name would replace them, and only some of those clashes
    would show before run time (`except Exception` catching the client class).

    Read from what the snippet really binds: every transport rendered with every block, parsed (no ruff, so
    this costs milliseconds, once per process)."""
    if not _bound_names:  # `import skill` installs it: only a broken import order gets here
        raise RuntimeError("skill.reserved is not imported: import skill (it installs the client's bound names)")
    return frozenset(
        {name for name in _bound_names[0]() if _CLASS_LIKE.fullmatch(name)}
        | {name for name in dir(builtins) if _CLASS_LIKE.fullmatch(name)}
    )


BindingCall = Literal["email", "http", "kafka", "postgresql"]


class ClientSpec(SpecModel):
    """What the generated async Dapr sidecar client should contain and how it should behave."""

    blocks: list[Block] = Field(
        default_factory=lambda: list(BLOCKS),
        min_length=1,
        description="Dapr building blocks to include. Health checks, sidecar wait and shutdown are always "
        "included. Default: every block.",
    )
    dapr_version: DaprVersion | None = Field(
        default=None,
        description="Oldest Dapr runtime the client must work with (1.15 to 1.18; older releases are refused). "
        "Unset: routes that work on 1.15 through 1.18 (alpha Jobs and bulk-publish routes, workflow v1.0). A "
        "version switches to the stable routes it has (Jobs v1.0 from 1.18, bulk publish v1.0 from 1.17).",
    )
    transport: Transport = Field(
        default="auto",
        description="What carries the bytes. 'auto': an aiohttp session when aiohttp is installed, httpx's own "
        "pool otherwise. 'httpx': httpx only. 'aiohttp': an aiohttp session, always. The API is the same "
        "whatever is chosen, and a caller-supplied httpx.AsyncClient (MockTransport in tests) takes precedence.",
    )
    binding_calls: list[BindingCall] = Field(
        default_factory=list,
        description="Typed output-binding calls beside invoke_binding (needs the 'bindings' block): 'email' "
        "send_email (bindings.smtp, bindings.twilio.sendgrid), 'http' http_request, 'kafka' send_kafka_message, "
        "'postgresql' sql_exec and sql_query.",
    )
    class_name: ClassName = Field(default="DaprClient", description="Name of the generated client class.")
    module: ModuleName = Field(default="dapr_client", description="Module (file) name, without '.py'.")
    timeout_seconds: float = Field(
        default=30.0,
        ge=0.001,
        le=600,
        description="Deadline of each whole request, in seconds (at least 1 ms); DAPR_API_TIMEOUT_SECONDS overrides.",
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries of safe failures; DAPR_API_MAX_RETRIES overrides."
    )
    backoff_initial_seconds: float = Field(
        default=0.1, ge=0.001, le=10, description="First retry delay (at least 1 ms)."
    )
    backoff_max_seconds: float = Field(
        default=5.0, ge=0.001, le=120, description="Cap on any retry delay (at least 1 ms)."
    )
    health_timeout_seconds: float = Field(
        default=60.0, ge=0.001, le=600, description="How long wait_for_sidecar() waits; DAPR_HEALTH_TIMEOUT overrides."
    )
    max_connections: int = Field(default=100, ge=1, le=10_000, description="Connection pool size.")
    line_length: LineLengthOption = None

    @field_validator("dapr_version", mode="before")
    @classmethod
    def _supported_release(cls, value: object) -> object:
        if isinstance(value, str) and value not in SUPPORTED_DAPR_VERSIONS:
            allowed = ", ".join(repr(v) for v in SUPPORTED_DAPR_VERSIONS)
            raise ValueError(f"Dapr {value} is not supported: must be one of {allowed} ({_OLDEST_RULE})")
        return value

    @field_validator("class_name")
    @classmethod
    def _class_name_is_free(cls, value: str) -> str:
        if value in reserved_class_names():
            raise ValueError(
                "must not be a name the generated module already defines or imports, or a builtin "
                "(the class would replace it)"
            )
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        # The module's rule depends on the transport (aiohttp and its dependencies are required or not).
        problem = module_name_problem(self.module, requirements_for(self))
        if problem is not None:
            raise ValueError(f"module: {problem}")
        if len(set(self.blocks)) != len(self.blocks):
            raise ValueError("blocks: each building block may be listed once")
        if self.binding_calls and "bindings" not in self.blocks:
            raise ValueError("binding_calls: needs 'bindings' in blocks")
        if len(set(self.binding_calls)) != len(self.binding_calls):
            raise ValueError("binding_calls: each kind may be listed once")
        if self.backoff_max_seconds < self.backoff_initial_seconds:
            raise ValueError("backoff_max_seconds: must be at least backoff_initial_seconds")
        return self
