"""Defects found in review of the generated client (issue 7), each pinned by a behaviour test.

Unreadable 2xx answers are typed errors; the timeout is a deadline for the whole request; aiohttp never re-sends on
its own; names reach the wire percent-encoded; non-idempotent writes are not retried; Retry-After is honoured and
capped; the defaults are what the settings say.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.client.conftest import Sidecar, client_for, dapr_error, json_response, load_module, render_client
from tests.client.test_client_transports import own_client, raw_server

pytestmark = pytest.mark.anyio

Call = Callable[[Any], Awaitable[object]]

# -- 2xx answers the client cannot read are DaprErrors that say what came back ------------------------------------

Answer = Callable[[], httpx.Response]  # a fresh response per test: a response's stream is read once


def NOT_JSON() -> httpx.Response:  # noqa: N802 - named like the constants it stands for
    return httpx.Response(200, headers={"content-type": "text/html"}, content=b"<html>proxy error</html>")


def LIST() -> httpx.Response:  # noqa: N802
    return json_response([1, 2])


def OBJECT() -> httpx.Response:  # noqa: N802
    return json_response({"a": 1})


def BAD_GZIP() -> httpx.Response:  # noqa: N802
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b"not gzip"))


def _json(payload: object) -> Answer:
    return lambda: json_response(payload)


UNREADABLE: dict[str, tuple[Call, Answer]] = {
    "bulk state not json": (lambda c: c.get_bulk_state("s", ["a"]), NOT_JSON),
    "bulk state object": (lambda c: c.get_bulk_state("s", ["a"]), OBJECT),
    "bulk state list of numbers": (lambda c: c.get_bulk_state("s", ["a"]), LIST),
    "secret list": (lambda c: c.get_secret("s", "k"), LIST),
    "secret not json": (lambda c: c.get_secret("s", "k"), NOT_JSON),
    "configuration list": (lambda c: c.get_configuration("s", ["k"]), LIST),
    "configuration item not object": (lambda c: c.get_configuration("s", ["k"]), _json({"k": "v"})),
    "metadata list": (lambda c: c.get_metadata(), LIST),
    "metadata not json": (lambda c: c.get_metadata(), NOT_JSON),
    "job list": (lambda c: c.get_job("j"), LIST),
    "job bad repeats": (lambda c: c.get_job("j"), _json({"repeats": "often"})),
    "workflow list": (lambda c: c.get_workflow("w"), LIST),
    "workflow bad date": (lambda c: c.get_workflow("w"), _json({"createdAt": "yesterday"})),
    "invoke_service not json": (lambda c: c.invoke_service("app", "m"), NOT_JSON),
    "get_state bad encoding": (lambda c: c.get_state("s", "k"), BAD_GZIP),
    "unlock bad status": (lambda c: c.unlock("s", "r", "o"), _json({"status": "gone"})),
    "subscribe without id": (lambda c: c.subscribe_configuration("s", ["k"]), OBJECT),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
async def test_unreadable_2xx_answers_are_typed_errors_saying_what_came_back(dapr: ModuleType, case: str) -> None:
    call, make = UNREADABLE[case]
    answer = make()
    async with client_for(dapr, Sidecar([lambda _request: make()])) as client:
        with pytest.raises(dapr.DaprError) as caught:
            await call(client)
    error = caught.value
    assert isinstance(error, dapr.DaprInvalidResponseError)
    assert error.status_code == 200
    assert answer.headers["content-type"] in str(error)
    if "content-encoding" not in answer.headers:
        assert answer.read()[:10].decode() in str(error)  # an excerpt of the body


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_body_that_does_not_match_its_content_encoding_is_a_typed_error(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url, api_max_retries=0) as client:
        server.answer = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: 9\r\n\r\nnot gzip!"
        )
        with pytest.raises(module.DaprInvalidResponseError, match="application/json"):
            await client.get_state("statestore", "k")


# -- api_timeout_seconds is a deadline for the whole request ---------------------------------------------------------


@contextlib.asynccontextmanager
async def drip_server(byte_every: float, length: int) -> AsyncIterator[str]:
    """Answers every request with headers at once, then its body one byte every `byte_every` seconds."""

    tasks: list[asyncio.Task[None]] = []

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length)
            for _ in range(length):
                await writer.drain()
                await asyncio.sleep(byte_every)
                writer.write(b" ")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.append(task)
        with contextlib.suppress(asyncio.CancelledError):
            await drip(reader, writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        server.close()
        for task in tasks:  # the client gave up long ago: stop dripping
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_drip_fed_answer_cannot_outlast_the_timeout(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    module = dapr_by_transport[transport]
    # 20 bytes at 0.3 s each take 6 s; each read is quick, so only a whole-request deadline stops it.
    async with drip_server(0.3, 20) as url, own_client(module, url, api_timeout_seconds=0.5, api_max_retries=0) as c:
        started = time.monotonic()
        with pytest.raises(module.DaprTimeoutError) as caught:
            await c.get_state("statestore", "k")
        assert time.monotonic() - started < 4.0  # generous: the drip would take 6 s
    assert isinstance(caught.value, module.DaprUnavailableError)
    assert isinstance(caught.value, TimeoutError)


# -- aiohttp never re-sends on its own -------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["auto", "aiohttp", "httpx"])
async def test_a_dropped_pooled_connection_is_retried_by_the_client_only(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url, api_max_retries=0) as client:
        assert await client.get_state("statestore", "warm") is not None  # leaves a pooled connection
        server.actions = ["drop"]
        with pytest.raises(module.DaprUnavailableError, match=r"after 1 attempt\(s\)"):
            await client.get_state("statestore", "k")
    assert [r.method for r in server.requests] == ["GET", "GET"]


@pytest.mark.parametrize("transport", ["auto", "aiohttp", "httpx"])
async def test_a_dropped_delete_is_sent_once_and_reported_as_not_retried(
    dapr_by_transport: dict[str, ModuleType], transport: str
) -> None:
    module = dapr_by_transport[transport]
    async with raw_server() as server, own_client(module, server.url, api_max_retries=3) as client:
        await client.delete_state("statestore", "warm")
        server.actions = ["drop"]
        with pytest.raises(module.DaprUnavailableError, match="was not retried"):
            await client.delete_state("statestore", "k")
    assert [r.method for r in server.requests] == ["DELETE", "DELETE"]


# -- names reach the wire percent-encoded ----------------------------------------------------------------------------

AWKWARD = "a/b c?#%+"
ENCODED = "a%2Fb%20c%3F%23%25%2B"

ON_THE_WIRE: dict[str, tuple[Call, str]] = {
    "secret key": (lambda c: c.get_secret("store", AWKWARD), f"/v1.0/secrets/store/{ENCODED}"),
    "secret store": (lambda c: c.get_bulk_secret(AWKWARD), f"/v1.0/secrets/{ENCODED}/bulk"),
    "binding name": (lambda c: c.invoke_binding(AWKWARD, "create", {}), f"/v1.0/bindings/{ENCODED}"),
    "job name": (lambda c: c.get_job(AWKWARD), f"/v1.0-alpha1/jobs/{ENCODED}"),
    "job name (delete)": (lambda c: c.delete_job(AWKWARD), f"/v1.0-alpha1/jobs/{ENCODED}"),
    "lock store": (lambda c: c.try_lock(AWKWARD, "r", "o", 5), f"/v1.0-alpha1/lock/{ENCODED}"),
    "unlock store": (lambda c: c.unlock(AWKWARD, "r", "o"), f"/v1.0-alpha1/unlock/{ENCODED}"),
    "configuration store": (lambda c: c.get_configuration(AWKWARD), f"/v1.0/configuration/{ENCODED}"),
    "subscription id": (
        lambda c: c.unsubscribe_configuration("cfg", AWKWARD),
        f"/v1.0/configuration/cfg/{ENCODED}/unsubscribe",
    ),
    "metadata key": (lambda c: c.set_metadata(AWKWARD, "v"), f"/v1.0/metadata/{ENCODED}"),
}


@pytest.mark.parametrize("case", list(ON_THE_WIRE))
async def test_awkward_names_are_percent_encoded_on_the_wire(dapr: ModuleType, case: str) -> None:
    call, raw_path = ON_THE_WIRE[case]
    sidecar = Sidecar([json_response({"status": 0})])
    async with client_for(dapr, sidecar) as client:
        with contextlib.suppress(dapr.DaprError):  # only the request matters here
            await call(client)
    assert sidecar.last.url.raw_path.decode() == raw_path


async def test_awkward_metadata_keys_are_encoded_in_the_query(dapr: ModuleType) -> None:
    sidecar = Sidecar([json_response({})])
    async with client_for(dapr, sidecar) as client:
        await client.get_secret("store", "k", metadata={"a&b=c": "x y"})
    assert sidecar.last.url.query == b"metadata.a%26b%3Dc=x+y"
    assert sidecar.last.url.params["metadata.a&b=c"] == "x y"


# -- writes that may have happened are never retried ----------------------------------------------------------------

NOT_RETRIED: dict[str, Call] = {
    "publish": lambda c: c.publish_event("pubsub", "t", {"n": 1}),
    "bulk publish": lambda c: c.publish_events("pubsub", "t", [{"n": 1}]),
    "transaction": lambda c: c.execute_state_transaction("s", [], metadata=None),
    "save": lambda c: c.save_state("s", "k", 1),
}


@pytest.mark.parametrize("case", list(NOT_RETRIED))
async def test_a_500_on_a_write_is_sent_exactly_once(dapr: ModuleType, case: str) -> None:
    sidecar = Sidecar([dapr_error(500, "ERR_X", "broken"), httpx.Response(204)])
    async with client_for(dapr, sidecar, api_max_retries=3) as client:
        with pytest.raises(dapr.DaprError) as caught:
            await NOT_RETRIED[case](client)
    assert caught.value.status_code == 500
    assert len(sidecar.requests) == 1


# -- Retry-After ----------------------------------------------------------------------------------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every delay the client sleeps for (the sleep itself is skipped)."""
    slept: list[float] = []
    real = asyncio.sleep

    async def fake(delay: float, result: object = None) -> object:
        slept.append(delay)
        return await real(0, result)

    monkeypatch.setattr(asyncio, "sleep", fake)
    return slept


