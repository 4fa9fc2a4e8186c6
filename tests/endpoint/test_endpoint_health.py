"""Health routes: liveness always, readiness following the sidecar, neither behind the app token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from skill.errors import SpecError
from skill.pipeline import generate
from tests.endpoint.conftest import TOKEN, Package, Wired, load_package, wire

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Package:
    spec = {"health": {"readiness": "/ready"}, "client_blocks": ["invoke", "jobs"]}
    return load_package(spec, tmp_path_factory.mktemp("endpoint_health"))


@pytest.fixture
async def wired(healthy: Package) -> AsyncIterator[Wired]:
    async for w in wire(healthy, TOKEN, bindings=("task-import",)):
        yield w


async def _get(w: Wired, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=w.app), base_url="http://app") as c:
        return await c.get(path)  # no dapr-api-token: probes send none


async def test_liveness_answers_without_a_token(wired: Wired) -> None:
    assert (await _get(wired, "/healthz")).status_code == 204


async def test_readiness_follows_the_sidecar(wired: Wired) -> None:
    assert (await _get(wired, "/ready")).status_code == 204
    wired.double.faults.add(method="GET", path="/v1.0/healthz/outbound", status=500)
    assert (await _get(wired, "/ready")).status_code == 503


async def test_readiness_is_503_without_a_client(healthy: Package) -> None:
    app = healthy.main.create_app(app_api_token=TOKEN)  # no lifespan ran: no client yet
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as c:
        assert (await c.get("/ready")).status_code == 503


def test_extra_client_blocks_are_rendered(healthy: Package) -> None:
    client = healthy.dapr_client.DaprClient
    assert hasattr(client, "invoke_method")
    assert hasattr(client, "schedule_job")


def test_no_health_routes_unless_asked(tmp_path: Path) -> None:
    paths = [f.path for f in generate("endpoint", {}).files]
    assert "app/health.py" not in paths


@pytest.mark.parametrize(
    ("health", "where", "rule"),
    [
        ({"liveness": "/x", "readiness": "/x"}, ("health",), "must differ from liveness"),
        ({"liveness": "/dapr/alive"}, ("health", "liveness"), "reserves"),
    ],
)
def test_bad_health_routes_name_the_field(health: dict[str, str], where: tuple[str, ...], rule: str) -> None:
    with pytest.raises(SpecError) as caught:
        generate("endpoint", {"health": health})
    fields = [(p.field, p.rule) for p in caught.value.problems]
    assert any(f.startswith(".".join(where)) and rule in r for f, r in fields), fields
