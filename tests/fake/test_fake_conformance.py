"""The fake answers like the sidecar double (tests/sidecar, the faithful one): one scripted sequence of client calls
per block runs against both, and every result or error (type, status, errorCode) must be the same. What the calls
left behind (published CloudEvents, binding calls) is compared too.

Both answer state as daprd does with the Redis store (their default profile): a first-write save of an existing key is
a 500, and a key once saved first-write refuses a last-write save without its ETag. Every store's answers are held to
the components' source in test_fake_state_stores.py, and both are held to real daprd's recorded answers by
tests/differential (a Redis transaction with one refused operation keeps the others applied, in both and on daprd)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request, Response

from tests.client.conftest import FAST
from tests.fake.conftest import Rendered
from tests.sidecar import DEFAULT_BASE_URL, BindingInvocation, BindingResult, SidecarDouble

pytestmark = pytest.mark.anyio

AWKWARD_KEY = "a/b c+d?e#f%g"
SECRETS: dict[str, dict[str, Any]] = {"localsecretstore": {"db-password": "s3cret", "multi": {"user": "u", "pw": "p"}}}
Step = Callable[[Any, Any], Awaitable[Any]]  # (client, client module) -> result


def callee() -> FastAPI:
    """The app invoked as `orders`."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def get_item(item_id: str, request: Request) -> dict[str, Any]:
        return {
            "id": item_id,
            "query": dict(request.query_params),
            "caller": request.headers.get("dapr-caller-app-id"),
            "callee": request.headers.get("dapr-callee-app-id"),
            "token": request.headers.get("dapr-api-token"),
        }

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type=request.headers.get("content-type"), status_code=201)

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, "no such thing")

    return app


async def _binding(invocation: BindingInvocation) -> BindingResult:
    return BindingResult(data=b'{"ok":true}', metadata={"rows": "1"})


@dataclass
class Backend:
    name: str
    client: Any
    published: Callable[[], list[Any]]  # the CloudEvents kept, as JSON (raw payloads as bytes)
    binding_calls: Callable[[], list[tuple[str, str, Any, dict[str, str]]]]


@contextlib.asynccontextmanager
async def double_backend(module: Any, **double: Any) -> AsyncIterator[Backend]:
    sidecar = SidecarDouble(
        app_id="app",
        dapr_version="1.18",
        secret_stores=SECRETS,
        bindings={"mybinding": _binding},
        remote_apps={"orders": callee()},
        **double,
    )
    settings = module.DaprSettings(http_endpoint=DEFAULT_BASE_URL, **FAST)
    async with sidecar.client() as http, module.DaprClient(settings, http_client=http) as client:
        yield Backend(
            "double",
            client,
            lambda: [m.json() if m.envelope is not None else m.data for m in sidecar.published],
            lambda: [
                (b.name, b.operation, httpx.Response(200, content=b.data).json(), b.metadata)
                for b in sidecar.bindings.invocations
            ],
        )


@contextlib.asynccontextmanager
async def fake_backend(rendered: Rendered, **options: Any) -> AsyncIterator[Backend]:
    fake = rendered.fake.FakeDapr(
        app_id="app",
        state_stores=["statestore"],
        pubsubs=["pubsub"],
        secret_stores=SECRETS,
        bindings=["mybinding"],
        **options,
    )
    fake.apps["orders"] = callee()
    fake.binding_replies["mybinding"] = rendered.fake.BindingReply(b'{"ok":true}', {"rows": "1"})
    settings = rendered.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, rendered.client.DaprClient(settings, http_client=http) as client:
        yield Backend(
            "fake",
            client,
            lambda: [e.event if e.event is not None else e.message for e in fake.published],
            lambda: [(c.name, c.operation, c.data, c.metadata) for c in fake.binding_calls],
        )


def _plain(value: Any) -> Any:
    """A result both backends can be compared on (an invocation's headers differ in transport details)."""
    if type(value).__name__ == "InvokeResponse":
        return ("InvokeResponse", value.status_code, value.headers.get("content-type"), value.content)
    return value


async def run(steps: list[tuple[str, Step]], client: Any, module: Any) -> list[tuple[str, Any]]:
    outcomes = []
    for name, step in steps:
        try:
            outcome: Any = ("ok", _plain(await step(client, module)))
        except module.DaprError as exc:
            outcome = ("error", type(exc).__name__, exc.status_code, exc.error_code)
        outcomes.append((name, outcome))
    return outcomes


