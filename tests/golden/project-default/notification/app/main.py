"""The FastAPI app: one Dapr client for the process, opened and closed by the lifespan.

Run it with `uvicorn <package>.main:app`, or call `include_routers(app)` on an app of
your own that sets the same `app.state` fields (see `create_app`).

The app starts without a sidecar: liveness answers at once, readiness answers 503 and
names the sidecar it waits for, and a route that needs Dapr meanwhile answers 503 with
a one-line DaprUnavailableError. A background task keeps looking for the sidecar and
logs once when it is up (Dapr's app health check and `dapr run` start the two in
either order).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from . import health, jobs, subscriptions
from .contract import (
    BodyLimits,
    ProcessedEvents,
    StateProcessedEvents,
    app_api_token_from_env,
    validation_failed,
)
from .dapr_client import DaprClient, DaprUnavailableError
from .settings import Settings, get_settings


def include_routers(app: FastAPI) -> None:
    """Add every router of this package to `app`."""
    app.include_router(health.router)
    app.include_router(subscriptions.router)
    app.include_router(jobs.router)


_logger = logging.getLogger(__name__)


async def _watch_sidecar(dapr: DaprClient) -> None:
    """Wait for the sidecar in the background; log once while waiting, once when up."""
    where = dapr.settings.base_url
    if not await dapr.check_health():
        _logger.warning(
            "waiting for the Dapr sidecar at %s (GET /v1.0/healthz/outbound); "
            "calls that need Dapr answer 503 until it is up",
            where,
        )
    while True:
        try:
            await dapr.wait_for_sidecar()
        except DaprUnavailableError as exc:
            _logger.warning("%s; still waiting", exc)
        else:
            _logger.info("the Dapr sidecar at %s is up", where)
            return


async def _dapr_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A route needed Dapr and the sidecar could not be reached: 503, one log line."""
    _logger.warning("%s %s: %s", request.method, request.url.path, exc)
    detail = f"{type(exc).__name__}: {exc}"
    return JSONResponse(status_code=503, content={"detail": detail})


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the shared client (unless one was given) and watch for the sidecar without
    blocking startup."""
    logging.basicConfig(level=app.state.settings.log_level)  # no-op if already set up
    async with contextlib.AsyncExitStack() as stack:
        if app.state.dapr is None:
            dapr = await stack.enter_async_context(DaprClient())
            app.state.dapr = dapr
            if app.state.processed is None:
                app.state.processed = _state_processed(dapr)
        watcher = asyncio.create_task(_watch_sidecar(app.state.dapr))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def _state_processed(dapr: DaprClient) -> StateProcessedEvents:
    return StateProcessedEvents(
        dapr,
        "statestore",
        claim_seconds=20,
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
    app.add_exception_handler(DaprUnavailableError, _dapr_unavailable)
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
