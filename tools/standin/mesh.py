"""Several sidecar doubles wired as one cluster, for multi-service end-to-end tests in one process.

Each app gets its own SidecarDouble (its app id, app, APP_API_TOKEN, request log, subscriptions, jobs); the mesh
makes them share what a cluster shares:

* one pub/sub broker. Every app is its own consumer group (Dapr's default ``consumerID`` is the app id), so a
  message published through any sidecar is queued once per app and delivered to each app subscribed to its topic,
  with the double's §12.4 retry/drop/dead-letter semantics per subscriber. A dead-lettered copy is an ordinary
  publish to the dead-letter topic, queued for every app.
* the state store components: the same data, each sidecar applying its own key prefix (``appid`` by default, §2),
  so apps are isolated unless a store is declared with ``key_prefix="none"`` or ``"name"``.
* service invocation by app id (§4): the callee's sidecar calls its app with its own token (§12.12).
* one scheduler clock. Jobs stay per app id (§9): a job scheduled through app A's sidecar fires on app A.

An app receives the messages published after it was added: add every app before publishing.

mesh = SidecarMesh(state_stores=("statestore",), pubsubs=("pubsub",))
mesh.add("task-api", task_api_app, app_api_token="tok")
mesh.add("notification", notification_app)
await mesh.start()                                   # each app's GET /dapr/subscribe
async with mesh.client("task-api") as c:             # task-api's sidecar
    await c.post("/v1.0/publish/pubsub/task-events", json={"id": 1})
    await c.post("/v1.0-alpha1/jobs/remind", json={"dueTime": "10s", "data": {}})
deliveries = await mesh.deliver_pending()            # MeshDelivery(app_id, result) for every subscriber
fired = await mesh.fire_due_jobs(dt.timedelta(seconds=11))   # fires on task-api
mesh.published, mesh.dead_lettered, mesh.get_state("task-api", "statestore", "k")
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tools.standin.core import AppChannel, ASGIApp
from tools.standin.delivery import DeliveryResult, Outcome
from tools.standin.double import DEFAULT_BASE_URL, DEFAULT_DAPR_VERSION, SidecarDouble
from tools.standin.jobs import utc_now
from tools.standin.pubsub import Broker, PublishedMessage
from tools.standin.resiliency import RetryPolicy
from tools.standin.scheduler import FiredJob, as_utc, fire_due
from tools.standin.state_store import MemoryStateStore, StateStoreOptions, StoredItem
from tools.standin.subscriptions import Subscription

# SidecarDouble arguments the mesh decides for every sidecar.
_SHARED = frozenset({
    "app_id", "app", "app_api_token", "dapr_version", "state_stores", "pubsubs", "broker", "shared_state_stores",
    "peers", "max_delivery_attempts", "dead_letter_on_retry_exhausted", "inbound_retry",
})  # fmt: skip


class MeshBroker(Broker):
    """The cluster's pub/sub: ``messages`` holds every message once; each app's consumer group has its own queues.
    ``taps`` see every message put (the Kafka log of `dapr-coder run` when the broker is Kafka)."""

    __slots__ = ("groups", "taps")

    def __init__(self) -> None:
        super().__init__()
        self.groups: dict[str, ConsumerGroup] = {}
        self.taps: list[Callable[[PublishedMessage], None]] = []

    def group(self, app_id: str) -> ConsumerGroup:
        """The broker one sidecar sees: publishes go to the whole mesh, ``queues`` are this app's own."""
        if app_id not in self.groups:
            self.groups[app_id] = ConsumerGroup(self)
        return self.groups[app_id]

    def put(self, msg: PublishedMessage) -> None:
        self.messages.append(msg)
        for group in self.groups.values():
            group.queues.setdefault((msg.pubsub, msg.topic), deque()).append(msg)
        for tap in self.taps:
            tap(msg)

    @property
    def dead_lettered(self) -> list[PublishedMessage]:
        return [m for m in self.messages if m.dead_lettered_from is not None]


