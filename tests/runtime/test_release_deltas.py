"""What differs between the supported Dapr releases where the generated code depends on it
(references/dapr-contract.md §17, and §18.6 for what was seen). Each test asserts the answer of the release it runs
on: daprd 1.18.3 by default, 1.15.0 with DAPR_CODER_DAPR_VERSION=oldest (tests/runtime/README.md). So on either
runtime a fact that changed, or a release the contract describes wrongly, fails here.
"""

from __future__ import annotations

import http.server
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.runtime import processes, resources
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]

PUBSUB = "bus"
TOPIC = "orders"
DEAD_LETTERS = "orders-dlq"


@dataclass
class _Seen:
    """What the app got: job triggers by job name (their arrival times), events by route."""

    jobs: dict[str, list[float]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def triggers(self, name: str) -> list[float]:
        with self.lock:
            return list(self.jobs.get(name, []))

    def delivered(self, route: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.events.get(route, []))


def _app(seen: _Seen) -> type[http.server.BaseHTTPRequestHandler]:
    subscriptions = [
        # The app answers 404 on TOPIC: dropped, and dead-lettered or not depending on the release.
        {"pubsubname": PUBSUB, "topic": TOPIC, "route": "/orders", "deadLetterTopic": DEAD_LETTERS},
        {"pubsubname": PUBSUB, "topic": DEAD_LETTERS, "route": "/dead"},
    ]

    class App(http.server.BaseHTTPRequestHandler):
        def _answer(self, status: int, body: object = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/dapr/subscribe":
                self._answer(200, subscriptions)
            else:
                self._answer(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/job/"):
                name = self.path.removeprefix("/job/")
                with seen.lock:
                    seen.jobs.setdefault(name, []).append(time.monotonic())
                # Job names say what the app answers: fail-* 500 (the failure policy applies), else 200.
                self._answer(500 if name.startswith("fail-") else 200, {})
                return
            with seen.lock:
                seen.events.setdefault(self.path, []).append(json.loads(body or b"{}"))
            self._answer(404 if self.path == "/orders" else 200, {} if self.path != "/orders" else None)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return App


@dataclass
class _Sidecar:
    runtime: RuntimeEnv
    daprd: processes.Daprd
    seen: _Seen

    def post(self, path: str, body: object) -> httpx.Response:
        return httpx.post(f"{self.daprd.url}{path}", json=body, timeout=30)


@pytest.fixture(scope="module")
def sidecar(runtime: RuntimeEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Sidecar]:
    """One scheduler and one daprd (an in-memory pub/sub) in front of an app that records what reaches it."""
    workdir = tmp_path_factory.mktemp("release-deltas")
    seen = _Seen()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _app(seen))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = resources.write(workdir / "resources", {"bus": resources.component(PUBSUB, "pubsub.in-memory", {})})
    try:
        with (
            processes.scheduler(runtime, workdir) as scheduler,
            processes.daprd(
                runtime,
                workdir,
                "deltas",
                folder,
                app_port=int(server.server_address[1]),
                scheduler_address=scheduler.address,
            ) as daprd,
        ):
            yield _Sidecar(runtime, daprd, seen)
    finally:
        server.shutdown()
        server.server_close()


def _wait(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.2)


def _schedule(sidecar: _Sidecar, name: str, **job: Any) -> httpx.Response:
    # Retried while the sidecar's scheduler connection is still coming up (an answer of 500 then).
    answer = sidecar.post(f"/v1.0-alpha1/jobs/{name}", job)
    for _ in range(40):
        if answer.status_code != 500 or "connection" not in answer.text.lower():
            break
        time.sleep(0.5)
        answer = sidecar.post(f"/v1.0-alpha1/jobs/{name}", job)
    return answer


def test_a_duplicate_job_name_is_replaced_before_1_16_and_refused_after(sidecar: _Sidecar) -> None:
    """§9.1/§17: `overwrite` exists from 1.16, where a second job of the same name without it is 409
    `DAPR_SCHEDULER_SCHEDULE_JOB`; 1.15 discards the field (unknown JSON fields are dropped) and replaces the job.
    The generated client sends `overwrite` only when asked; its plan says 1.15 replaces silently."""
    name = resources.unique("dup")
    first = _schedule(sidecar, name, schedule="@every 1h", data={"n": 1})
    assert first.status_code == 204, first.text
    second = _schedule(sidecar, name, schedule="@every 1h", data={"n": 2})
    if sidecar.runtime.release >= (1, 16):
        assert second.status_code == 409, second.text
        assert second.json()["errorCode"] == "DAPR_SCHEDULER_SCHEDULE_JOB"
    else:
        assert second.status_code == 204, second.text
    replaced = _schedule(sidecar, name, schedule="@every 1h", data={"n": 3}, overwrite=True)
    assert replaced.status_code == 204, replaced.text
    got = httpx.get(f"{sidecar.daprd.url}/v1.0-alpha1/jobs/{name}", timeout=30)
    assert got.status_code == 200, got.text
    assert got.json()["data"] == {"@type": "type.googleapis.com/google.protobuf.Value", "value": {"n": 3}}  # §9.2
    httpx.delete(f"{sidecar.daprd.url}/v1.0-alpha1/jobs/{name}", timeout=30)


def test_a_failed_trigger_follows_the_jobs_failure_policy_from_1_16_and_the_default_before(
    sidecar: _Sidecar,
) -> None:
    """§17/§18.6: a trigger the app answers 500 is retried on every supported release (1.14 marked it done and is
    not supported). From 1.16 by the job's `failurePolicy` (here one retry 3 s later: 2 triggers); 1.15 drops the
    field and its scheduler applies its default, constant 1 s with 3 retries (diagridio/go-etcd-cron v0.4.4
    internal/scheduler/builder.go): 4 triggers about a second apart. The generated notification service's
    one-minute policy is therefore a 3-retry, 3-second affair on 1.15."""
    name = resources.unique("fail-once")
    policy = {"constant": {"interval": "3s", "maxRetries": 1}}
    answer = _schedule(sidecar, name, dueTime="1s", data={}, failurePolicy=policy)
    assert answer.status_code == 204, answer.text
    _wait(lambda: len(sidecar.seen.triggers(name)) >= 1, 30)
    time.sleep(10)  # every retry either policy allows is well inside this
    triggers = sidecar.seen.triggers(name)
    gaps = [later - earlier for earlier, later in itertools.pairwise(triggers)]
    if sidecar.runtime.release >= (1, 16):
        assert len(triggers) == 2, gaps
        assert gaps[0] >= 2.5, gaps
    else:
        assert len(triggers) == 4, gaps
        assert all(gap < 2.5 for gap in gaps), gaps


def test_a_job_without_data_reaches_the_app_from_1_18_3(sidecar: _Sidecar) -> None:
    """§9.1/§17: an HTTP job scheduled without `data` never reaches an HTTP app before v1.18.3 (the stored empty
    value fails `constructJobRequest`); the generated client always sends `data`."""
    name = resources.unique("bare")
    answer = _schedule(sidecar, name, dueTime="1s")
    assert answer.status_code == 204, answer.text
    with_data = resources.unique("with-data")
    assert _schedule(sidecar, with_data, dueTime="1s", data={}).status_code == 204
    _wait(lambda: bool(sidecar.seen.triggers(with_data)), 30)
    assert sidecar.seen.triggers(with_data), "a job with data never reached the app"
    time.sleep(3)
    patch = tuple(int(part) for part in sidecar.runtime.dapr_version.split(".")[:3])
    assert bool(sidecar.seen.triggers(name)) == (patch >= (1, 18, 3))


def test_an_event_the_app_answers_404_is_dead_lettered_from_1_18(sidecar: _Sidecar) -> None:
    """§12.4/§17: a 404 from the subscribed route is a non-retried drop on every release; from 1.18 a drop goes to
    the subscription's `deadLetterTopic` (dapr/dapr v1.18.3 pkg/runtime/subscription/postman/http/http.go returns
    ErrMessageDropped), on 1.15 it is gone (v1.15.0 pkg/runtime/subscription/publish.go returns nil)."""
    marker = resources.unique("event")
    answer = sidecar.post(f"/v1.0/publish/{PUBSUB}/{TOPIC}", {"marker": marker})
    assert answer.status_code == 204, answer.text

    def dead() -> list[dict[str, Any]]:
        return [e for e in sidecar.seen.delivered("/dead") if e.get("data", {}).get("marker") == marker]

    _wait(lambda: any(e.get("data", {}).get("marker") == marker for e in sidecar.seen.delivered("/orders")), 30)
    deliveries = [e for e in sidecar.seen.delivered("/orders") if e.get("data", {}).get("marker") == marker]
    assert len(deliveries) == 1  # not retried
    _wait(lambda: bool(dead()), 5)
    assert len(dead()) == (1 if sidecar.runtime.release >= (1, 18) else 0)


_BULK = [{"entryId": "1", "event": {"probe": True}, "contentType": "application/json"}]


@pytest.mark.parametrize(
    ("path", "body", "from_release", "missing"),
    [
        ("/v1.0/jobs/{unique}", {"dueTime": "1h", "data": {}}, (1, 18), "ERR_DIRECT_INVOKE"),
        # Before its release the path is a plain publish to a pub/sub named "bulk".
        ("/v1.0/publish/bulk/" + PUBSUB + "/bulk-probe", _BULK, (1, 17), "ERR_PUBSUB_NOT_FOUND"),
    ],
    ids=["jobs-v1.0", "bulk-publish-v1.0"],
)
def test_stable_routes_appear_in_their_release(
    sidecar: _Sidecar, path: str, body: object, from_release: tuple[int, int], missing: str
) -> None:
    """§17 "Route versions": the stable Jobs and bulk-publish routes are missing before their release (a 404),
    which is why the generated client uses the alpha routes unless `dapr_version` says every runtime has them."""
    answer = sidecar.post(path.format(unique=resources.unique("stable")), body)
    if sidecar.runtime.release >= from_release:
        assert answer.status_code == 204, answer.text
    else:
        assert answer.status_code == 404, answer.text
        assert answer.json()["errorCode"] == missing


def test_the_v1_workflow_routes_are_served_by_every_supported_release(sidecar: _Sidecar) -> None:
    """§10/§17: `v1.0` workflow routes exist from 1.15, so the client's default uses them. Without a workflow
    engine the answer is an error, but the route's own, not daprd's unknown-route 404."""
    answer = httpx.get(f"{sidecar.daprd.url}/v1.0/workflows/dapr/{resources.unique('wf')}", timeout=30)
    assert answer.status_code != 404 or answer.json().get("errorCode") != "ERR_DIRECT_INVOKE", answer.text
    beta = httpx.get(f"{sidecar.daprd.url}/v1.0-beta1/workflows/dapr/{resources.unique('wf')}", timeout=30)
    assert (answer.status_code, answer.json().get("errorCode")) == (beta.status_code, beta.json().get("errorCode"))
