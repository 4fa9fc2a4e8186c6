"""The endpoint benchmark measures deliveries that succeed: each contender answers SUCCESS to the benchmark's
delivery and refuses a malformed one (no timing here). dapr-ext-fastapi is a bench-group package and is
checked only where it is installed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import httpx
import pytest

from bench.endpoint.apps import KINDS, build
from bench.endpoint.payloads import HEADERS, ROUTE, delivery, is_success
from bench.endpoint.runner import render


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


_INSTALLED = [k for k in KINDS if k != "dapr-ext-fastapi" or _installed("dapr.ext.fastapi")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench_endpoint")
    render(folder)  # the generated packages, as the benchmark writes them
    return folder


@pytest.mark.anyio
@pytest.mark.parametrize("kind", _INSTALLED)
async def test_each_contender_succeeds_on_the_benchmark_delivery(kind: str, rendered: Path) -> None:
    app = build(kind, rendered)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        good = await client.post(ROUTE, content=delivery(), headers=HEADERS)
        assert is_success(good.status_code, good.content), good.text
        if kind.startswith("generated"):
            bad = json.loads(delivery())
            bad["data"]["total"] = "lots"
            answer = await client.post(ROUTE, content=json.dumps(bad), headers=HEADERS)
            assert (answer.status_code, answer.json()) == (200, {"status": "DROP"})
