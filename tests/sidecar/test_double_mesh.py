"""A mesh of sidecar doubles: shared broker and state, invocation by app id, per-app jobs (tools/standin/mesh.py;
references/dapr-contract.md §2, §4, §9, §12)."""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tools.standin import DeliveryLoopError, SchedulerLoopError, SidecarMesh, StateStoreOptions
from tools.standin.scheduler import Cron, ScheduleError

pytestmark = pytest.mark.anyio

SUCCESS = {"status": "SUCCESS"}


@dataclass
class Service:
    """A small FastAPI app: declared subscriptions, scripted answers per route, every call kept."""

    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    token: str | None = None
    answers: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    received: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    app: FastAPI = field(default_factory=FastAPI)

    def __post_init__(self) -> None:
        @self.app.middleware("http")
        async def check_token(request: Request, call_next: Any) -> Any:
            # §12.12: the sidecar sends APP_API_TOKEN as dapr-api-token on every call.
            if self.token is not None and request.headers.get("dapr-api-token") != self.token:
                return JSONResponse({"detail": "bad token"}, status_code=401)
            return await call_next(request)

        @self.app.get("/dapr/subscribe")
        async def subscribe() -> list[dict[str, Any]]:
            return self.subscriptions

    def on(self, path: str, *answers: dict[str, Any]) -> Service:
        """``POST path`` records the request and answers the next scripted JSON (the last one repeats)."""
        self.answers[path] = deque(answers or [SUCCESS])

        async def handler(request: Request) -> Any:
            body = await request.body()
            self.received.append((path, dict(request.headers), await request.json() if body else None))
            queue = self.answers[path]
            return queue[0] if len(queue) == 1 else queue.popleft()

        self.app.add_api_route(path, handler, methods=["POST"])
        return self

    def events(self, path: str) -> list[Any]:
        return [body for p, _, body in self.received if p == path]


def sub(topic: str, route: str, **extra: Any) -> dict[str, Any]:
    return {"pubsubname": "pubsub", "topic": topic, "route": route, **extra}


async def publish(mesh: SidecarMesh, app_id: str, topic: str, data: Any) -> None:
    async with mesh.client(app_id) as c:
        assert (await c.post(f"/v1.0/publish/pubsub/{topic}", json=data)).status_code == 204


async def test_publish_reaches_every_subscriber_app() -> None:
    """One consumer group per app id: B and C each get the CloudEvent; A, subscribed elsewhere, does not (§12.3)."""
    mesh = SidecarMesh()
    a = Service([sub("audit", "/audit")]).on("/audit")
    b = Service([sub("orders", "/orders")], token="tok-b").on("/orders")
    c = Service([sub("orders", "/new-order")]).on("/new-order")
    for app_id, svc in (("a", a), ("b", b), ("c", c)):
        mesh.add(app_id, svc.app, app_api_token=svc.token)
    subs = await mesh.start()
    assert [s.topic for s in subs["b"]] == ["orders"]
    await publish(mesh, "a", "orders", {"orderId": 7})
    results = await mesh.deliver_pending()
    assert sorted((d.app_id, d.outcome) for d in results) == [("b", "delivered"), ("c", "delivered")]
    (event_b,) = b.events("/orders")
    (event_c,) = c.events("/new-order")
    assert event_b == event_c
    assert (event_b["source"], event_b["topic"], event_b["data"]) == ("a", "orders", {"orderId": 7})
    assert b.received[0][1]["content-type"] == "application/cloudevents+json"
    assert a.received == []
    assert len(mesh.published) == 1
    assert await mesh.deliver_pending() == []  # nothing is delivered twice


async def test_retry_is_redelivered_to_that_subscriber_only() -> None:
    """§12.4: RETRY once then SUCCESS: two attempts for B, one for C."""
    mesh = SidecarMesh()
    b = Service([sub("orders", "/orders")]).on("/orders", {"status": "RETRY"}, SUCCESS)
    c = Service([sub("orders", "/orders")]).on("/orders")
    mesh.add("a")
    mesh.add("b", b.app)
    mesh.add("c", c.app)
    await publish(mesh, "a", "orders", {"orderId": 1})
    results = {d.app_id: d.result for d in await mesh.deliver_pending()}
    assert (results["b"].outcome, len(results["b"].attempts)) == ("delivered", 2)
    assert [a.verdict for a in results["b"].attempts] == ["RETRY", "SUCCESS"]
    assert (results["c"].outcome, len(results["c"].attempts)) == ("delivered", 1)
    assert [e["id"] for e in b.events("/orders")] == [c.events("/orders")[0]["id"]] * 2
    assert mesh.dead_lettered == []