async def compare(rendered: Rendered, steps: list[tuple[str, Step]]) -> tuple[Backend, Backend]:
    async with double_backend(rendered.client) as double, fake_backend(rendered) as fake:
        expected = await run(steps, double.client, rendered.client)
        got = await run(steps, fake.client, rendered.client)
        for want, have in zip(expected, got, strict=True):
            assert have == want
        return double, fake


def _op(module: Any, kind: str, key: str, value: object = None, **kwargs: Any) -> Any:
    operation = module.TransactionalStateOperation
    return operation.upsert(key, value, **kwargs) if kind == "upsert" else operation.delete(key, **kwargs)


STATE: list[tuple[str, Step]] = [
    ("missing key is None", lambda c, m: c.get_state("statestore", "k1")),
    ("missing item is None", lambda c, m: c.get_state_item("statestore", "k1")),
    ("save", lambda c, m: c.save_state("statestore", "k1", {"a": 1})),
    ("read with ETag", lambda c, m: c.get_state_item("statestore", "k1")),
    ("save with the ETag", lambda c, m: c.save_state("statestore", "k1", {"a": 2}, etag="1")),
    ("the ETag moved on", lambda c, m: c.get_state_item("statestore", "k1")),
    ("stale ETag is 409", lambda c, m: c.save_state("statestore", "k1", {"a": 3}, etag="1")),
    ("malformed ETag is 400", lambda c, m: c.save_state("statestore", "k1", {"a": 3}, etag="abc")),
    ("ETag for a missing key", lambda c, m: c.save_state("statestore", "new", 1, etag="7")),
    ("first-write insert", lambda c, m: c.save_state("statestore", "k2", [1, 2], concurrency="first-write")),
    ("first-write again", lambda c, m: c.save_state("statestore", "k2", [3], concurrency="first-write")),
    ("last-write after first-write", lambda c, m: c.save_state("statestore", "k2", [4], concurrency="last-write")),
    ("awkward key", lambda c, m: c.save_state("statestore", AWKWARD_KEY, "text")),
    ("awkward key read", lambda c, m: c.get_state_item("statestore", AWKWARD_KEY)),
    ("ttl", lambda c, m: c.save_state("statestore", "short", True, ttl_in_seconds=60)),
    ("bulk save", lambda c, m: c.save_bulk_state("statestore", [m.StateItem("b1", 1), m.StateItem("b2", None)])),
    ("bulk get", lambda c, m: c.get_bulk_state("statestore", ["k1", "nope", AWKWARD_KEY, "b2"])),
    ("stale delete is 409", lambda c, m: c.delete_state("statestore", "k1", etag="1")),
    ("delete", lambda c, m: c.delete_state("statestore", "k1", etag="2")),
    ("deleted", lambda c, m: c.get_state_item("statestore", "k1")),
    ("delete missing", lambda c, m: c.delete_state("statestore", "k1")),
    ("transaction", lambda c, m: c.execute_state_transaction(
        "statestore", [_op(m, "upsert", "t1", {"n": 1}), _op(m, "delete", "k2")])),
    ("after the transaction", lambda c, m: c.get_bulk_state("statestore", ["t1", "k2"])),
    ("failing transaction is 500", lambda c, m: c.execute_state_transaction(
        "statestore", [_op(m, "upsert", "b1", 9, etag="99")])),
    ("nothing applied", lambda c, m: c.get_state_item("statestore", "b1")),
    ("unknown store is 400", lambda c, m: c.save_state("nostore", "k", 1)),
    ("unknown store read", lambda c, m: c.get_state("nostore", "k")),
    ("seed city 1", lambda c, m: c.save_state("statestore", "c1", {"city": "Oslo", "n": 1})),
    ("seed city 2", lambda c, m: c.save_state("statestore", "c2", {"city": "Oslo", "n": 3})),
    ("seed city 3", lambda c, m: c.save_state("statestore", "c3", {"city": "Rome", "n": 2})),
    ("seed city 4", lambda c, m: c.save_state("statestore", "c4", {"city": "Oslo", "n": 2})),
    ("query page 1", lambda c, m: c.query_state("statestore", {
        "filter": {"EQ": {"city": "Oslo"}}, "sort": [{"key": "n", "order": "DESC"}], "page": {"limit": 2}})),
    ("query page 2", lambda c, m: c.query_state("statestore", {
        "filter": {"EQ": {"city": "Oslo"}}, "sort": [{"key": "n", "order": "DESC"}],
        "page": {"limit": 2, "token": "2"}})),
    ("query OR and IN", lambda c, m: c.query_state("statestore", {
        "filter": {"OR": [{"EQ": {"city": "Rome"}}, {"IN": {"n": [3]}}]}, "sort": [{"key": "n"}]})),
    ("query without results", lambda c, m: c.query_state("statestore", {"filter": {"EQ": {"city": "Paris"}}})),
]  # fmt: skip


