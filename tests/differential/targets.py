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
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.differential import facts
from tests.fake.conftest import Rendered, load_rendered
from tools.standin import SidecarDouble, StateStoreOptions
from tools.standin.server import serve_double

TARGETS = ("standin", "fake")
FAKE_BLOCKS = ("state", "pubsub", "jobs")

# What the stand-in cannot model; tools/standin/state_store.py and jobs.py say why in their docstrings.
STANDIN_CANNOT_MODEL: dict[str, str] = {}

# What the generated fake cannot model; its docstring (snippets/service/fake_dapr.py.jinja) says so too.
FAKE_CANNOT_MODEL: dict[str, str] = {}

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
