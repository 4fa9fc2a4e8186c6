"""The FastAPI app: one Dapr client for the process, opened and closed by the lifespan.

Run it with `uvicorn <package>.main:app`, or call `include_routers(app)` on an app of
your own that sets the same `app.state` fields (see `create_app`).
"""

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from . import health, invocation, jobs, subscriptions
from .contract import ProcessedEvents, StateProcessedEvents
from .dapr_client import DaprClient


def include_routers(app: FastAPI) -> None:
    """Add every router of this package to `app`."""
    app.include_router(health.router)
    app.include_router(subscriptions.router)
    app.include_router(jobs.router)
    app.include_router(invocation.router)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the shared client (unless one was given) and wait for the sidecar."""
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
    processed: ProcessedEvents | None = None,
) -> FastAPI:
    """The app. `dapr`: a client you opened (tests); by default the lifespan opens one.
    `processed` defaults to records in the state store (MemoryProcessedEvents for one
    process).
    """
    app = FastAPI(lifespan=lifespan)
    app.state.dapr = dapr
    app.state.processed = processed or (
        _state_processed(dapr) if dapr is not None else None
    )
    include_routers(app)
    return app


app = create_app()
