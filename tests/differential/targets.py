"""The sidecars the facts run against besides real daprd, each configured for one store flavour, and what each
declares it cannot model (fact id -> why; the suite marks these xfail, strict, so a fix shows up as an XPASS).

- `standin`: tools/standin's SidecarDouble served over HTTP by uvicorn (tools/standin/server.py serve_double), as
  `dapr-coder run` serves it.
- `fake`: the generated service's tests/fake_dapr.py (snippets/service/fake_dapr.py.jinja rendered with the state,
  pub/sub and jobs blocks, through the pipeline's render and checks: tests/fake/conftest.py), through its httpx
  transport.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.differential import app_facts, facts
from tests.fake.conftest import Rendered, load_rendered
from tools.standin import SidecarDouble, StateStoreOptions
from tools.standin.scheduler import fire_due
from tools.standin.server import serve_double

TARGETS = ("standin", "fake")
FAKE_BLOCKS = ("state", "pubsub", "jobs")

# What the stand-in cannot model (tools/standin/state_store.py says so too). Its delivery attempts and dead letters on
# retry exhaustion are constructor options, set here as daprd behaves with pubsub.in-memory and no resiliency policy.
STANDIN_CANNOT_MODEL: dict[str, str] = {
    "state.query[redis]": "the redis profile answers queries as with RedisJSON; plain Redis is 500 ERR_STATE_QUERY",
}

# What the generated fake cannot model; its docstring (snippets/service/fake_dapr.py.jinja) says so too.
_NO_REDELIVERY = (
    "no redelivery: deliver_pending() delivers a RETRY once and leaves it to the test; daprd redelivers per the "
    "component and resiliency policy, then dead-letters it"
)
_NO_CLOCK = (
    "no clock: trigger_job() fires a job once per call; daprd's Scheduler retries a failed trigger per the failure "
    "policy, then deletes the job"
)
FAKE_CANNOT_MODEL: dict[str, str] = {
    "state.query[redis]": "redis answers queries as Redis with RedisJSON; plain Redis is 500 ERR_STATE_QUERY",
    "app.delivery_500[any]": _NO_REDELIVERY,
    "app.delivery_retry[any]": _NO_REDELIVERY,
    "app.job_failure_policy[any]": _NO_CLOCK,
    "app.job_default_policy[any]": _NO_CLOCK,
}

CANNOT_MODEL = {"standin": STANDIN_CANNOT_MODEL, "fake": FAKE_CANNOT_MODEL}


def standin_profile(flavour: str) -> Any:
    """The stand-in's profile for a flavour: `postgresql` is v1."""
    return {"postgresql-v1": "postgresql", "any": "redis"}.get(flavour, flavour)


@contextlib.asynccontextmanager
async def standin(flavour: str) -> AsyncIterator[httpx.AsyncClient]:
    double = SidecarDouble(
        app_id="diff",
        dapr_version="1.18.3",
        state_stores={facts.STORE: StateStoreOptions(profile=standin_profile(flavour))},
        pubsubs=(facts.PUBSUB,),
    )
    async with serve_double(double) as running, httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
        yield client


def fake_factory(rendered: Rendered) -> Callable[[str], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    @contextlib.asynccontextmanager
    async def fake(flavour: str) -> AsyncIterator[httpx.AsyncClient]:
        kind = "redis" if flavour == "any" else flavour
        sidecar = rendered.fake.FakeDapr(
            app_id="diff", state_stores=[facts.STORE], state_store_type=kind, pubsubs=[facts.PUBSUB]
        )
        async with sidecar.http_client() as client:
            yield client

    return fake


def render_fake(directory: Path) -> Rendered:
    return load_rendered(FAKE_BLOCKS, directory)


APP_ID = "diffapp"
AppOpener = Callable[[app_facts.ProbeApp], contextlib.AbstractAsyncContextManager[app_facts.AppSidecar]]


@contextlib.asynccontextmanager
async def standin_app(app: app_facts.ProbeApp) -> AsyncIterator[app_facts.AppSidecar]:
    """The stand-in as daprd runs with pubsub.in-memory and no resiliency policy: one delivery attempt, then the
    dead-letter topic. `settle()` delivers what is queued and runs the scheduler a day ahead."""
    double = SidecarDouble(
        app_id=APP_ID,
        dapr_version="1.18.3",
        pubsubs=(facts.PUBSUB,),
        app=app,
        max_delivery_attempts=1,
        dead_letter_on_retry_exhausted=True,
    )

    def move_clock(moment: dt.datetime) -> None:
        double.jobs.clock = lambda: moment

    async def settle() -> None:
        await double.deliver_pending()
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        await fire_due({APP_ID: double.jobs}, later, advance=move_clock)
        await double.deliver_pending()

    async with serve_double(double) as running, httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
        yield app_facts.AppSidecar(client, app, settle)


def fake_app_factory(rendered: Rendered) -> AppOpener:
    @contextlib.asynccontextmanager
    async def fake_app(app: app_facts.ProbeApp) -> AsyncIterator[app_facts.AppSidecar]:
        """`settle()`: `deliver_pending()`, and `trigger_job()` once for each scheduled job."""
        sidecar = rendered.fake.FakeDapr(app_id=APP_ID, app=app, pubsubs=[facts.PUBSUB], state_stores=[facts.STORE])

        async def settle() -> None:
            await sidecar.deliver_pending()
            for name in list(sidecar.jobs):
                await sidecar.trigger_job(name)

        async with sidecar.http_client() as client:
            yield app_facts.AppSidecar(client, app, settle)

    return fake_app
