"""Each transport of the generated client over a real socket: what reaches the wire, and what is retried.

A tiny raw HTTP/1.1 server records the exact request target (so percent-encoding is checked byte for byte,
after httpx or aiohttp had their say) and can drop the connection after reading a request,
the case where a POST must not be retried because the sidecar may already have acted on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.client.conftest import FAST

pytestmark = pytest.mark.anyio

TRANSPORTS = ["auto", "httpx", "aiohttp"]
AWKWARD_KEY = "a/b c+d?e#f%g"
AWKWARD_RAW = "a%2Fb%20c%2Bd%3Fe%23f%25g"


@dataclass
class RawRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawServer:
    """Answers GET with 200 JSON (ETag 1) and anything else with 204 (or always `answer`, when set), unless an
    action is queued: "drop" reads the request and closes the connection without answering; a float delays the
    answer."""

    actions: list[str | float] = field(default_factory=list)
    requests: list[RawRequest] = field(default_factory=list)
    port: int = 0
    answer: bytes | None = None  # when set, the raw response to every request

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(RawRequest(method, target, headers, body))
                action = self.actions.pop(0) if self.actions else None
                if action == "drop":
                    return
                if isinstance(action, float):
                    await asyncio.sleep(action)
                if self.answer is not None:
                    writer.write(self.answer)
                elif method == "GET":
                    payload = json.dumps({"target": target}).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: 1\r\n"
                        b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
                    )
                else:
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def raw_server() -> AsyncIterator[RawServer]:
    state = RawServer()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state
        server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def own_client(module: ModuleType, url: str, **settings: Any) -> AsyncIterator[Any]:
    """The generated client with its own pool (no http_client): the transport under test."""
    config = module.DaprSettings(http_endpoint=url, **{**FAST, **settings})
    async with module.DaprClient(config) as client:
        yield client


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_escaped_paths_and_query_values_reach_the_wire_unchanged(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url, api_token="tok") as client:
        item = await client.get_state_item("state store", AWKWARD_KEY, metadata={"k": "a+b c&d"})
        await client.publish_event("pubsub", "orders", {"n": 1})
    get, post = server.requests
    assert get.target == f"/v1.0/state/state%20store/{AWKWARD_RAW}?metadata.k=a%2Bb+c%26d"
    assert item.etag == "1"
    assert item.value == {"target": get.target}
    assert get.headers["dapr-api-token"] == "tok"
    assert (post.method, post.target, post.body) == ("POST", "/v1.0/publish/pubsub/orders", b'{"n":1}')
    assert post.headers["content-type"] == "application/json"


async def test_auto_uses_aiohttp_directly_when_installed(dapr_by_transport: dict[str, ModuleType]) -> None:
    pytest.importorskip("aiohttp")
    async with own_client(dapr_by_transport["auto"], "http://127.0.0.1:1") as client:
        assert type(client._backend).__name__ == "_AiohttpBackend"


_WITHOUT_AIOHTTP = """
import asyncio, importlib.util, sys
sys.modules["aiohttp"] = None  # makes `import aiohttp` raise ImportError, as if it were not installed
spec = importlib.util.spec_from_file_location("dapr_auto", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["dapr_auto"] = module  # dataclasses look their module up while the class is built
spec.loader.exec_module(module)

async def main() -> None:
    settings = module.DaprSettings(http_endpoint="http://127.0.0.1:1", api_max_retries=0)
    async with module.DaprClient(settings) as client:
        print(type(client._backend).__name__)
        try:
            await client.get_state("statestore", "k")
        except module.DaprUnavailableError as exc:
            print(type(exc.__cause__).__name__)

asyncio.run(main())
"""


def test_auto_falls_back_to_httpx_without_aiohttp(dapr_by_transport: dict[str, ModuleType]) -> None:
    path = dapr_by_transport["auto"].__file__
    assert path is not None
    run = subprocess.run([sys.executable, "-c", _WITHOUT_AIOHTTP, path], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["_HttpxBackend", "ConnectError"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_refused_connections_are_retried_even_for_posts(
    dapr_by_transport: dict[str, ModuleType], transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    module = dapr_by_transport[transport]
    with caplog.at_level(logging.WARNING):
        async with own_client(module, f"http://127.0.0.1:{closed_port()}", api_max_retries=2) as client:
            with pytest.raises(module.DaprUnavailableError, match="after 3 attempt"):
                await client.publish_event("pubsub", "orders", {"n": 1})
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_post_dropped_after_sending_is_not_retried(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url) as client:
        server.actions = ["drop"]
        with pytest.raises(module.DaprUnavailableError, match="not idempotent"):
            await client.publish_event("pubsub", "orders", {"n": 1})
    assert [r.method for r in server.requests] == ["POST"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_get_dropped_after_sending_is_retried(dapr_by_transport: dict[str, ModuleType], transport: str) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url) as client:
        server.actions = ["drop"]
        assert await client.get_state("statestore", "k") == {"target": "/v1.0/state/statestore/k"}
    assert [r.method for r in server.requests] == ["GET", "GET"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_timeouts_apply_and_reads_are_retried(dapr_by_transport: dict[str, ModuleType], transport: str) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url, api_timeout_seconds=0.2) as client:
        server.actions = [1.0]
        assert await client.get_state("statestore", "k") is not None
        server.actions = [1.0]
        with pytest.raises(module.DaprUnavailableError):
            await client.save_state("statestore", "k", 1)
    assert [r.method for r in server.requests] == ["GET", "GET", "POST"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_wait_for_sidecar_over_a_socket(dapr_by_transport: dict[str, ModuleType], transport: str) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url) as client:
        await client.wait_for_sidecar(timeout=2)
    async with own_client(module, f"http://127.0.0.1:{closed_port()}") as client:
        assert await client.check_health() is False
        with pytest.raises(module.DaprUnavailableError, match="not ready"):
            await client.wait_for_sidecar(timeout=0.2)


async def test_aiohttp_transport_still_accepts_a_caller_httpx_client(dapr_by_transport: dict[str, ModuleType]) -> None:
    module = dapr_by_transport["aiohttp"]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(204)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
        module.DaprClient(module.DaprSettings(http_endpoint="http://x"), http_client=http) as client,
    ):
        assert await client.get_state("statestore", AWKWARD_KEY) is None
    assert seen == [f"/v1.0/state/statestore/{AWKWARD_RAW}"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_redirects_are_not_followed_so_the_token_never_leaves_the_sidecar(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    """An invoked app's 3xx comes back as it is (reference §4), never followed: following it would send
    `dapr-api-token` (§1.3) to whatever host the Location names."""
    module = dapr_by_transport[transport]
    async with raw_server() as elsewhere, raw_server() as sidecar:
        sidecar.answer = f"HTTP/1.1 302 Found\r\nLocation: {elsewhere.url}/login\r\nContent-Length: 0\r\n\r\n".encode()
        async with own_client(module, sidecar.url, api_token="tok") as client:
            with pytest.raises(module.DaprError) as caught:
                await client.invoke_method("app", "orders", http_verb="GET")
    assert caught.value.status_code == 302
    assert [r.target for r in sidecar.requests] == ["/v1.0/invoke/app/method/orders"]
    assert elsewhere.requests == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_cookies_set_by_one_app_are_never_sent_on_later_calls(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    """Dapr passes an invoked app's headers through both ways (reference §4), so a cookie jar in the client
    would hand app A's session cookie to app B."""
    module = dapr_by_transport[transport]
    async with raw_server() as server:
        server.answer = b"HTTP/1.1 200 OK\r\nSet-Cookie: session=a-secret; Path=/\r\nContent-Length: 2\r\n\r\n{}"
        # A host name, not an IP address: aiohttp's default jar ignores cookies from IP addresses.
        async with own_client(module, f"http://localhost:{server.port}") as client:
            await client.invoke_method("app-a", "login", http_verb="GET")
            await client.invoke_method("app-b", "orders", http_verb="GET")
    assert [r.target.rsplit("/", 1)[1] for r in server.requests] == ["login", "orders"]
    assert "cookie" not in server.requests[1].headers


@contextlib.asynccontextmanager
async def burst_client(module: ModuleType, url: str, pool: str, **settings: Any) -> AsyncIterator[Any]:
    """The generated client with its own pool, or over a caller's httpx client whose pool is as large (or smaller)."""
    config = module.DaprSettings(http_endpoint=url, **settings)
    if pool == "own":
        async with module.DaprClient(config) as client:
            yield client
        return
    # "caller httpx.AsyncClient, smaller pool": requests also wait inside httpx's pool, each until a connection frees.
    size = config.max_connections // 4 if pool.endswith("smaller pool") else config.max_connections
    async with (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=size)) as http,
        module.DaprClient(config, http_client=http) as client,
    ):
        yield client