async def test_retry_after_seconds_is_the_delay_used(dapr: ModuleType, sleeps: list[float]) -> None:
    sidecar = Sidecar([httpx.Response(503, headers={"Retry-After": "3"}), httpx.Response(204)])
    async with client_for(dapr, sidecar, backoff_max_seconds=10) as client:
        await client.publish_event("pubsub", "t", {})
    assert sleeps == [3.0]


async def test_retry_after_is_capped_by_backoff_max(dapr: ModuleType, sleeps: list[float]) -> None:
    sidecar = Sidecar([httpx.Response(429, headers={"Retry-After": "100"}), httpx.Response(204)])
    async with client_for(dapr, sidecar, backoff_max_seconds=7) as client:
        await client.publish_event("pubsub", "t", {})
    assert sleeps == [7.0]


async def test_without_retry_after_the_backoff_is_jittered_below_its_ceiling(
    dapr: ModuleType, sleeps: list[float]
) -> None:
    sidecar = Sidecar([httpx.Response(503)] * 3 + [httpx.Response(204)])
    async with client_for(dapr, sidecar, backoff_initial_seconds=1, backoff_max_seconds=3) as client:
        await client.publish_event("pubsub", "t", {})
    ceilings = [1, 2, 3]  # doubling from 1 s, capped at 3 s
    assert len(sleeps) == 3
    assert all(0 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))


