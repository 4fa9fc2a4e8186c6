"""Input of the client generator."""

from __future__ import annotations

import sys
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from skill.specs.common import ClassName, ModuleName, SpecModel

__all__ = ["BLOCKS", "RESERVED_CLASS_NAMES", "RESERVED_MODULE_NAMES", "Block", "ClientSpec", "DaprVersion", "Transport"]

Block = Literal[
    "state", "pubsub", "invoke", "bindings", "secrets", "configuration", "lock", "jobs", "workflow", "metadata"
]
BLOCKS: tuple[Block, ...] = (
    "state", "pubsub", "invoke", "bindings", "secrets", "configuration", "lock", "jobs", "workflow", "metadata",
)  # fmt: skip
DaprVersion = Literal["1.14", "1.15", "1.16", "1.17", "1.18"]
Transport = Literal["auto", "httpx", "aiohttp"]

# Class-like names the generated module binds at top level (for some choice of blocks and transport) or takes from
# builtins. A client class of the same name would replace them: ruff reports some (F811), the others would fail only
# at run time (`except Exception` catching the client class). tests/engine/test_specs.py renders every transport and
# proves this list complete.
RESERVED_CLASS_NAMES = frozenset(
    {
        "Any", "BaseException", "BaseSettings", "BindingResponse", "BulkPublishFailedEntry", "BulkStateItem",
        "Concurrency", "ConfigurationItem", "ConnectionError", "Consistency", "ConstantFailurePolicy", "ContextVar",
        "DaprBulkPublishError", "DaprClientError", "DaprConflictError", "DaprError", "DaprNotFoundError",
        "DaprSettings", "DaprUnavailableError", "DropFailurePolicy", "Exception", "Field", "ImportError", "IntEnum",
        "InvokeResponse", "Iterator", "JSONValue", "Job", "JobFailurePolicy", "Literal", "Mapping", "Metadata",
        "QueryResponse", "RuntimeError", "SecretStr", "Self", "Sequence", "SettingsConfigDict", "StateItem",
        "TimeoutError", "TracebackType", "TransactionalStateOperation", "TypeAdapter", "TypeError", "URL", "UTC",
        "UnlockStatus", "ValueError", "WorkflowState",
    }
)  # fmt: skip
# A module file of one of these names would shadow what the generated code (and the app around it) imports. The
# standard library's list is the running interpreter's; the packages are the generated module's imports (also
# checked by tests/engine/test_specs.py).
RESERVED_MODULE_NAMES = sys.stdlib_module_names | {
    "aiohttp", "httpx", "pydantic", "pydantic_core", "pydantic_settings", "yarl",
}  # fmt: skip


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
        description="Oldest Dapr runtime the client must work with. Unset: routes that work on 1.14 through "
        "1.18 (alpha Jobs and bulk-publish routes). A version switches to the stable routes it has "
        "(Jobs v1.0 from 1.18, bulk publish v1.0 from 1.17, workflow v1.0 from 1.15).",
    )
    transport: Transport = Field(
        default="auto",
        description="What carries the bytes. 'auto': an aiohttp session when aiohttp is installed, httpx's own "
        "pool otherwise. 'httpx': httpx only. 'aiohttp': an aiohttp session, always. The API is the same "
        "whatever is chosen, and a caller-supplied httpx.AsyncClient (MockTransport in tests) takes precedence.",
    )
    class_name: ClassName = Field(default="DaprClient", description="Name of the generated client class.")
    module: ModuleName = Field(default="dapr_client", description="Module (file) name, without '.py'.")
    timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Default per-request timeout; DAPR_API_TIMEOUT_SECONDS overrides."
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries of safe failures; DAPR_API_MAX_RETRIES overrides."
    )
    backoff_initial_seconds: float = Field(default=0.1, gt=0, le=10, description="First retry delay.")
    backoff_max_seconds: float = Field(default=5.0, gt=0, le=120, description="Cap on any retry delay.")
    health_timeout_seconds: float = Field(
        default=60.0, gt=0, le=600, description="How long wait_for_sidecar() waits; DAPR_HEALTH_TIMEOUT overrides."
    )
    max_connections: int = Field(default=100, ge=1, le=10_000, description="Connection pool size.")

    @field_validator("class_name")
    @classmethod
    def _class_name_is_free(cls, value: str) -> str:
        if value in RESERVED_CLASS_NAMES:
            raise ValueError("must not be a name the generated module already defines, imports or uses")
        return value

    @field_validator("module")
    @classmethod
    def _module_shadows_nothing(cls, value: str) -> str:
        if value in RESERVED_MODULE_NAMES:
            raise ValueError(
                "must not be the name of a standard-library module or of a package the generated code imports "
                "(the file would shadow it)"
            )
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if len(set(self.blocks)) != len(self.blocks):
            raise ValueError("blocks: each building block may be listed once")
        if self.backoff_max_seconds < self.backoff_initial_seconds:
            raise ValueError("backoff_max_seconds: must be at least backoff_initial_seconds")
        return self
