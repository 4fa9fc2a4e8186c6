"""Settings of the mailer service, read once from the environment.

The routes were generated for the component names below; the environment (dapr.yaml
locally, the Deployment on Kubernetes) names them too, in PUBSUB_NAME,
STATESTORE_NAME and SECRETSTORE_NAME. A mismatch stops the app at start with a clear
message instead of failing on the first call. Handlers read the names from here:
`get_settings().pubsub_name`.
"""

import functools
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .contract import BodyLimits

PUBSUB_NAME = "pubsub"


class Settings(BaseSettings):
    """The environment the service runs in."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    pubsub_name: str = Field(default=PUBSUB_NAME, validation_alias="PUBSUB_NAME")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL"
    )
    # /docs, /redoc and /openapi.json answer any caller: off unless asked for.
    api_docs: bool = Field(default=False, validation_alias="API_DOCS")
    # The largest request body read by the public routes (413 past it) and by the
    # routes Dapr calls.
    max_public_body_bytes: int = Field(
        default=BodyLimits.public, ge=1, validation_alias="MAX_PUBLIC_BODY_BYTES"
    )
    max_dapr_body_bytes: int = Field(
        default=BodyLimits.dapr, ge=1, validation_alias="MAX_DAPR_BODY_BYTES"
    )

    @model_validator(mode="after")
    def _components_match(self) -> Self:
        generated: dict[str, tuple[str, str]] = {
            "PUBSUB_NAME": (self.pubsub_name, PUBSUB_NAME),
        }
        for env, (given, wanted) in generated.items():
            if given != wanted:
                raise ValueError(
                    f"{env} is {given!r}, but this service's routes were generated for "
                    f"the component {wanted!r}: fix the environment, or regenerate the "
                    "service with the new name"
                )
        return self


@functools.cache
def get_settings() -> Settings:
    """The settings, read from the environment on first use."""
    return Settings()
