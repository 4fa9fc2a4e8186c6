"""The FastAPI app: one Dapr client for the process, opened and closed by the lifespan.

Run it with `uvicorn <package>.main:app`, or call `include_routers(app)` on an app of
your own that sets the same `app.state` fields (see `create_app`).
"""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from . import health, subscriptions
from .contract import ProcessedEvents, StateProcessedEvents, app_api_token_from_env
from .dapr_client import DaprClient
from .settings import Settings, get_settings


def include_routers(app: FastAPI) -> None:
    """Add every router of this package to `app`."""
    app.include_router(health.router)
    app.include_router(subscriptions.router)


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
        "state-postgresql",
        claim_seconds=300,
        retain_seconds=604800,
    )


def create_app(
    *,
    dapr: DaprClient | None = None,
    settings: Settings | None = None,
    processed: ProcessedEvents | None = None,
    app_api_token: str | None = None,
) -> FastAPI:
    """The app. `dapr`: a client you opened (tests); by default the lifespan opens one.
    `settings` defaults to `get_settings()` (the environment, checked once).
    `app_api_token` defaults to the APP_API_TOKEN environment variable.
    `processed` defaults to records in the state store (MemoryProcessedEvents for one
    process).
    """
    app = FastAPI(lifespan=lifespan)
    app.state.dapr = dapr
    app.state.settings = settings or get_settings()
    app.state.processed = processed or (
        _state_processed(dapr) if dapr is not None else None
    )
    app.state.app_api_token = (
        app_api_token if app_api_token is not None else app_api_token_from_env()
    )
    include_routers(app)
    return app


app = create_app()