async def test_drop_dead_letters_for_that_subscriber_only() -> None:
    """§12.4: DROP goes to the subscriber's deadLetterTopic; the other subscriber's copy is acked."""
    mesh = SidecarMesh()
    b = Service([sub("orders", "/orders", deadLetterTopic="orders-dlq"), sub("orders-dlq", "/dlq")])
    b.on("/orders", {"status": "DROP"}).on("/dlq")
    c = Service([sub("orders", "/orders", deadLetterTopic="orders-dlq")]).on("/orders")
    mesh.add("a")
    mesh.add("b", b.app)
    mesh.add("c", c.app)
    await publish(mesh, "a", "orders", {"orderId": 2})
    results = await mesh.deliver_pending()
    assert sorted((d.app_id, d.topic, d.outcome) for d in results) == [
        ("b", "orders", "dead_lettered"), ("b", "orders-dlq", "delivered"), ("c", "orders", "delivered"),
    ]  # fmt: skip
    (dead,) = mesh.dead_lettered
    assert (dead.topic, dead.dead_lettered_from) == ("orders-dlq", "orders")
    assert b.events("/dlq")[0]["data"] == {"orderId": 2}
    assert len(c.events("/orders")) == 1


async def test_invocation_by_app_id_uses_the_callee_token() -> None:
    """§4, §12.12: A's sidecar reaches B's app with B's APP_API_TOKEN; unknown ids are 500 ERR_DIRECT_INVOKE."""
    mesh = SidecarMesh()
    b = Service(token="tok-b").on("/greet", {"hello": "from b"})
    mesh.add("a", Service(token="tok-a").app, app_api_token="tok-a")
    mesh.add("b", app_api_token="tok-b")
    mesh["b"].channel.app = b.app  # set late, as a generated app built around its sidecar client is
    async with mesh.client("a") as c:
        r = await c.post("/v1.0/invoke/b/method/greet?x=1", json={"n": 1})
        assert (r.status_code, r.json()) == (200, {"hello": "from b"})
        r = await c.post("/greet", headers={"dapr-app-id": "b"}, json={"n": 2})
        assert r.status_code == 200
        r = await c.post("/v1.0/invoke/nobody/method/greet")
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_DIRECT_INVOKE")
    headers = b.received[0][1]
    assert (headers["dapr-api-token"], headers["dapr-caller-app-id"], headers["dapr-callee-app-id"]) == (
        "tok-b", "a", "b",
    )  # fmt: skip
    assert [call.path for call in mesh["b"].app_calls] == ["/greet?x=1", "/greet"]
    assert mesh["a"].app_calls == []


async def test_job_fires_on_the_app_that_scheduled_it() -> None:
    """§9: jobs belong to the scheduling app id; §9.4: POST /job/{name} with the data, on that app only."""
    mesh = SidecarMesh()
    a = Service(token="tok-a").on("/job/remind", {})
    b = Service().on("/job/remind", {})
    mesh.add("a", a.app, app_api_token="tok-a")
    mesh.add("b", b.app)
    async with mesh.client("a") as c:
        r = await c.post("/v1.0-alpha1/jobs/remind", json={"dueTime": "10s", "data": {"task": 1}})
        assert r.status_code == 204
    start = mesh.now()
    assert await mesh.fire_due_jobs(start + dt.timedelta(seconds=5)) == []
    (fired,) = await mesh.fire_due_jobs(start + dt.timedelta(seconds=11))
    assert (fired.app_id, fired.name, fired.trigger.outcome) == ("a", "remind", "success")
    assert a.events("/job/remind") == [{"task": 1}]
    assert b.received == []
    assert "remind" not in mesh["a"].jobs.jobs  # one-shot: gone after success
    assert mesh.now() >= start + dt.timedelta(seconds=11)  # the clock moved forward


async def test_recurring_job_fires_each_occurrence_up_to_repeats() -> None:
    mesh = SidecarMesh()
    a = Service().on("/job/tick", {})
    mesh.add("a", a.app)
    async with mesh.client("a") as c:
        body = {"schedule": "@every 1m", "repeats": 3, "data": "t"}
        assert (await c.post("/v1.0-alpha1/jobs/tick", json=body)).status_code == 204
    fired = await mesh.fire_due_jobs(dt.timedelta(minutes=2, seconds=30))
    assert len(fired) == 2
    assert fired[1].due - fired[0].due == dt.timedelta(minutes=1)
    fired = await mesh.fire_due_jobs(dt.timedelta(hours=1))
    assert len(fired) == 1  # repeats reached, then deleted
    assert mesh["a"].jobs.jobs == {}