def test_the_retry_after_parser(dapr: ModuleType) -> None:
    parse = dapr._retry_after_seconds
    assert parse("5") == 5.0
    assert parse(" 12 ") == 12.0
    assert parse(None) is None
    assert parse("") is None
    assert parse("soon") is None
    assert parse("-1") is None
    future = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=100), usegmt=True)
    assert 90 <= parse(future) <= 100
    past = email.utils.format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert parse(past) == 0.0


# -- publish_events keeps a caller's content type for JSON events -------------------------------------------------


async def test_bulk_publish_uses_the_given_content_type_for_json_events(dapr: ModuleType) -> None:
    sidecar = Sidecar([httpx.Response(204)])
    async with client_for(dapr, sidecar) as client:
        await client.publish_events("pubsub", "t", [{"n": 1}, "text"], data_content_type="application/vnd.x+json")
    assert [e["contentType"] for e in sidecar.body()] == ["application/vnd.x+json", "application/vnd.x+json"]


# -- defaults -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_the_default_deadline_is_30_seconds_and_reaches_the_transport(
    dapr_by_transport: dict[str, ModuleType], transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAPR_API_TIMEOUT_SECONDS", raising=False)
    module = dapr_by_transport[transport]
    settings = module.DaprSettings()
    assert settings.api_timeout_seconds == 30.0
    async with module.DaprClient(settings) as client:
        backend = client._backend
        assert backend._deadline == 30.0
        if transport == "httpx":
            assert backend._client.timeout == httpx.Timeout(30.0)
        else:
            assert backend._timeout.total == 30.0


def test_a_spec_timeout_becomes_the_settings_default(tmp_path: Path) -> None:
    module = load_module(render_client({"timeout_seconds": 4.5, "transport": "httpx"}), tmp_path)
    assert module.DaprSettings.model_fields["api_timeout_seconds"].default == 4.5