@pytest.mark.parametrize(
    ("transport", "pool"),
    [
        *((t, "own") for t in TRANSPORTS),
        ("httpx", "caller httpx.AsyncClient"),
        ("httpx", "caller httpx.AsyncClient, smaller pool"),
    ],
)
async def test_a_burst_past_the_pool_that_times_out_leaves_the_client_working(
    dapr_by_transport: dict[str, ModuleType], transport: str, pool: str
) -> None:
    """Requests cancelled by the deadline while queued inside httpx's pool leave connection slots that are never
    freed (httpcore#1093), after which every call fails: the client keeps no more requests in flight than its
    pool holds and never cancels or times one out inside httpx, so a caller's smaller pool only queues them."""
    module = dapr_by_transport[transport]
    # A deadline of 1.5 s: each later round of quick answers has that long, so a loaded machine (CI runs daprd,
    # Kafka and PostgreSQL beside this) does not fail it; retries: a later call survives a stall too.
    burst, slow, deadline, retries = 200, 3.0, 1.5, 2
    settings = {**FAST, "max_connections": 20, "api_timeout_seconds": deadline, "api_max_retries": retries}
    async with raw_server() as server, burst_client(module, server.url, pool, **settings) as client:
        slow_answers: list[str | float] = [slow for _ in range(burst * (1 + retries))]
        server.actions = slow_answers
        outcomes = await asyncio.gather(
            *(client.get_state("statestore", f"k{i}") for i in range(burst)), return_exceptions=True
        )
        assert {type(outcome).__name__ for outcome in outcomes} == {"DaprTimeoutError"}
        server.actions = []
        # A leaked slot never comes back, so a broken client fails every round; a machine that stalls past the
        # deadline under load (CI runs daprd, Kafka and PostgreSQL beside this) fails one round at most.
        for _ in range(4):
            await asyncio.sleep(slow)  # the server finishes the answers nobody waits for
            later = await asyncio.gather(
                *(client.get_state("statestore", f"later{i}") for i in range(50)), return_exceptions=True
            )
            if not any(isinstance(answer, BaseException) for answer in later):
                break
        stranded = _stranded_connections(client)
    assert later == [{"target": f"/v1.0/state/statestore/later{i}"} for i in range(50)]
    assert stranded == 0, "connections never opened count against httpx's pool for ever"