async def test_state_answers_like_the_double(every_block: Rendered) -> None:
    await compare(every_block, STATE)


PUBSUB: list[tuple[str, Step]] = [
    ("json", lambda c, m: c.publish_event("pubsub", "orders", {"id": 1, "total": 2.5})),
    ("typed", lambda c, m: c.publish_event("pubsub", "orders", {"id": 2}, metadata={"cloudevent.type": "o.created"})),
    ("text", lambda c, m: c.publish_event("pubsub", "notes", "hello")),
    ("bytes", lambda c, m: c.publish_event("pubsub", "blobs", b"\x00\x01")),
    ("own envelope", lambda c, m: c.publish_event(
        "pubsub", "orders", {"id": "e-1", "source": "me", "type": "t", "specversion": "1.0", "data": {"x": 1}},
        data_content_type="application/cloudevents+json")),
    ("nested topic", lambda c, m: c.publish_event("pubsub", "a/b", 1)),
    ("raw payload", lambda c, m: c.publish_event("pubsub", "raw", {"r": 1}, raw_payload=True)),
    ("unknown pubsub is 404", lambda c, m: c.publish_event("nopubsub", "orders", {})),
    ("bulk", lambda c, m: c.publish_events("pubsub", "orders", [{"id": 3}, "text", b"\x02"])),
    ("bulk to an unknown pubsub", lambda c, m: c.publish_events("nopubsub", "orders", [1])),
]  # fmt: skip

_VOLATILE = ("id", "time", "traceid", "traceparent", "tracestate")


def _stable(event: Any) -> Any:
    return {k: v for k, v in event.items() if k not in _VOLATILE} if isinstance(event, dict) else event


async def test_pubsub_answers_and_records_like_the_double(every_block: Rendered) -> None:
    double, fake = await compare(every_block, PUBSUB)
    assert [_stable(e) for e in fake.published()] == [_stable(e) for e in double.published()]
    own = fake.published()[4]
    assert own["id"] == "e-1"  # a CloudEvent sent as such keeps its id


INVOKE: list[tuple[str, Step]] = [
    ("GET with a query", lambda c, m: c.invoke_method("orders", "items/42", http_verb="GET", query={"q": "a b"})),
    ("POST JSON", lambda c, m: c.invoke_method("orders", "echo", {"a": [1, 2]})),
    ("POST text", lambda c, m: c.invoke_method("orders", "echo", "plain")),
    ("by header", lambda c, m: c.invoke_method("orders", "items/7", http_verb="GET", use_app_id_header=True)),
    ("the app's 404", lambda c, m: c.invoke_method("orders", "missing", http_verb="GET")),
    ("unknown app is 500", lambda c, m: c.invoke_method("nope", "items/1", http_verb="GET")),
    ("invoke_service", lambda c, m: c.invoke_service("orders", "items/9")),
]  # fmt: skip


async def test_invoke_answers_like_the_double(every_block: Rendered) -> None:
    await compare(every_block, INVOKE)


JOBS: list[tuple[str, Step]] = [
    ("schedule", lambda c, m: c.schedule_job("j1", timedelta(seconds=10), {"x": 1})),
    ("get", lambda c, m: c.get_job("j1")),
    ("again is 409", lambda c, m: c.schedule_job("j1", timedelta(seconds=10), {"x": 2})),
    ("overwrite", lambda c, m: c.schedule_job(
        "j1", None, ["y"], schedule="@every 1m", repeats=3, ttl=timedelta(hours=1), overwrite=True,
        failure_policy=m.ConstantFailurePolicy(interval=0.5, max_retries=2))),
    ("get the new one", lambda c, m: c.get_job("j1")),
    ("drop policy", lambda c, m: c.schedule_job(
        "j2", "2030-01-01T00:00:00Z", "text", failure_policy=m.DropFailurePolicy())),
    ("get j2", lambda c, m: c.get_job("j2")),
    ("delete", lambda c, m: c.delete_job("j1")),
    ("unknown job is 500", lambda c, m: c.get_job("j1")),
    ("delete unknown", lambda c, m: c.delete_job("j1")),
]  # fmt: skip