class ConsumerGroup(Broker):
    """One app's view of a MeshBroker (same ``messages``, ``failing_topics`` and ``outage``, own queues)."""

    __slots__ = ("mesh",)

    def __init__(self, mesh: MeshBroker) -> None:
        super().__init__(messages=mesh.messages, failing_topics=mesh.failing_topics, outage=mesh.outage)
        self.mesh = mesh

    def put(self, msg: PublishedMessage) -> None:
        self.mesh.put(msg)


@dataclass(frozen=True, slots=True)
class MeshDelivery:
    """One message handled by one subscriber app."""

    app_id: str
    result: DeliveryResult

    @property
    def outcome(self) -> Outcome:
        return self.result.outcome

    @property
    def topic(self) -> str:
        return self.result.message.topic


class DeliveryLoopError(RuntimeError):
    """Messages were still being published after ``max_rounds`` delivery rounds."""


class SidecarMesh:
    """Sidecar doubles sharing one broker, the state stores, service invocation and a scheduler clock."""

    def __init__(
        self,
        *,
        dapr_version: str = DEFAULT_DAPR_VERSION,
        state_stores: Iterable[str] | Mapping[str, StateStoreOptions] = ("statestore",),
        pubsubs: Iterable[str] = ("pubsub",),
        max_delivery_attempts: int = 3,
        dead_letter_on_retry_exhausted: bool = True,
        scopes: Mapping[str, Iterable[str]] | None = None,
        inbound_retry: Mapping[str, RetryPolicy] | None = None,
    ) -> None:
        """``scopes``: component name -> the app ids that load it (a component YAML's ``scopes``, §13); a component
        not listed is loaded by every app. ``inbound_retry``: app id -> the pub/sub inbound resiliency policy its
        sidecar applies (tools/standin/resiliency.py); an app not listed gets ``max_delivery_attempts`` tries."""
        self.inbound_retry = dict(inbound_retry or {})
        self.dapr_version = dapr_version
        self.scopes = {name: frozenset(ids) for name, ids in (scopes or {}).items()}
        options = (
            dict(state_stores) if isinstance(state_stores, Mapping) else {n: StateStoreOptions() for n in state_stores}
        )
        self.state_stores = {name: MemoryStateStore(name, opts) for name, opts in options.items()}
        self.pubsubs = tuple(pubsubs)
        self.max_delivery_attempts = max_delivery_attempts
        self.dead_letter_on_retry_exhausted = dead_letter_on_retry_exhausted
        self.broker = MeshBroker()
        self.sidecars: dict[str, SidecarDouble] = {}
        self.channels: dict[str, AppChannel] = {}  # every sidecar's peers: the same live mapping
        self.deliveries: list[MeshDelivery] = []
        self.fired_jobs: list[FiredJob] = []
        self._clock_offset = dt.timedelta()

    # -- building ------------------------------------------------------------------------------------------------
    def add(
        self, app_id: str, app: ASGIApp | None = None, *, app_api_token: str | None = None, **options: Any
    ) -> SidecarDouble:
        """A sidecar for ``app_id``; ``options`` go to SidecarDouble (``api_token``, ``bindings``, ``namespace``...).

        ``app`` may be set later (``mesh[app_id].channel.app = app``) when building it needs the sidecar's client.
        """
        if app_id in self.sidecars:
            raise ValueError(f"app id {app_id!r} is already in the mesh")
        clash = _SHARED & options.keys()
        if clash:
            raise TypeError(f"the mesh sets {sorted(clash)} for every sidecar")
        stores = {n: s for n, s in self.state_stores.items() if self.loads(app_id, n)}
        double = SidecarDouble(
            app_id=app_id, app=app, app_api_token=app_api_token, dapr_version=self.dapr_version,
            state_stores={n: s.options for n, s in stores.items()},
            pubsubs=[n for n in self.pubsubs if self.loads(app_id, n)],
            broker=self.broker.group(app_id), shared_state_stores=stores, peers=self.channels,
            max_delivery_attempts=self.max_delivery_attempts,
            dead_letter_on_retry_exhausted=self.dead_letter_on_retry_exhausted,
            inbound_retry=self.inbound_retry.get(app_id), **options,
        )  # fmt: skip
        double.jobs.clock = self.now
        self.sidecars[app_id] = double
        self.channels[app_id] = double.channel
        return double

    def loads(self, app_id: str, component: str) -> bool:
        """Whether ``app_id``'s sidecar loads ``component`` (§13 ``scopes``)."""
        scope = self.scopes.get(component)
        return scope is None or app_id in scope

    def __getitem__(self, app_id: str) -> SidecarDouble:
        return self.sidecars[app_id]

    def client(self, app_id: str, base_url: str = DEFAULT_BASE_URL, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on ``app_id``'s sidecar (what that app's Dapr client should use)."""
        return self.sidecars[app_id].client(base_url, **kwargs)

    async def start(self) -> dict[str, list[Subscription]]:
        """Each sidecar reads its app's ``GET /dapr/subscribe`` once, as daprd does at startup (§12.1)."""
        return {app_id: await double.load_subscriptions() for app_id, double in self.sidecars.items()}

    # -- pub/sub -------------------------------------------------------------------------------------------------
    def _backlog(self) -> list[str]:
        out = []
        for app_id, double in self.sidecars.items():
            for sub in double.subscriptions or []:
                if sub.pubsubname not in double.pubsub.pubsubs:
                    continue
                queue = double.broker.queues.get((sub.pubsubname, sub.topic))
                if queue:
                    out.append(f"{sub.pubsubname}/{sub.topic} -> {app_id} ({len(queue)})")
        return out

    async def deliver_pending(self, *, max_rounds: int = 20) -> list[MeshDelivery]:
        """Deliver until no subscriber has anything queued, messages published meanwhile included.

        A round gives every app everything queued on its subscribed topics; handlers that publish feed the next
        round. Still busy after ``max_rounds``: DeliveryLoopError (two apps answering each other for ever).
        """
        await self.start()
        out: list[MeshDelivery] = []
        for _ in range(max_rounds):
            delivered = 0
            for app_id, double in self.sidecars.items():
                for sub in await double.load_subscriptions():
                    if sub.pubsubname not in double.pubsub.pubsubs:
                        continue  # daprd ignores subscriptions to a pub/sub the app does not load (§13 scopes)
                    for result in await double.deliver(sub.pubsubname, sub.topic):
                        out.append(MeshDelivery(app_id, result))
                        delivered += 1
            if not delivered:
                break
        else:
            backlog = self._backlog()
            if backlog:
                self.deliveries += out
                raise DeliveryLoopError(
                    f"deliver_pending: still delivering after {max_rounds} rounds ({len(out)} deliveries); "
                    f"queued: {', '.join(backlog)}. Do subscribers publish to each other in a loop?"
                )
        self.deliveries += out
        return out

    @property
    def published(self) -> list[PublishedMessage]:
        return self.broker.messages

    @property
    def dead_lettered(self) -> list[PublishedMessage]:
        return self.broker.dead_lettered

    # -- jobs ----------------------------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The scheduler clock: real time, shifted forward by ``fire_due_jobs`` (it never goes back)."""
        return utc_now() + self._clock_offset

    def _advance(self, moment: dt.datetime) -> None:
        ahead = moment - self.now()
        if ahead > dt.timedelta():
            self._clock_offset += ahead

    async def fire_due_jobs(
        self, now: dt.datetime | dt.timedelta | None = None, *, limit: int = 1000
    ) -> list[FiredJob]:
        """Fire every job occurrence due by ``now`` (an instant, or a delay from the clock), earliest first, each on
        the app whose sidecar scheduled it (§9.4); the clock then reads at least ``now``."""
        moment = self.now() + now if isinstance(now, dt.timedelta) else as_utc(now) if now else self.now()
        blocks = {app_id: double.jobs for app_id, double in self.sidecars.items()}
        fired = await fire_due(blocks, moment, limit=limit, advance=self._advance)
        self._advance(moment)
        self.fired_jobs += fired
        return fired

    # -- state ---------------------------------------------------------------------------------------------------
    def get_state(self, app_id: str, store: str, key: str) -> StoredItem | None:
        """What ``app_id`` reads for ``key`` (its key prefix applied)."""
        return self.sidecars[app_id].get_state(store, key)