def _stranded_connections(client: Any) -> int:
    """Connections in the httpx pool under the client that were handed to a request and never opened: one that
    survives is enough for later calls, so the rounds above alone would miss some (httpcore internals)."""
    backend = client._backend
    if type(backend).__name__ != "_HttpxBackend":
        return 0
    pool = backend._client._transport._pool
    return sum(1 for c in pool._connections if c._connection is None and not c._connect_failed)


@pytest.mark.parametrize("canceller", ["the deadline", "the caller"])
@pytest.mark.parametrize("pool", ["own", "caller httpx.AsyncClient"])
async def test_a_cancellation_while_httpx_closes_a_connection_leaves_the_pool_working(
    dapr_by_transport: dict[str, ModuleType], pool: str, canceller: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncio's cancellation passes through httpcore's shields: cancelled while the pool closes an expired
    connection, a request strands the new connection it was given (still "connecting"), or the answer it has
    read (still "active"); with one connection in the pool every later call then waits for a slot that never
    frees. The httpx backend ends an exchange by httpx's timeouts and its own checks, and a caller that stops
    waiting (here its own `asyncio.timeout`) leaves the exchange to finish."""
    import httpcore

    module = dapr_by_transport["httpx"]
    close = httpcore.AsyncConnectionPool._close_connections
    slow_closes: list[float] = []

    async def closing_slowly(self: httpcore.AsyncConnectionPool, closing: list[Any]) -> None:
        if closing and slow_closes:
            await asyncio.sleep(slow_closes[0])  # a loaded machine: longer than the whole deadline
        await close(self, closing)

    monkeypatch.setattr(httpcore.AsyncConnectionPool, "_close_connections", closing_slowly)
    # Idle connections expire at once, so the next request finds one to close.
    monkeypatch.setattr(httpx, "Limits", functools.partial(httpx.Limits, keepalive_expiry=0.01))
    # The deadline: 1 s, a close of 1.5 s; the caller: its own timeout of 0.1 s, a close of 0.3 s.
    deadline, slow_close = (1.0, 1.5) if canceller == "the deadline" else (5.0, 0.3)
    settings = {**FAST, "max_connections": 1, "api_timeout_seconds": deadline, "api_max_retries": 0}
    async with raw_server() as server, burst_client(module, server.url, pool, **settings) as client:
        assert await client.get_state("statestore", "first") == {"target": "/v1.0/state/statestore/first"}
        await asyncio.sleep(0.05)
        slow_closes.append(slow_close)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1 if canceller == "the caller" else None):
                await client.get_state("statestore", "late")
        slow_closes.clear()
        await asyncio.sleep(slow_close + 0.1)  # any close or abandoned exchange still running ends
        answers = [await client.get_state("statestore", f"after{i}") for i in range(3)]
    assert answers == [{"target": f"/v1.0/state/statestore/after{i}"} for i in range(3)]