async def test_jobs_answer_like_the_double(every_block: Rendered) -> None:
    await compare(every_block, JOBS)


SECRETS_AND_BINDINGS: list[tuple[str, Step]] = [
    ("secret", lambda c, m: c.get_secret("localsecretstore", "db-password")),
    ("multi-valued", lambda c, m: c.get_secret("localsecretstore", "multi")),
    ("missing secret is 500", lambda c, m: c.get_secret("localsecretstore", "nope")),
    ("unknown store is 401", lambda c, m: c.get_secret("vault", "db-password")),
    ("bulk", lambda c, m: c.get_bulk_secret("localsecretstore")),
    ("binding", lambda c, m: c.invoke_binding("mybinding", "create", {"a": 1}, metadata={"table": "t"})),
    ("binding text", lambda c, m: c.invoke_binding("mybinding", "create", "quoted")),
    ("unknown binding is 500", lambda c, m: c.invoke_binding("nobinding", "create", {})),
    ("health", lambda c, m: c.check_health()),
    ("shutdown", lambda c, m: c.shutdown()),
]  # fmt: skip


async def test_secrets_bindings_and_health_answer_like_the_double(every_block: Rendered) -> None:
    double, fake = await compare(every_block, SECRETS_AND_BINDINGS)
    assert fake.binding_calls() == double.binding_calls()


async def test_a_missing_api_token_is_refused_like_the_double(every_block: Rendered) -> None:
    steps: list[tuple[str, Step]] = [
        ("health needs no token", lambda c, m: c.check_health()),
        ("state does", lambda c, m: c.get_state("statestore", "k")),
    ]
    async with (
        double_backend(every_block.client, api_token="sidecar-token") as double,
        fake_backend(every_block, api_token="sidecar-token") as fake,
    ):
        assert await run(steps, fake.client, every_block.client) == await run(steps, double.client, every_block.client)
    settings = every_block.client.DaprSettings(http_endpoint=DEFAULT_BASE_URL, api_token="sidecar-token", **FAST)
    fake_dapr = every_block.fake.FakeDapr(api_token="sidecar-token")
    async with fake_dapr.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        assert await client.get_state("statestore", "k") is None


async def test_unanswered_blocks_say_so(every_block: Rendered) -> None:
    fake = every_block.fake.FakeDapr()
    settings = every_block.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        with pytest.raises(every_block.client.DaprError) as caught:
            await client.get_configuration("configstore", ["k"])
        assert caught.value.status_code == 501
        assert "configuration" in caught.value.message
        with pytest.raises(every_block.client.DaprNotFoundError):  # an unknown route, as daprd answers it
            await client.invoke_method("", "x")


async def test_health_switch_and_inspection(every_block: Rendered) -> None:
    fake = every_block.fake.FakeDapr()
    settings = every_block.client.DaprSettings(http_endpoint=fake.base_url, **FAST)
    async with fake.http_client() as http, every_block.client.DaprClient(settings, http_client=http) as client:
        await client.wait_for_sidecar(timeout=1)
        fake.healthy = False
        assert await client.check_health() is False
        await client.save_state("anystore", "k", {"a": 1})  # no names given: any store exists
        assert fake.state["anystore"]["k"].value == {"a": 1}
        assert fake.state["anystore"]["k"].etag == "1"
        etag = fake.put_state("anystore", "seeded", [1])
        assert (await client.get_state_item("anystore", "seeded")).etag == etag
        await client.publish_event("anypubsub", "t", {"a": 1}, metadata={"cloudevent.type": "x.y"})
        (event,) = fake.published
        assert (event.pubsub, event.topic, event.data, event.type) == ("anypubsub", "t", {"a": 1}, "x.y")
        assert event.content_type == "application/json"
        assert event.metadata == {"cloudevent.type": "x.y"}
        await client.shutdown()
        assert fake.shutdown_requested
