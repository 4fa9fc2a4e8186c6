"""A generated service started with uvicorn and no sidecar, as its README says: it serves at once, readiness names
what it waits for, a route that needs Dapr answers 503 in one line, and a sidecar that appears later makes it ready
without a restart."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from tests.runtime.processes import free_port
from tests.service.conftest import write_service
from tests.sidecar import SidecarDouble, serve_double

TASK = {"id": "t-1", "user_id": "u-1", "title": "Pay rent", "created_at": "2027-01-01T00:00:00Z"}


class App:
    def __init__(self, process: subprocess.Popen[str], url: str, dapr_port: int, log: Path) -> None:
        self.process, self.url, self.dapr_port, self.log = process, url, dapr_port, log


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    folder = tmp_path_factory.mktemp("no_sidecar")
    write_service({}, folder)
    port, dapr_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DAPR_", "APP_API_TOKEN"))}
    env |= {"DAPR_HTTP_PORT": str(dapr_port), "PYTHONDONTWRITEBYTECODE": "1"}
    log = folder / "uvicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        yield App(process, f"http://127.0.0.1:{port}", dapr_port, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_liveness(app: App) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        assert app.process.poll() is None, f"the app exited:\n{app.log.read_text()}"
        try:
            return httpx.get(f"{app.url}/healthz", timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_app_serves_without_a_sidecar_and_says_what_it_waits_for(app: App) -> None:
    assert _wait_for_liveness(app).status_code == 204
    waiting = httpx.get(f"{app.url}/readyz", timeout=5)
    assert waiting.status_code == 503
    assert waiting.json() == {
        "waiting_for": f"the Dapr sidecar at http://127.0.0.1:{app.dapr_port} (GET /v1.0/healthz/outbound)"
    }


def test_a_route_that_needs_dapr_fails_in_one_typed_line(app: App) -> None:
    _wait_for_liveness(app)
    answer = httpx.post(f"{app.url}/api/tasks", json=TASK, timeout=30)
    assert answer.status_code == 503
    detail = answer.json()["detail"]
    # the create's first call to the sidecar is its insert (POST /v1.0/state/<store>)
    assert re.match(rf"DaprUnavailableError: [A-Z]+ http://127\.0\.0\.1:{app.dapr_port}/v1\.0/state/", detail), detail
    assert "\n" not in detail
    text = app.log.read_text()
    assert "Traceback" not in text, text
    assert "Application startup failed" not in text


async def test_the_app_becomes_ready_when_a_sidecar_appears(app: App) -> None:
    _wait_for_liveness(app)
    double = SidecarDouble(app_id="task-api", state_stores=("statestore",), pubsubs=("pubsub",))
    async with serve_double(double, port=app.dapr_port), httpx.AsyncClient(base_url=app.url) as client:
        with anyio.fail_after(20):
            for _ in range(200):  # readiness polls the sidecar itself: no event to wait on
                if (await client.get("/readyz")).status_code == 204:
                    break
                await anyio.sleep(0.1)
            else:
                pytest.fail("the app did not become ready once the sidecar was up")
        created = await client.post("/api/tasks", json=TASK)
        assert created.status_code == 201, created.text
    assert "the Dapr sidecar at" in app.log.read_text()


pytestmark = pytest.mark.anyio
