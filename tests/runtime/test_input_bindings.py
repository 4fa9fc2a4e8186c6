"""A generated service's cron input binding on real daprd (references/dapr-contract.md §18.8): the component the
generator writes (resources/local/<name>.yaml, bindings.cron with `route` and `direction: input`) makes the sidecar
post to the route at each tick (no OPTIONS probe first), and the generated route hands each event to its handler.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.runtime import one_service, processes
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]

APP = "cron-ticks"
SPEC: dict[str, Any] = {
    "app_id": APP,
    "port": 8600,
    "bindings": [{"name": "tick", "source": {"kind": "cron", "schedule": "@every 1s"}}],
}


def test_cron_input_binding_fires_its_route(runtime: RuntimeEnv, tmp_path: Path) -> None:
    service = one_service.write_service(SPEC, tmp_path / APP)
    # The binding's component as generated, alone: the service's other local components (its Redis on the
    # default port) are not what this test is about.
    component = (service / "resources" / "local" / "tick.yaml").read_text(encoding="utf-8")
    assert "bindings.cron" in component
    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / "tick.yaml").write_text(component, encoding="utf-8")
    with (
        one_service.app(service, tmp_path) as app,
        processes.daprd(runtime, tmp_path, APP, folder, app_port=app.port),
    ):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and app.log().count("binding event:") < 2:
            time.sleep(0.5)
        log = app.log()
    # The stub handler logs each event (a cron tick has an empty body); uvicorn logs the route's answer.
    assert log.count("binding event: b''") >= 2, log[-3000:]
    assert '"POST /tick HTTP/1.1" 200' in log, log[-3000:]
    # With `direction: input` in the component the sidecar skips the OPTIONS probe it would otherwise make
    # (dapr/dapr pkg/runtime/processor/binding/send.go; its test "No OPTIONS request when direction is specified").
    assert "OPTIONS /tick" not in log, log[-3000:]
