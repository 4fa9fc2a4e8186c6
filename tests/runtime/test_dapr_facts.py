"""What real daprd answers where the generated code and the fakes depend on it (references/dapr-contract.md,
section "Observed on the real runtime"). Each test states one fact; a fake that disagrees with it is wrong.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.runtime import processes, resources
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]

STORE = "store"


def _save(sidecar: processes.Daprd, key: str, value: Any, **options: Any) -> httpx.Response:
    item: dict[str, Any] = {"key": key, "value": value}
    if etag := options.pop("etag", None):
        item["etag"] = etag
    if options:
        item["options"] = options
    return httpx.post(f"{sidecar.url}/v1.0/state/{STORE}", json=[item], timeout=30)


def _etag(sidecar: processes.Daprd, key: str) -> str:
    answer = httpx.get(f"{sidecar.url}/v1.0/state/{STORE}/{key}", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.headers["ETag"]


@pytest.fixture(params=resources.STATE_PROFILES)
def store(request: pytest.FixtureRequest, runtime: RuntimeEnv, tmp_path: Path) -> Iterator[tuple[str, processes.Daprd]]:
    profile = str(request.param)
    component = resources.state_store(runtime, profile, STORE, key_prefix=resources.unique("facts"))
    folder = resources.write(tmp_path / "resources", {"store": component})
    with processes.daprd(runtime, tmp_path, "facts", folder) as sidecar:
        yield profile, sidecar


def test_first_write_on_an_existing_key_without_etag(store: tuple[str, processes.Daprd]) -> None:
    """A first-write save of a key that exists, with no ETag: daprd answers 409 only for an ETagError, and
    neither Redis nor PostgreSQL raises one without an ETag: 500 there ("failed to set key", "no item was
    updated"). The in-memory store does raise one: 409. Either way ERR_STATE_SAVE, and the first value stays."""
    profile, sidecar = store
    assert _save(sidecar, "k", {"n": 1}, concurrency="first-write").status_code == 204
    again = _save(sidecar, "k", {"n": 2}, concurrency="first-write")
    expected = {"redis": 500, "postgresql-v1": 500, "postgresql-v2": 500, "in-memory": 409}[profile]
    assert (again.status_code, again.json()["errorCode"]) == (expected, "ERR_STATE_SAVE"), again.text
    # the first value stays
    assert httpx.get(f"{sidecar.url}/v1.0/state/{STORE}/k", timeout=30).json() == {"n": 1}


def test_stale_etag_is_a_409(store: tuple[str, processes.Daprd]) -> None:
    """A save with an ETag that no longer matches is an ETagError: 409 ERR_STATE_SAVE, on every store."""
    _, sidecar = store
    assert _save(sidecar, "k", {"n": 1}).status_code == 204
    etag = _etag(sidecar, "k")
    assert _save(sidecar, "k", {"n": 2}, etag=etag).status_code == 204
    stale = _save(sidecar, "k", {"n": 3}, etag=etag)
    assert (stale.status_code, stale.json()["errorCode"]) == (409, "ERR_STATE_SAVE"), stale.text


def test_first_write_of_a_new_key_with_an_etag(store: tuple[str, processes.Daprd]) -> None:
    """A first-write save of a key that does not exist, with an ETag: Redis stores it (its script compares the
    ETag only when the key exists), PostgreSQL and in-memory answer 409."""
    profile, sidecar = store
    answer = _save(sidecar, "new", {"n": 1}, etag="1", concurrency="first-write")
    expected = 204 if profile == "redis" else 409
    assert answer.status_code == expected, answer.text


def test_last_write_without_etag_after_first_write(store: tuple[str, processes.Daprd]) -> None:
    """A key written with first-write, then saved last-write with no ETag: refused on Redis (its Lua script
    treats a missing ETag under first-write-created keys as version 0), accepted elsewhere."""
    profile, sidecar = store
    assert _save(sidecar, "k", {"n": 1}, concurrency="first-write").status_code == 204
    again = _save(sidecar, "k", {"n": 2})
    expected = 500 if profile == "redis" else 204
    assert again.status_code == expected, again.text


class _Counting(http.server.BaseHTTPRequestHandler):
    """An app that answers every POST with the status in its path (/status/409) and counts the calls."""

    calls: dict[str, int] = {}  # noqa: RUF012 - one server per test, reset by the fixture

    def do_POST(self) -> None:
        self.calls[self.path] = self.calls.get(self.path, 0) + 1
        code = int(self.path.rsplit("/", 1)[-1])
        body = b'{"detail":"from the app"}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_resiliency_retries_an_invoked_apps_4xx_without_matching(runtime: RuntimeEnv, tmp_path: Path) -> None:
    """A retry policy without `matching` retries every status >= 400 of an invoked app (dapr/dapr
    pkg/resiliency/retry.go), 409 included; with `matching.httpStatusCodes: 500-599` a 409 comes back at once."""
    _Counting.calls = {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    retry = {"policy": "constant", "duration": "100ms", "maxRetries": 3}
    resiliency = {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Resiliency",
        "metadata": {"name": "resiliency"},
        "spec": {
            "policies": {
                "retries": {"plain": retry, "matching": {**retry, "matching": {"httpStatusCodes": "500-599"}}}
            },
            "targets": {"apps": {"facts": {"retry": "plain"}, "matched": {"retry": "matching"}}},
        },
    }
    try:
        for app_id, path in (("facts", "/status/409"), ("matched", "/status/409")):
            folder = resources.write(tmp_path / app_id / "resources", {"resiliency": resiliency})
            port = int(server.server_address[1])
            with processes.daprd(runtime, tmp_path / app_id, app_id, folder, app_port=port) as sidecar:
                answer = httpx.post(f"{sidecar.url}/v1.0/invoke/{app_id}/method{path}", json={}, timeout=60)
            assert answer.status_code == 409
            assert answer.json() == {"detail": "from the app"}
            expected_calls = 4 if app_id == "facts" else 1
            assert _Counting.calls.pop(path) == expected_calls, app_id
    finally:
        server.shutdown()
        server.server_close()


def _kafka_component(brokers: str, **extra: str) -> dict[str, Any]:
    metadata = {"brokers": brokers, "saslUsername": "user", "saslPassword": "secret", "saslMechanism": "SHA-512"}
    return resources.component("kafka", "pubsub.kafka", {**metadata, **extra})


def test_kafka_password_auth_turns_tls_on(runtime: RuntimeEnv, kafka: str, tmp_path: Path) -> None:
    """`authType: password` without `disableTls` speaks TLS: against a plaintext broker daprd cannot start
    (components-contrib common/component/kafka/auth.go); `authType: none` is plaintext and publishes."""
    folder = resources.write(tmp_path / "password", {"kafka": _kafka_component(kafka, authType="password")})
    starting = processes.daprd(runtime, tmp_path / "password", "facts", folder)
    with pytest.raises(RuntimeError, match="run out of available brokers") as failed, starting:
        pass
    assert "exited" in str(failed.value)
    folder = resources.write(tmp_path / "none", {"kafka": _kafka_component(kafka, authType="none")})
    with processes.daprd(runtime, tmp_path / "none", "facts", folder) as sidecar:
        answer = httpx.post(f"{sidecar.url}/v1.0/publish/kafka/{resources.unique('facts')}", json={"a": 1}, timeout=60)
    assert answer.status_code == 204, answer.text


class _Failing(http.server.BaseHTTPRequestHandler):
    """Subscribed to `topic` (no dead-letter topic); answers every event 500, after `delay` seconds."""

    topic = ""
    delay = 0.0
    events: ClassVar[list[float]] = []

    def do_GET(self) -> None:
        body = b"[]"
        if self.path == "/dapr/subscribe":
            body = json.dumps([{"pubsubname": "pubsub", "topic": self.topic, "route": "/events"}]).encode()
        self._answer(200 if self.path == "/dapr/subscribe" else 404, body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Failing.events.append(time.monotonic())
        time.sleep(self.delay)
        self._answer(500, b'{"detail":"boom"}')

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.mark.parametrize(("delay", "redelivered"), [(0.0, False), (3.0, True)])
def test_redis_acknowledges_an_error_unless_the_handling_outlasted_processing_timeout(
    runtime: RuntimeEnv, tmp_path: Path, delay: float, redelivered: bool
) -> None:
    """pubsub.redis (components-contrib v1.18.4 `processMessage`), no dead-letter topic, no resiliency: an event
    the app answers 500 at once is acknowledged and never delivered again; one answered after `processingTimeout`
    (2 s here) stays pending and is claimed again every `redeliverInterval` (500 ms) once idle for 2 s, while the
    first handling still runs."""
    _Failing.topic, _Failing.delay, _Failing.events = resources.unique("redeliver"), delay, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = {"redisHost": runtime.redis_host, "redisPassword": "", "processingTimeout": "2000",
                "redeliverInterval": "500"}  # fmt: skip
    folder = resources.write(
        tmp_path / "resources", {"pubsub": resources.component("pubsub", "pubsub.redis", settings)}
    )
    try:
        with processes.daprd(runtime, tmp_path, "redeliver", folder, app_port=int(server.server_address[1])) as sidecar:
            time.sleep(2)  # the subscription is made once the app answers /dapr/subscribe
            published = time.monotonic()
            assert (
                httpx.post(f"{sidecar.url}/v1.0/publish/pubsub/{_Failing.topic}", json={}, timeout=30).status_code
                == 204
            )
            time.sleep(8)
    finally:
        server.shutdown()
        server.server_close()
    seen = [round(t - published, 1) for t in _Failing.events]
    if not redelivered:
        assert len(seen) == 1, seen
    else:
        assert len(seen) >= 3, seen
        assert 2.0 <= seen[1] <= 3.0, (
            seen
        )  # idle for processingTimeout, then the next 500 ms tick: before the 3 s answer


class _Slow(http.server.BaseHTTPRequestHandler):
    """An app that answers every POST 200 after `delay` seconds and counts the calls."""

    delay = 2.0
    calls: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Slow.calls.append(self.path)
        time.sleep(self.delay)
        with contextlib.suppress(OSError):  # daprd has given up on this call
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_timed_out_invocation_attempt_is_retried_outside_the_matching(runtime: RuntimeEnv, tmp_path: Path) -> None:
    """A `timeout` policy bounds each attempt (pkg/resiliency/policy.go): the attempt fails with "context deadline
    exceeded", not an HTTP status, so a retry policy matching only 500-599 retries it; when the last one times out
    the caller gets 500 ERR_DIRECT_INVOKE."""
    _Slow.calls = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    retry = {"policy": "constant", "duration": "100ms", "maxRetries": 2, "matching": {"httpStatusCodes": "500-599"}}
    resiliency = {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Resiliency",
        "metadata": {"name": "resiliency"},
        "spec": {
            "policies": {"timeouts": {"quick": "500ms"}, "retries": {"matched": retry}},
            "targets": {"apps": {"slow": {"timeout": "quick", "retry": "matched"}}},
        },
    }
    try:
        folder = resources.write(tmp_path / "resources", {"resiliency": resiliency})
        with processes.daprd(runtime, tmp_path, "slow", folder, app_port=int(server.server_address[1])) as sidecar:
            answer = httpx.post(f"{sidecar.url}/v1.0/invoke/slow/method/work", json={}, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 500, answer.text
    assert answer.json() == {
        "errorCode": "ERR_DIRECT_INVOKE", "message": "failed to invoke, id: slow, err: context deadline exceeded",
    }  # fmt: skip
    assert _Slow.calls == ["/work"] * 3


class _FirstFails(http.server.BaseHTTPRequestHandler):
    """Subscribed to `topic` (no dead-letter topic); answers 500 to the event whose data has n == 0, 200 to the
    rest; `events` is (seconds since the publish, n) per delivery."""

    topic = ""
    published = 0.0
    events: ClassVar[list[tuple[float, int]]] = []

    def do_GET(self) -> None:
        body = json.dumps([{"pubsubname": "pubsub", "topic": self.topic, "route": "/events"}]).encode()
        self._answer(200 if self.path == "/dapr/subscribe" else 404, body)

    def do_POST(self) -> None:
        n = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))["data"]["n"]
        _FirstFails.events.append((round(time.monotonic() - self.published, 1), n))
        self._answer(500 if n == 0 else 200, b"{}")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.mark.parametrize("bounded", [False, True])
def test_kafka_hands_an_errored_event_over_again_per_its_backoff(
    runtime: RuntimeEnv, kafka: str, tmp_path: Path, bounded: bool
) -> None:
    """pubsub.kafka (components-contrib v1.18.4 `ConsumeClaim`, consumeRetryEnabled on), no dead-letter topic, no
    resiliency: an event answered 500 is handed over again every `backOffDuration` (5 s by default, for ever), the
    next event of the partition waiting; with `backOffMaxRetries: 2` it gets 3 deliveries, then the next follows."""
    topic = resources.unique("kredeliver")
    _FirstFails.topic, _FirstFails.events = topic, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FirstFails)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = {"brokers": kafka, "authType": "none", "consumerGroup": topic, "initialOffset": "oldest"}
    if bounded:
        settings |= {"backOffDuration": "500ms", "backOffMaxRetries": "2"}
    folder = resources.write(
        tmp_path / "resources", {"pubsub": resources.component("pubsub", "pubsub.kafka", settings)}
    )
    try:
        with processes.daprd(
            runtime, tmp_path, "kredeliver", folder, app_port=int(server.server_address[1])
        ) as sidecar:
            time.sleep(3)  # the consumer group joins once the app answers /dapr/subscribe
            _FirstFails.published = time.monotonic()
            for n in (0, 1):
                published = httpx.post(f"{sidecar.url}/v1.0/publish/pubsub/{topic}", json={"n": n}, timeout=30)
                assert published.status_code == 204, published.text
            time.sleep(12)
    finally:
        server.shutdown()
        server.server_close()
    numbers = [n for _, n in _FirstFails.events]
    if bounded:
        assert numbers == [0, 0, 0, 1], _FirstFails.events
    else:
        assert numbers == [0, 0, 0], _FirstFails.events  # at 0, 5 and 10 s; n=1 still waits
        assert 4.5 <= _FirstFails.events[1][0] <= 6.0, _FirstFails.events