async def test_job_scheduled_by_a_job_counts_from_the_scheduler_clock() -> None:
    """The scheduler clock moves to each occurrence, so a relative dueTime set from a callback counts from there."""
    mesh = SidecarMesh()
    svc = Service().on("/job/second", {})

    async def first(request: Request) -> Response:
        async with mesh.client("a") as c:
            r = await c.post("/v1.0-alpha1/jobs/second", json={"dueTime": "10s", "data": {}})
        return Response(status_code=r.status_code)

    svc.app.add_api_route("/job/first", first, methods=["POST"])
    mesh.add("a", svc.app)
    async with mesh.client("a") as c:
        assert (await c.post("/v1.0-alpha1/jobs/first", json={"dueTime": "5s", "data": {}})).status_code == 204
    start = mesh.now()
    fired = await mesh.fire_due_jobs(start + dt.timedelta(seconds=12))
    assert [(f.name, f.trigger.status) for f in fired] == [("first", 204)]
    scheduled_at = mesh["a"].jobs.jobs["second"].timing.scheduled_at
    assert scheduled_at is not None
    assert scheduled_at - fired[0].due < dt.timedelta(seconds=1)  # at the occurrence's time, not the real one
    (second,) = await mesh.fire_due_jobs(start + dt.timedelta(seconds=16))
    assert second.name == "second"


class FlakyJobApp(Service):
    """Answers ``/job/{name}`` with the scripted statuses, then 200."""

    def __init__(self, name: str, *statuses: int) -> None:
        super().__init__()
        self.statuses = deque(statuses)

        async def handler(request: Request) -> Response:
            self.received.append((request.url.path, dict(request.headers), await request.json()))
            return Response(status_code=self.statuses.popleft() if self.statuses else 200)

        self.app.add_api_route(f"/job/{name}", handler, methods=["POST"])


@pytest.mark.parametrize(
    ("policy", "statuses", "deliveries", "outcomes"),
    [
        (None, (500,), [0.0, 1.0], ["failed", "success"]),  # no policy: retried about 1s later
        (None, (500,) * 9, [0.0, 1.0, 2.0, 3.0], ["failed"] * 4),  # no policy: 4 deliveries at most
        ({"drop": {}}, (500,), [0.0], ["failed"]),
        ({"constant": {"interval": "5s", "maxRetries": 1}}, (503, 503), [0.0, 5.0], ["failed"] * 2),
        ({}, (404,), [0.0], ["not_found"]),  # 404: done, not retried (§9.4)
    ],
)
async def test_failed_job_delivery_follows_the_failure_policy(
    policy: dict[str, Any] | None, statuses: tuple[int, ...], deliveries: list[float], outcomes: list[str]
) -> None:
    """§9.1 failurePolicy, §9.4 answers; the job is deleted once nothing is left to deliver."""
    mesh = SidecarMesh()
    mesh.add("a", FlakyJobApp("once", *statuses).app)
    body: dict[str, Any] = {"dueTime": "2s", "data": {}}
    if policy is not None:
        body["failurePolicy"] = policy
    async with mesh.client("a") as c:
        assert (await c.post("/v1.0-alpha1/jobs/once", json=body)).status_code == 204
    fired = await mesh.fire_due_jobs(dt.timedelta(minutes=1))
    assert [(f.due - fired[0].due).total_seconds() for f in fired] == deliveries
    assert [f.trigger.outcome for f in fired] == outcomes
    assert [f.retry for f in fired] == [False] + [True] * (len(fired) - 1)
    assert mesh["a"].jobs.jobs == {}


async def test_retrying_for_ever_hits_the_limit() -> None:
    mesh = SidecarMesh()
    mesh.add("a", FlakyJobApp("j", *(500,) * 100).app)
    async with mesh.client("a") as c:
        body = {"dueTime": "1s", "data": 1, "failurePolicy": {"constant": {"interval": "1s"}}}
        assert (await c.post("/v1.0-alpha1/jobs/j", json=body)).status_code == 204
    with pytest.raises(SchedulerLoopError, match=r"more than 10 deliveries due by .* \(a/j\)"):
        await mesh.fire_due_jobs(dt.timedelta(hours=1), limit=10)


def test_cron_next_after() -> None:
    """§9.1: 6-field cron, seconds first; macros; day-of-month OR day-of-week when both are set."""
    t = dt.datetime(2026, 1, 1, 10, 15, 7, tzinfo=dt.UTC)  # a Thursday
    assert Cron.parse("0 30 * * * *").next_after(t) == t.replace(minute=30, second=0)
    assert Cron.parse("*/20 * * * * *").next_after(t) == t.replace(second=20)
    assert Cron.parse("@daily").next_after(t) == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    assert Cron.parse("0 0 9 * * MON").next_after(t) == dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    assert Cron.parse("0 0 0 15 * SAT").next_after(t) == dt.datetime(2026, 1, 3, tzinfo=dt.UTC)
    assert Cron.parse("0 0 12 * JUL WED").next_after(t) == dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)
    for unsupported in ("0 0 0 L * *", "0 0 0 * * 5#3", "*/0 * * * * *", "0 0 0 * *"):
        with pytest.raises(ScheduleError):
            Cron.parse(unsupported)


