"""Fixtures: the app wired to an in-memory Dapr (tests/fake_dapr.py), so tests need no
sidecar.

`fake` is the in-memory sidecar (inspect `fake.state`, `fake.published`, `fake.jobs`),
`dapr` the app's client talking to it, `client` an HTTP client for the app itself,
sending what the sidecar sends.
"""

from collections.abc import AsyncIterator

import httpx
import pytest

from app.dapr_client import DaprClient, DaprSettings
from app.main import create_app
from app.settings import Settings
from tests.fake_dapr import FakeDapr

APP_TOKEN = "app-token-for-tests"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeDapr:
    return FakeDapr(app_api_token=APP_TOKEN)


@pytest.fixture
async def dapr(fake: FakeDapr) -> AsyncIterator[DaprClient]:
    settings = DaprSettings(http_endpoint=fake.base_url)
    async with (
        httpx.AsyncClient(transport=fake.transport) as http,
        DaprClient(settings, http_client=http) as client,
    ):
        yield client


@pytest.fixture
async def client(fake: FakeDapr, dapr: DaprClient) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        dapr=dapr,
        settings=Settings(),
        app_api_token=APP_TOKEN,
    )
    fake.app = app
    transport = httpx.ASGITransport(app=app)
    headers = {"dapr-api-token": APP_TOKEN}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://app", headers=headers
    ) as http:
        yield http


def cloud_event(data: object, *, type_: str, id_: str = "event-1") -> dict[str, object]:
    """A structured CloudEvent 1.0, as the sidecar delivers one."""
    return {
        "specversion": "1.0",
        "id": id_,
        "source": "tests",
        "type": type_,
        "datacontenttype": "application/json",
        "data": data,
    }
