"""`dapr-coder run DIR`: every app of a generated project in its own process, each with the sidecar double served
over HTTP on its Dapr port, the doubles sharing one broker, the state stores, a scheduler on the real clock and
invocation by app id (tools/standin/mesh.py). A stand-in for `dapr run -f .`, not the Dapr runtime.

A pump moves the flow along as daprd 1.18.3 would: each app's subscriptions are read once it answers its liveness
route (`GET /dapr/subscribe`, as daprd does at start), queued messages are delivered with the runtime's SUCCESS /
RETRY / DROP rules, retries paced by the app's inbound resiliency policy (resources/*/resiliency.yaml), as many
deliveries at once as the broker's component gives (Redis: `concurrency`; Kafka: one per partition) and dead-letter
topics (references/dapr-contract.md §12.4); jobs fire at their due time with their failure policy, cron input
bindings post to their routes at their schedule (tools/standin/input_feed.py), Kafka input bindings read in-memory
Kafka topics as their consumer groups (tools/standin/kafka_feed.py), and an app with a generated
Configuration (resources/kubernetes/<app>-config.yaml) has its access control applied to the invocations it gets
from the other apps (tools/standin/acl.py).

Not modelled, where daprd differs: a message cut by an app's stop is queued again at once (daprd: Redis reclaims
it once idle for processingTimeout, Kafka hands it over again from the last commit); a sidecar does not retry a
publish while the broker is down; the broker does not hand a bulk subscription's RETRY entries over again; and
daprd's built-in default resiliency policies do not apply (only the ones in resiliency.yaml do).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import os
import signal
import socket
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx

from skill.specs.bindings import KafkaBinding, KafkaSource
from tools.standin import acl, input_feed, resiliency
from tools.standin.bindings import BindingHandler, BindingInvocation, BindingResult
from tools.standin.core import ASGIApp
from tools.standin.delivery import TIMED_OUT, DeliveryResult
from tools.standin.flow import FlowLog, binding_answers
from tools.standin.http_app import HttpApp
from tools.standin.input_feed import CronBinding, CronFeed
from tools.standin.kafka_feed import InitialOffset, KafkaConsumer, KafkaFeed, KafkaLog, KafkaRecord, handled
from tools.standin.mesh import SidecarMesh
from tools.standin.page import FlowPage
from tools.standin.processes import AppProcess, Console, start_app, stop_all
from tools.standin.project import AppPlan, RunError, RunPlan
from tools.standin.pubsub import PublishedMessage
from tools.standin.resiliency import (
    NO_REDELIVERY,
    NO_RETRY,
    Redelivery,
    RetryPolicy,
    component_metadata,
    inbound_policy,
    outbound_app_policies,
    pubsub_component,
)  # fmt: skip
from tools.standin.scheduler import SchedulerLoopError
from tools.standin.server import serve_double
from tools.standin.state_store import StateStoreOptions
from tools.standin.subscriptions import Subscription

__all__ = ["RunOptions", "Running", "run"]

Interpreter = Literal["uv", "current"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class RunOptions:
    """`interpreter`: `uv` runs each app with `uv run` in its folder (its own pinned environment, what `dapr run -f .`
    runs from dapr.yaml; uv's cache is shared); `current` runs it with this Python (it must have the apps' deps)."""

    interpreter: Interpreter = "uv"
    page: bool = True
    page_port: int = 0
    ready_timeout: float = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _mesh(plan: RunPlan, extra_apps: tuple[str, ...] = ()) -> SidecarMesh:
    """The sidecars' shared parts. Each app's inbound retry policy comes from the Resiliency resources of
    `plan.resources` (tools/standin/resiliency.py); `extra_apps` load the pub/sub too (a test's observer)."""
    stores = {}
    scopes: dict[str, list[str]] = {}
    if plan.state_store is not None:
        stores[plan.state_store] = StateStoreOptions(profile=plan.state_profile)
        scopes[plan.state_store] = [a.app_id for a in plan.apps if plan.loads(a, "state")]
    pubsubs: tuple[str, ...] = ()
    retry = {}
    if plan.pubsub is not None:
        pubsubs = (plan.pubsub,)
        scopes[plan.pubsub] = [a.app_id for a in plan.apps if plan.loads(a, "pubsub")] + list(extra_apps)
        if plan.resources is not None:
            retry = {a: inbound_policy(plan.resources, plan.pubsub, a) for a in scopes[plan.pubsub]}
    return SidecarMesh(
        state_stores=stores, pubsubs=pubsubs, max_delivery_attempts=plan.delivery_attempts,
        dead_letter_on_retry_exhausted=True, scopes=scopes, inbound_retry=retry,
    )  # fmt: skip


def _paces(plan: RunPlan, app_ids: list[str]) -> dict[str, Pace]:
    """Each app's Pace from the pub/sub component it loads (pubsub.kafka: serial per partition key)."""
    found = pubsub_component(plan.resources, plan.pubsub) if plan.resources and plan.pubsub else None
    if found is None:
        return {}
    if found.type == "pubsub.kafka":
        pace = Pace(concurrency=1, per_key=True, redelivery=found.redelivery, broker=found.type)
    else:
        pace = Pace(concurrency=found.concurrency, redelivery=found.redelivery, broker=found.type)
    return dict.fromkeys(app_ids, pace)


def _kafka_writer(log: KafkaLog, topic: str) -> BindingHandler:
    """A bindings.kafka output component: `create` writes the data to its `publishTopic` (components-contrib
    bindings/kafka/kafka.go `Invoke`: no response, daprd answers 204)."""

    async def write(invocation: BindingInvocation) -> BindingResult | None:
        log.append(topic, invocation.data, invocation.metadata)
        return None

    return write


def kafka_pubsub(plan: RunPlan) -> bool:
    """Whether the project's pub/sub component is pubsub.kafka (its topics are then Kafka topics too)."""
    found = pubsub_component(plan.resources, plan.pubsub) if plan.resources and plan.pubsub else None
    return found is not None and found.type == "pubsub.kafka"


def connect_kafka(mesh: SidecarMesh, plan: RunPlan, log: KafkaLog) -> None:
    """With a Kafka pub/sub, each message published (dead letters too) is written to the Kafka topic of that name,
    as pubsub.kafka's `Publish` does (the CloudEvent or raw payload as the value, the metadata as headers)."""
    if kafka_pubsub(plan):
        pubsub = plan.pubsub

        def write(msg: PublishedMessage) -> None:
            if msg.pubsub == pubsub:
                log.append(msg.topic, msg.data, msg.metadata)

        mesh.broker.taps.append(write)


def add_apps(
    mesh: SidecarMesh, plan: RunPlan, wrap: Callable[[str, ASGIApp], ASGIApp] | None = None,
    kafka: KafkaLog | None = None,
) -> list[HttpApp]:  # fmt: skip
    """A sidecar for each app of `plan`, calling the app over HTTP on its port (`wrap` may put something between
    the sidecar and the app, a test's request counter); answers the forwarders, to be closed at the end. With
    `kafka`, the apps' Kafka output bindings write to that log."""
    forwarders = []
    for app in plan.apps:
        outputs: dict[str, BindingHandler | None] = {}
        for b in app.spec.output_bindings:
            outputs[b.name] = None
            if kafka is not None and isinstance(b, KafkaBinding):
                outputs[b.name] = _kafka_writer(kafka, b.topic)
        forwarder = HttpApp(f"http://127.0.0.1:{app.port}")
        forwarders.append(forwarder)
        secrets = {plan.secret_store: plan.secrets} if plan.secret_store and plan.loads(app, "secrets") else {}
        mesh.add(
            app.app_id, forwarder if wrap is None else wrap(app.app_id, forwarder),
            app_api_token=app.env.get("APP_API_TOKEN") or None,
            api_token=app.env.get("DAPR_API_TOKEN") or None, secret_stores=secrets,
            bindings=outputs, lock_stores=(), configuration_stores={},
            outbound_retry=outbound_app_policies(plan.resources, app.app_id) if plan.resources else None,
        )  # fmt: skip
    return forwarders


def _command(app: AppPlan, interpreter: Interpreter) -> list[str]:
    serve = ["uvicorn", app.asgi_app, "--host", "127.0.0.1", "--port", str(app.port)]
    return ["uv", "run", *serve] if interpreter == "uv" else [sys.executable, "-m", *serve]


def _env(app: AppPlan, dapr_port: int, interpreter: Interpreter) -> dict[str, str]:
    env = dict(os.environ)
    if interpreter == "uv":
        env.pop("VIRTUAL_ENV", None)  # the app's folder has its own environment; uv would warn about ours
    env |= app.env
    env |= {"APP_ID": app.app_id, "APP_PORT": str(app.port), "DAPR_HTTP_PORT": str(dapr_port), "PYTHONUNBUFFERED": "1"}
    env.pop("DAPR_HTTP_ENDPOINT", None)  # it would win over DAPR_HTTP_PORT
    return env


@dataclass(frozen=True)
class Pace:
    """How one app's sidecar takes messages from its pub/sub component, as daprd's component does:
    `concurrency` deliveries at once for all its subscriptions (pubsub.redis: `concurrency` workers, 10 by default,
    components-contrib pubsub/redis), or, with `per_key`, one at a time per partition (pubsub.kafka consumes a
    partition serially; a message's partition follows its `partitionKey`, and messages without one share a lane,
    as on a topic of one partition, Kafka's default for an auto-created topic). `redelivery`: what the component
    does with a message daprd gives back with an error (tools/standin/resiliency.py Redelivery); `broker` names it
    in the log."""

    concurrency: int = 10
    per_key: bool = False
    redelivery: Redelivery = NO_REDELIVERY
    broker: str = "the pub/sub component"


_Lane = tuple[str, str, str]  # pubsub, topic, partition key


@dataclass(eq=False)
class _Reclaim:
    """A message in pubsub.redis's pending list: claimed again at `due` (loop time) unless acknowledged first;
    `number` is the redelivery it would be."""

    due: float
    app_id: str
    msg: PublishedMessage
    number: int


class Pump:
    """Delivers queued messages to the apps that are up and fires due jobs, logging each step.

    Each delivery runs as a task of its own (its retries are paced by the app's inbound resiliency policy), as
    many at once per app as its Pace allows; `settle()` waits until nothing is queued or in flight."""

    def __init__(
        self, mesh: SidecarMesh, flow: FlowLog, console: Console, pace: dict[str, Pace] | None = None, *,
        kafka: KafkaFeed | None = None, resources: Path | None = None,
    ) -> None:  # fmt: skip
        """`kafka`: the Kafka topics and consumer groups its Kafka input bindings read; `resources`: the Dapr
        resources folder whose Resiliency gives each input binding's inbound retry policy (none: no retries)."""
        self.mesh, self.flow, self.console = mesh, flow, console
        self.pace = pace or {}
        self.ready: list[str] = []
        self.inflight: dict[asyncio.Task[list[DeliveryResult]], tuple[str, list[PublishedMessage], _Lane]] = {}
        self.cron = CronFeed()
        self.kafka = kafka if kafka is not None else KafkaFeed()
        self.resources = resources
        self.kafka_inflight: dict[asyncio.Task[None], tuple[KafkaConsumer, KafkaRecord]] = {}
        self.cron_inflight: dict[asyncio.Task[None], str] = {}  # a tick being posted (with its retries) -> app id
        # pubsub.redis's pending entries: each message handed over until it is acknowledged, claimed again when due.
        self.reclaims: list[_Reclaim] = []
        # a reclaimed message queued again, by (app id, id()): the message (held, so its id() is not reused while
        # the entry lives) and the redelivery number its next hand-over is
        self.redelivered: dict[tuple[str, int], tuple[PublishedMessage, int]] = {}
        self.up_at: dict[str, float] = {}  # when each app's subscriptions started (the reclaim loop's first tick)

    def up(self, app: AppPlan) -> None:
        """`app` answers: deliveries start, its cron input bindings tick from now and its Kafka input bindings
        join their consumer groups."""
        self.ready.append(app.app_id)
        self.up_at[app.app_id] = asyncio.get_running_loop().time()
        now = input_feed.local_now()
        for c in app.spec.input_binding_components():
            if c.source.kind == "cron":
                self.cron.add(app.app_id, c.name, c.route, c.source.schedule, now)
            elif isinstance(c.source, KafkaSource):
                self.kafka.join(self._kafka_consumer(app, c.name, c.route, c.source))

    def _kafka_consumer(self, app: AppPlan, name: str, route: str, source: KafkaSource) -> KafkaConsumer:
        """The binding as its generated component says (`topics`, `consumerGroup`, `initialOffset`: components-contrib
        defaults to newest), read from `resources` when there is one; else as the generator writes it."""
        found = component_metadata(self.resources, name) if self.resources is not None else None
        if found is not None and found[0] == "bindings.kafka":
            items = found[1]
            topics = tuple(t for t in items.get("topics", "").split(",") if t)
            group = items.get("consumerGroup") or app.app_id
            offset: InitialOffset = "oldest" if items.get("initialOffset") == "oldest" else "newest"
            route = items.get("route") or route
        else:
            topics, group, offset = tuple(source.topics), source.consumer_group or app.app_id, _initial_offset(app)
        return KafkaConsumer(app.app_id, name, route, group, topics, offset, self._binding_policy(app.app_id, name))

    def _binding_policy(self, app_id: str, binding: str) -> RetryPolicy:
        """daprd's inbound policy for the binding (`ComponentInboundPolicy(name, Binding)`), from the Resiliency."""
        return inbound_policy(self.resources, binding, app_id) if self.resources is not None else NO_RETRY

    def down(self, app_id: str) -> None:
        if app_id in self.ready:
            self.ready.remove(app_id)
        self.cron.remove_app(app_id)
        self.kafka.leave(app_id)
        for tick, ticking in list(self.cron_inflight.items()):
            if ticking == app_id:
                tick.cancel()
        for task, (consumer, _) in list(self.kafka_inflight.items()):
            if consumer.app_id == app_id:
                task.cancel()  # not marked: the group reads it again from its committed offset

    async def _feed_kafka(self, consumer: KafkaConsumer, record: KafkaRecord) -> None:
        """Post one record to the binding's route as daprd does (its inbound policy retries what is not 200), mark
        it when handled, and log it."""
        statuses, error = await self._post_binding(
            consumer.app_id, consumer.name, record.value, record.metadata(), consumer.route, consumer.policy
        )
        ok = handled(statuses[-1])
        if ok:
            self.kafka.mark(consumer, record)
        self._print([self.flow.add(
            "kafka_binding", app=consumer.app_id, name=consumer.name, route=consumer.route, topic=record.topic,
            offset=record.offset, key=record.key, group=consumer.group, statuses=statuses, committed=ok, error=error,
            body=record.value.decode("utf-8", "replace")[:200],
        )])  # fmt: skip

    async def _post_binding(
        self, app_id: str, name: str, body: bytes, metadata: Mapping[str, str], route: str, policy: RetryPolicy
    ) -> tuple[list[int | None], str]:
        """One input binding event posted as daprd's `sendBindingEventToApp` does: an answer other than 200 is
        retried under the binding's inbound policy when its `matching` takes the status (a transport error always);
        answers each attempt's status (None: no answer) and the last transport error."""
        double = self.mesh[app_id]
        statuses: list[int | None] = []
        error = ""
        for attempt in range(policy.attempts):
            if attempt:
                await asyncio.sleep(policy.delay(attempt))
            try:
                send = double.send_input_binding_event(name, body, metadata, route=route.lstrip("/"), direction="input")
                # The binding's inbound `timeout` cuts the attempt (its context cancelled): an error, retried.
                delivery = await resiliency.attempt(send, policy)
                statuses.append(None if delivery is None else delivery.status)
                if delivery is None:
                    error = f"{resiliency.DEADLINE_EXCEEDED} (the binding's inbound timeout)"
            except Exception as exc:  # the app did not answer: an error for the binding, as daprd's app channel gives
                statuses.append(None)
                error = f"{type(exc).__name__}: {exc}"
            status = statuses[-1]
            if status == 200 or (status is not None and not policy.retries_status(status)):
                break
        return statuses, error

    def _kafka_done(self, task: asyncio.Task[None]) -> None:
        consumer, _ = self.kafka_inflight.pop(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self.console.standin(f"stand-in error feeding {consumer.name} of {consumer.app_id}: {exc!r}")

    def feed_kafka(self) -> int:
        """Start the next record of each topic each Kafka input binding reads, one at a time per topic (a partition
        is consumed serially); answers how many were started."""
        busy = {(c.app_id, c.name, r.topic) for c, r in self.kafka_inflight.values()}
        started = 0
        for consumer in list(self.kafka.consumers):
            if consumer.app_id not in self.ready:
                continue
            for topic in consumer.topics:
                if (consumer.app_id, consumer.name, topic) in busy:
                    continue
                record = self.kafka.take(consumer, topic)
                if record is None:
                    continue
                task = asyncio.create_task(self._feed_kafka(consumer, record))
                self.kafka_inflight[task] = (consumer, record)
                task.add_done_callback(self._kafka_done)
                started += 1
        return started

    async def fire_cron(self) -> int:
        """Each cron input binding whose time has come posts to its route, as bindings.cron does under daprd."""
        fired = 0
        for binding in list(self.cron.due(input_feed.local_now())):
            tick = asyncio.create_task(self._tick(binding))
            self.cron_inflight[tick] = binding.app_id
            tick.add_done_callback(self._tick_done)
            fired += 1
        return fired

    async def _tick(self, binding: CronBinding) -> None:
        """One tick posted to its route, retried under the binding's inbound policy, then logged."""
        statuses, error = await self._post_binding(
            binding.app_id, binding.name, b"", input_feed.metadata(dt.datetime.now(dt.UTC)), binding.route,
            self._binding_policy(binding.app_id, binding.name),
        )  # fmt: skip
        self._print([self.flow.add("input_binding", app=binding.app_id, name=binding.name, route=binding.route,
                                   status=statuses[-1], statuses=statuses, error=error)])  # fmt: skip

    def _tick_done(self, task: asyncio.Task[None]) -> None:
        app_id = self.cron_inflight.pop(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self.console.standin(f"stand-in error posting a cron tick to {app_id}: {exc!r}")

    def _subscribed(self, app_id: str) -> set[tuple[str, str]]:
        double = self.mesh[app_id]
        return {(s.pubsubname, s.topic) for s in double.subscriptions or [] if s.pubsubname in double.pubsub.pubsubs}

    def backlog(self) -> int:
        """Messages queued for a subscription of an app that is up, or being delivered."""
        queued = sum(len(self.mesh[a].broker.queues.get(t, ())) for a in self.ready for t in self._subscribed(a))
        kafka = self.kafka.pending() + len(self.kafka_inflight) + len(self.cron_inflight)
        # A message being handled is pending too: count it once.
        handled = {id(m) for _, batch, _ in self.inflight.values() for m in batch}
        pending = sum(1 for r in self.reclaims if r.app_id in self.ready and id(r.msg) not in handled)
        return queued + kafka + pending + sum(len(batch) for _, batch, _ in self.inflight.values())

    async def settle(self, within: float = 120.0, quiet: float = 0.3) -> None:
        """Until nothing is queued for an app that is up and no delivery is in flight, for `quiet` seconds in a row
        (a delivery's handler may publish again); TimeoutError after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        calm_since: float | None = None
        while loop.time() < deadline:
            if self.backlog() or self.mesh.broker.outage.active():
                calm_since = None
            elif calm_since is None:
                calm_since = loop.time()
            elif loop.time() - calm_since >= quiet:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"the flow did not settle within {within:.0f} s ({self.backlog()} messages left)")

    def _busy(self, app_id: str) -> list[_Lane]:
        return [lane for app, _, lane in self.inflight.values() if app == app_id]

    def _start(self, app_id: str, lane: _Lane, batch: list[PublishedMessage], work: Any) -> None:
        task: asyncio.Task[list[DeliveryResult]] = asyncio.create_task(work)
        self.inflight[task] = (app_id, batch, lane)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[list[DeliveryResult]]) -> None:
        app_id, _, _ = self.inflight.pop(task)
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            self.console.standin(f"stand-in error in a delivery to {app_id}: {type(exc).__name__}: {exc}")
            return
        self._print(self.flow.sync(self.mesh))
        self._print(self.flow.deliveries(app_id, task.result()))

    async def _one(self, app_id: str, msg: PublishedMessage, sub: Subscription) -> list[DeliveryResult]:
        """One message handed to daprd's handler; when daprd gives it back with an error, the component does what
        its Redelivery says: pubsub.kafka hands it over again on this lane (the partition waits); pubsub.redis
        keeps it pending from the hand-over (claimed again once idle for processingTimeout, even while it is being
        handled, as seen on daprd: references/dapr-contract.md §18.11) until it acknowledges it."""
        pace = self.pace.get(app_id, Pace())
        deliverer = self.mesh[app_id].deliverer
        loop = asyncio.get_running_loop()
        handed = loop.time()
        number = self.redelivered.pop((app_id, id(msg)), (msg, 0))[1]
        pending = self._pending(app_id, msg, pace, handed, number)
        result = await self._deliver(deliverer.deliver_one(msg, sub), number)
        backoff = pace.redelivery.backoff
        while _returned(result) and backoff is not None and number < backoff.attempts - 1:
            number += 1
            delay = backoff.delay(number)
            result.returned = f"{pace.broker} hands it over again in {delay:g}s (consumeRetryEnabled, backOff)"
            self._print(self.flow.deliveries(app_id, [result]))  # each round shows as it ends
            await asyncio.sleep(delay)
            result = await self._deliver(deliverer.deliver_one(msg, sub), number)
        handled_for = loop.time() - handed
        if pending is not None:
            result.returned = self._settle_pending(pending, pace, returned=_returned(result), handled_for=handled_for)
        elif _returned(result) and backoff is not None:
            result.returned = f"{pace.broker} gave up its retries: left unmarked, the next message follows"
        return [result]

    @staticmethod
    async def _deliver(work: Awaitable[DeliveryResult], number: int) -> DeliveryResult:
        result = await work
        result.redelivery = number
        return result

    def _pending(self, app_id: str, msg: PublishedMessage, pace: Pace, handed: float, number: int) -> _Reclaim | None:
        """pubsub.redis's pending entry for a message handed over now: due at the first reclaim tick (every
        redeliverInterval since the subscription started) at which it has been idle for processingTimeout; None
        for a component that does not reclaim."""
        redelivery = pace.redelivery
        if not redelivery.reclaims(float("inf")):
            return None
        origin = self.up_at.get(app_id, handed)
        ticks = max(0, math.ceil((handed + redelivery.processing_timeout - origin) / redelivery.redeliver_interval))
        entry = _Reclaim(origin + ticks * redelivery.redeliver_interval, app_id, msg, number + 1)
        self.reclaims.append(entry)
        return entry

    def _settle_pending(self, entry: _Reclaim, pace: Pace, *, returned: bool, handled_for: float) -> str:
        """The handling ended: pubsub.redis acknowledges the message (its entry goes) unless daprd gave it back
        with an error after processingTimeout; answers the note shown with the delivery."""
        claimed = entry not in self.reclaims  # already handed over again while this handling ran
        kept = returned and pace.redelivery.reclaims(handled_for)
        if not kept and not claimed:
            self.reclaims.remove(entry)
        if claimed:
            return f"{pace.broker} had claimed it again while it was handled (idle for processingTimeout)"
        if kept:
            wait = max(0.0, entry.due - asyncio.get_running_loop().time())
            return f"{pace.broker} left it pending (handled for {handled_for:.1f}s): claimed again in {wait:.1f}s"
        if returned:
            return f"{pace.broker} acknowledged it (the error came back within processingTimeout)"
        return ""

    def _requeue_reclaimed(self) -> None:
        """Messages whose reclaim tick has come go back to the front of their app's queue."""
        now = asyncio.get_running_loop().time()
        for entry in [r for r in self.reclaims if r.due <= now and r.app_id in self.ready]:
            self.reclaims.remove(entry)
            self.redelivered[(entry.app_id, id(entry.msg))] = (entry.msg, entry.number)
            queue = self.mesh[entry.app_id].broker.queues.setdefault((entry.msg.pubsub, entry.msg.topic), deque())
            queue.appendleft(entry.msg)

    def _dispatch(self, app_id: str) -> int:
        """Start what the app's pace allows; answers how many messages were taken."""
        double = self.mesh[app_id]
        pace = self.pace.get(app_id, Pace())
        busy = self._busy(app_id)
        free = max(0, pace.concurrency - len(busy)) if not pace.per_key else None
        taken = 0
        for sub in double.subscriptions or []:
            if sub.pubsubname not in double.pubsub.pubsubs:
                continue  # daprd ignores subscriptions to a pub/sub the app does not load
            queue = double.broker.queues.get((sub.pubsubname, sub.topic))
            if not queue:
                continue
            if sub.bulk.enabled:  # one bulk batch in flight per subscription
                lane = (sub.pubsubname, sub.topic, "*bulk*")
                if lane not in busy and (free is None or free > 0):
                    size = sub.bulk.max_messages_count or 100
                    batch = [queue.popleft() for _ in range(min(size, len(queue)))]
                    self._start(app_id, lane, batch, double.deliverer.deliver_bulk(batch, sub))
                    busy.append(lane)
                    taken += len(batch)
                    free = None if free is None else free - 1
                continue
            kept: list[PublishedMessage] = []
            while queue:
                msg = queue.popleft()
                key = str(msg.metadata.get("partitionKey", "")) if pace.per_key else ""
                lane = (sub.pubsubname, sub.topic, key)
                if (pace.per_key and lane in busy) or (free is not None and free <= 0):
                    kept.append(msg)  # its partition (or every worker) is busy: it keeps its place
                    continue
                self._start(app_id, lane, [msg], self._one(app_id, msg, sub))
                busy.append(lane)
                taken += 1
                free = None if free is None else free - 1
            queue.extendleft(reversed(kept))
        return taken

    async def step(self) -> int:
        self._print(self.flow.sync(self.mesh))
        moved = 0
        if not self.mesh.broker.outage.active():  # a broker that is down delivers nothing
            self._requeue_reclaimed()
            for app_id in list(self.ready):
                double = self.mesh[app_id]
                wanted = self._subscribed(app_id)
                for topic, queue in double.broker.queues.items():
                    if topic not in wanted:
                        for msg in queue:  # an app consumes only what it subscribed to; the rest is not kept for it
                            self.redelivered.pop((app_id, id(msg)), None)
                        queue.clear()
                moved += self._dispatch(app_id)
        try:
            fired = await self.mesh.fire_due_jobs()
        except SchedulerLoopError as exc:
            self.console.standin(f"scheduler: {exc}")
            fired = []
        self._print(self.flow.sync(self.mesh))
        self._print(self.flow.fired(fired))
        return moved + len(fired) + await self.fire_cron() + self.feed_kafka()

    async def halt(self, app_id: str) -> None:
        """The app stops: its deliveries in flight are cut, and their messages queued again at the front (the
        broker gives them to the consumer group again: Redis once they are reclaimed, Kafka from the last commit)."""
        if app_id in self.ready:
            self.ready.remove(app_id)
        cut = [(t, batch, lane) for t, (a, batch, lane) in self.inflight.items() if a == app_id]
        for task, _, _ in cut:
            task.cancel()
        for task, _, _ in cut:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        queues = self.mesh[app_id].broker.queues
        again: set[int] = set()
        for _, batch, (pubsub, topic, _) in cut:
            queue = queues.setdefault((pubsub, topic), deque())
            # A message reclaimed while it was handled is in flight twice, or queued already: queue it once.
            queued = {id(m) for m in queue}
            fresh = [m for m in batch if id(m) not in again and id(m) not in queued]
            again.update(id(m) for m in batch)
            queue.extendleft(reversed(fresh))
        # Queued again at once (the stand-in's shortcut for the reclaim after the restart): no pending entry too.
        self.reclaims = [r for r in self.reclaims if r.app_id != app_id or id(r.msg) not in again]
        feeding = [t for t, (c, _) in self.kafka_inflight.items() if c.app_id == app_id]
        self.down(app_id)
        for feed in feeding:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feed

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                moved = await self.step()
            except Exception as exc:  # one bad answer must not stop the flow for every app
                self.console.standin(f"stand-in error (the flow goes on): {type(exc).__name__}: {exc}")
                moved = 0
            if not moved:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)
        for app_id in list(self.ready):
            await self.halt(app_id)

    def _print(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            line = _describe(e)
            if line:
                self.console.standin(line)


def _returned(result: DeliveryResult) -> bool:
    """Whether daprd gives the message back to the component with an error (pkg/runtime/subscription/
    subscription.go: retries spent, or a message that is not a CloudEvent, and no dead-letter topic)."""
    return result.outcome in ("retry_exhausted", "undeliverable")


def _describe(e: dict[str, Any]) -> str:
    kind = e["kind"]
    if kind == "publish":
        dead = f" (dead letter from {e['dead_lettered_from']})" if e["dead_lettered_from"] else ""
        return f"published {e['type'] or 'event'} {e['id']} on {e['pubsub']}/{e['topic']}{dead}"
    if kind == "delivery":
        again = f" (redelivery {e['redelivery']})" if e.get("redelivery") else ""
        statuses = ", ".join("timed out" if s == TIMED_OUT else str(s) for s in e["statuses"])
        line = f"{e['topic']} -> {e['app']} {e['route']}{again}: {e['answer']} (HTTP {statuses})"
        return line + (f"; {e['returned']}" if e.get("returned") else "")
    if kind == "job_fired":
        again = " (retry)" if e["retry"] else ""
        return f"job {e['name']} fired on {e['app']}{again}: HTTP {e['status']}"
    if kind == "job_scheduled":
        return f"job {e['name']} scheduled by {e['app']} ({e['due']}): HTTP {e['status']}"
    if kind == "job_deleted":
        return f"job {e['name']} deleted by {e['app']}: HTTP {e['status']}"
    if kind == "input_binding":
        return f"cron binding {e['name']} fired on {e['app']} {e['route']}: {binding_answers(e)}"
    if kind == "kafka_binding":
        where = f"{e['topic']} offset {e['offset']} -> {e['app']} {e['route']}"
        line = f"kafka binding {e['name']}: {where}: {binding_answers(e)}"
        return line if e["committed"] else line + " (not committed; the binding goes on to the next message)"
    if kind == "invoke":
        return f"{e['app']} invoked {e['target']} {e['method']} {e['path']}: HTTP {e['status']}"
    if kind == "binding":
        keys = ", ".join(f"{k}={v}" for k, v in e["metadata"].items())
        return f"{e['app']} called binding {e['name']} {e['operation']} ({keys}): HTTP {e['status']} {e['data']}"
    return ""


@dataclass
class Running:
    """What a smoke run or a test needs while everything is up."""

    plan: RunPlan
    mesh: SidecarMesh
    flow: FlowLog
    pump: Pump
    dapr_ports: dict[str, int]
    page_url: str | None


async def _wait_ready(app: AppPlan, process: AppProcess, running: Running, console: Console, limit: float) -> bool:
    url = f"http://127.0.0.1:{app.port}{app.liveness}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
        while loop.time() < deadline:
            if not process.running:
                console.standin(f"{app.app_id} exited with code {process.process.returncode} before answering {url}")
                running.flow.app(app.app_id, status="exited")
                return False
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(url)).status_code < 300:
                    break
            await asyncio.sleep(0.2)
        else:
            console.standin(f"{app.app_id} did not answer {url} within {limit:.0f}s")
            running.flow.app(app.app_id, status="not answering")
            return False
    double = running.mesh[app.app_id]
    subs = await double.load_subscriptions()
    topics = ", ".join(f"{s.pubsubname}/{s.topic}" for s in subs) or "nothing"
    if double.subscription_error:
        console.standin(f"{app.app_id}: GET /dapr/subscribe failed: {double.subscription_error}")
    console.standin(
        f"{app.app_id} is up on http://127.0.0.1:{app.port} (its Dapr stand-in: "
        f"http://127.0.0.1:{running.dapr_ports[app.app_id]}); subscribed to {topics}"
    )
    running.flow.app(app.app_id, status="up", topics=[s.topic for s in subs])
    running.pump.up(app)
    return True


async def _watch_exit(app: AppProcess, running: Running, stop: asyncio.Event, console: Console) -> None:
    """Say so when an app exits while the run goes on (dapr run keeps the others running too)."""
    code = await app.process.wait()
    if stop.is_set():
        return
    console.standin(f"{app.app_id} exited with code {code}; the other apps go on (Ctrl-C stops them)")
    running.flow.app(app.app_id, status="exited")
    running.pump.down(app.app_id)


Then = Callable[[Running], Awaitable[int]]


async def run(plan: RunPlan, options: RunOptions, console: Console, then: Then | None = None) -> int:
    """Start everything, run until SIGINT/SIGTERM (or until `then` returns its exit code), stop everything."""
    busy = [f"{a.port} ({a.app_id})" for a in plan.apps if _port_in_use(a.port)]
    if busy:
        raise RunError(f"app port {', '.join(busy)} is in use on 127.0.0.1: stop what listens there first")
    mesh = _mesh(plan)
    kafka = KafkaFeed()
    connect_kafka(mesh, plan, kafka.log)
    forwarders = add_apps(mesh, plan, kafka=kafka.log)
    for app in plan.apps:
        config = acl.config_file(plan.root, app.app_id)
        try:
            mesh[app.app_id].channel.access_control = acl.load(config)
        except acl.AccessControlError as exc:  # daprd would not start with it either
            raise RunError(f"{config}: {exc}") from exc
    flow = FlowLog()
    pump = Pump(mesh, flow, console, _paces(plan, [a.app_id for a in plan.apps]), kafka=kafka, resources=plan.resources)
    running = Running(plan, mesh, flow, pump, {a.app_id: _free_port() for a in plan.apps}, None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    processes: list[AppProcess] = []
    code = 0
    try:
        async with contextlib.AsyncExitStack() as stack:
            for app in plan.apps:
                await stack.enter_async_context(serve_double(mesh[app.app_id], port=running.dapr_ports[app.app_id]))
                flow.app(app.app_id, status="starting", port=app.port, dapr_port=running.dapr_ports[app.app_id])
            if options.page:
                page = await stack.enter_async_context(serve_double(FlowPage(running), port=options.page_port))
                running.page_url = page.base_url + "/"
            _banner(plan, options, running, console)
            for app in plan.apps:
                command = _command(app, options.interpreter)
                env = _env(app, running.dapr_ports[app.app_id], options.interpreter)
                try:
                    processes.append(await start_app(app.app_id, command, app.folder, env, console))
                except OSError as exc:
                    why = exc.strerror or exc
                    raise RunError(f"cannot start {app.app_id} ({' '.join(command[:2])}): {why}") from exc
            pumping = asyncio.create_task(running.pump.run(stop))
            watchers = [asyncio.create_task(_watch_exit(p, running, stop, console)) for p in processes]
            waits = [
                _wait_ready(app, proc, running, console, options.ready_timeout)
                for app, proc in zip(plan.apps, processes, strict=True)
            ]
            ready = await _until(stop, asyncio.gather(*waits))
            if then is not None:
                if ready is not None and all(ready):
                    result = await _until(stop, then(running))
                    code = 1 if result is None else result
                else:
                    console.standin("not every app came up: nothing was driven")
                    code = 1
                stop.set()
            await stop.wait()
            console.standin("stopping every app and stand-in")
            await stop_all(processes)
            await pumping
            for watcher in watchers:
                watcher.cancel()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if processes:
            await stop_all(processes, grace=2)
        for forwarder in forwarders:
            await forwarder.aclose()
    return code


async def _until(stop: asyncio.Event, work: Awaitable[_T]) -> _T | None:
    """`work`'s result, or None when `stop` is set first (the work is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return None


def _banner(plan: RunPlan, options: RunOptions, running: Running, console: Console) -> None:
    how = "uv run in each app's folder" if options.interpreter == "uv" else f"this Python ({sys.executable})"
    store = f"state store {plan.state_store} with {plan.state_profile}'s rules" if plan.state_store else "no store"
    console.standin(
        "This is a STAND-IN for Dapr, not the Dapr runtime: each app gets an in-memory double of its sidecar "
        f"(answering as daprd {running.mesh.dapr_version}: one broker, {store}, a scheduler on the real clock, "
        "invocation by app id, cron input bindings at their schedule, Kafka input bindings fed from in-memory "
        "topics). Nothing is kept after Ctrl-C. "
        f"The real thing: `dapr init` once, then `dapr run -f .` in {plan.root}."
    )
    guarded = [a.app_id for a in plan.apps if running.mesh[a.app_id].channel.access_control is not None]
    if guarded:
        console.standin(
            f"access control of {', '.join(guarded)} applied as on Kubernetes with mTLS (resources/kubernetes/"
            "<app>-config.yaml; each caller known by its app id, namespace default, trust domain public): "
            "`dapr run -f .` has no mTLS and loads no such Configuration, so there only the app's own "
            "dapr-caller-app-id check stands"
        )
    kafka = sorted({c.name for a in plan.apps for c in a.spec.input_binding_components() if c.source.kind == "kafka"})
    if kafka:
        writers = "Kafka output bindings" + (" and the Kafka pub/sub" if kafka_pubsub(plan) else "")
        console.standin(
            f"Kafka input bindings ({', '.join(kafka)}) read in-memory Kafka topics, one log per topic written by the "
            f"{writers}; each binding is its consumer group, starting at its initialOffset. To write to one "
            "yourself, call a Kafka output binding, or run the real thing"
        )
    console.standin(f"apps started with {how}; Ctrl-C stops everything")
    if running.page_url:
        console.standin(f"live page: {running.page_url}")


def _initial_offset(app: AppPlan) -> InitialOffset:
    """Where a Kafka input binding's new consumer group starts: the `initialOffset` the generator writes (the
    pub/sub's Kafka settings, 'oldest' by default)."""
    pubsub = app.spec.components_spec().pubsub
    return pubsub.kafka.initial_offset if pubsub is not None else "oldest"