async def test_state_is_shared_with_app_id_prefixes() -> None:
    """§2: one store, keys `<appId>||<key>`; ETags intact; a `keyPrefix: none` store is shared between apps."""
    mesh = SidecarMesh(state_stores={"statestore": StateStoreOptions(), "shared": StateStoreOptions(key_prefix="none")})
    mesh.add("a")
    mesh.add("b")
    async with mesh.client("a") as a, mesh.client("b") as b:
        assert (await a.post("/v1.0/state/statestore", json=[{"key": "k", "value": {"v": 1}}])).status_code == 204
        r = await a.get("/v1.0/state/statestore/k")
        assert (r.json(), r.headers["etag"]) == ({"v": 1}, "1")
        ok = [{"key": "k", "value": {"v": 2}, "etag": "1"}]
        assert (await a.post("/v1.0/state/statestore", json=ok)).status_code == 204
        assert (await a.post("/v1.0/state/statestore", json=ok)).status_code == 409  # stale ETag
        assert (await b.get("/v1.0/state/statestore/k")).status_code == 204  # B's key is b||k
        assert (await b.post("/v1.0/state/statestore", json=[{"key": "k", "value": "b"}])).status_code == 204
        assert (await a.post("/v1.0/state/shared", json=[{"key": "k", "value": "both"}])).status_code == 204
        assert (await b.get("/v1.0/state/shared/k")).json() == "both"
    assert sorted(mesh.state_stores["statestore"].items) == ["a||k", "b||k"]
    item = mesh.get_state("a", "statestore", "k")
    assert item is not None
    assert (item.json(), item.etag) == ({"v": 2}, "2")


async def test_component_scopes() -> None:
    """§13 scopes: an app outside a component's scopes does not load it (no state store, no pub/sub)."""
    mesh = SidecarMesh(
        state_stores=("state-postgresql",), pubsubs=("pubsub-kafka",),
        scopes={"state-postgresql": ["task-api"], "pubsub-kafka": ["task-api"]},
    )  # fmt: skip
    notification = Service([{"pubsubname": "pubsub-kafka", "topic": "tasks", "route": "/tasks"}]).on("/tasks")
    mesh.add("task-api")
    mesh.add("notification", notification.app)
    async with mesh.client("task-api") as api, mesh.client("notification") as other:
        assert (await api.post("/v1.0/state/state-postgresql", json=[{"key": "k", "value": 1}])).status_code == 204
        r = await other.get("/v1.0/state/state-postgresql/k")
        assert (r.status_code, r.json()["errorCode"]) == (500, "ERR_STATE_STORE_NOT_CONFIGURED")
        r = await other.post("/v1.0/publish/pubsub-kafka/tasks", json={})
        assert (r.status_code, r.json()["errorCode"]) == (404, "ERR_PUBSUB_NOT_FOUND")
        assert (await api.post("/v1.0/publish/pubsub-kafka/tasks", json={})).status_code == 204
    assert await mesh.deliver_pending() == []
    assert notification.received == []


async def test_deliver_pending_stops_a_publish_loop() -> None:
    """Two subscribers answering each other for ever: a clear error after max_rounds, not a hang."""
    mesh = SidecarMesh()

    def echo(app_id: str, listen: str, reply: str) -> FastAPI:
        svc = Service([sub(listen, f"/{listen}")])

        async def handler(request: Request) -> Response:
            await publish(mesh, app_id, reply, {"from": app_id})
            return JSONResponse(SUCCESS)

        svc.app.add_api_route(f"/{listen}", handler, methods=["POST"])
        return svc.app

    mesh.add("a", echo("a", "ping", "pong"))
    mesh.add("b", echo("b", "pong", "ping"))
    await publish(mesh, "a", "ping", {"start": True})
    with pytest.raises(DeliveryLoopError, match=r"after 5 rounds .*queued: pubsub/p[io]ng"):
        await mesh.deliver_pending(max_rounds=5)
    assert len(mesh.published) == 11  # the first publish plus two echoes per round


async def test_mesh_refuses_duplicate_ids_and_shared_options() -> None:
    mesh = SidecarMesh()
    mesh.add("a")
    with pytest.raises(ValueError, match="already"):
        mesh.add("a")
    with pytest.raises(TypeError, match="pubsubs"):
        mesh.add("b", pubsubs=("other",))
