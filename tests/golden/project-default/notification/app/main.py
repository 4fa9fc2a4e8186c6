"""The FastAPI app: one Dapr client for the process, opened and closed by the lifespan.

Run it with `uvicorn <package>.main:app`, or call `include_routers(app)` on an app of
your own that sets the same `app.state` fields (see `create_app`).
"""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from . import health, jobs, subscriptions
from .contract import (
    BodyLimits,
    ProcessedEvents,
    StateProcessedEvents,
    app_api_token_from_env,
    validation_failed,
)
from .dapr_client import DaprClient
from .settings import Settings, get_settings


def include_routers(app: FastAPI) -> None:
    """Add every router of this package to `app`."""
    app.include_router(health.router)
    app.include_router(subscriptions.router)
    app.include_router(jobs.router)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the shared client (unless one was given) and wait for the sidecar."""
    logging.basicConfig(level=app.state.settings.log_level)  # no-op if already set up
    async with contextlib.AsyncExitStack() as stack:
        if app.state.dapr is None:
            dapr = await stack.enter_async_context(DaprClient())
            app.state.dapr = dapr
            if app.state.processed is None:
                app.state.processed = _state_processed(dapr)
        await app.state.dapr.wait_for_sidecar()
        yield


def _state_processed(dapr: DaprClient) -> StateProcessedEvents:
    return StateProcessedEvents(
        dapr,
        "statestore",
        claim_seconds=300,
        retain_seconds=604800,
    )


def create_app(
    *,
    dapr: DaprClient | None = None,
    settings: Settings | None = None,
    processed: ProcessedEvents | None = None,
    app_api_token: str | None = None,
    body_limits: BodyLimits | None = None,
    api_docs: bool | None = None,
) -> FastAPI:
    """The app. `dapr`: a client you opened (tests); by default the lifespan opens one.
    `settings` defaults to `get_settings()` (the environment, checked once).
    `app_api_token` defaults to the APP_API_TOKEN environment variable.
    `processed` defaults to records in the state store (MemoryProcessedEvents for one
    process).
    `body_limits` and `api_docs` default to the settings (MAX_PUBLIC_BODY_BYTES,
    MAX_DAPR_BODY_BYTES, API_DOCS).
    `api_docs`: serve /docs, /redoc and /openapi.json (off by default: they answer any
    caller). They describe the public routes only; the routes Dapr calls are left out.
    """
    settings = settings or get_settings()
    docs = api_docs if api_docs is not None else settings.api_docs
    app = FastAPI(lifespan=lifespan, openapi_url="/openapi.json" if docs else None)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.state.dapr = dapr
    app.state.settings = settings
    app.state.body_limits = body_limits or BodyLimits(
        public=settings.max_public_body_bytes, dapr=settings.max_dapr_body_bytes
    )
    app.state.processed = processed or (
        _state_processed(dapr) if dapr is not None else None
    )
    app.state.app_api_token = (
        app_api_token if app_api_token is not None else app_api_token_from_env()
    )
    include_routers(app)
    return app


app = create_app()
