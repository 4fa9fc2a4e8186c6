"""The sidecar double: a raw ASGI application that answers like daprd's HTTP API.

Request pipeline (references/dapr-contract.md §1): record -> injected fault -> API token (§1.3) -> route on the
escaped, cleaned path (§1.6) -> unescape parameters -> handler; no route (or wrong verb) -> service-invocation
fallback (pitfall 24).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from tools.standin import wire
from tools.standin.bindings import BindingHandler, BindingsBlock, InputBindingDelivery, InputBindings
from tools.standin.configuration import ConfigurationBlock
from tools.standin.core import AppCall, AppChannel, ASGIApp, SidecarConfig, parse_version
from tools.standin.delivery import Deliverer, DeliveryResult
from tools.standin.faults import Fault, FaultInjector
from tools.standin.invoke import InvokeBlock
from tools.standin.jobs import JobsBlock, JobTrigger
from tools.standin.lock import LockBlock
from tools.standin.metadata import MetadataBlock
from tools.standin.pubsub import Broker, PublishedMessage, PubSubBlock
from tools.standin.resiliency import RetryPolicy
from tools.standin.routing import Router
from tools.standin.secrets import SecretsBlock, SecretValue
from tools.standin.state import StateBlock
from tools.standin.state_store import MemoryStateStore, StateStoreOptions, StoredItem
from tools.standin.subscriptions import Subscription, parse_subscriptions
from tools.standin.timeutil import child_traceparent
from tools.standin.wire import Headers, Request, Response, read_body
from tools.standin.workflows import WorkflowsBlock

DEFAULT_BASE_URL = "http://127.0.0.1:3500"
DEFAULT_DAPR_VERSION = "1.18.3"  # the runtime tests/runtime/setup.sh runs: the differential suite's reference
_EXEMPT = ("v1.0/healthz", "v1.0/healthz/outbound")


@dataclass(slots=True)
class RecordedRequest:
    """One request as received (``raw_path`` is escaped, without the query string)."""

    method: str
    raw_path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    injected: bool = False
    header_list: list[tuple[str, str]] = field(default_factory=list)


class SidecarDouble:
    """An in-process stand-in for daprd's HTTP API (references/dapr-contract.md is its specification).

    ``app`` is the user's ASGI service (invocations to ``app_id``, pub/sub delivery, jobs, config updates);
    ``remote_apps`` maps other app ids to ASGI apps for service invocation.
    """

    def __init__(
        self,
        *,
        app_id: str = "myapp",
        dapr_version: str = DEFAULT_DAPR_VERSION,
        api_token: str | None = None,
        app_api_token: str | None = None,
        state_stores: Iterable[str] | Mapping[str, StateStoreOptions] = ("statestore",),
        pubsubs: Iterable[str] = ("pubsub",),
        secret_stores: Mapping[str, Mapping[str, SecretValue]] | None = None,
        configuration_stores: Mapping[str, Mapping[str, Mapping[str, Any] | str]] | None = None,
        lock_stores: Iterable[str] = ("lockstore",),
        bindings: Iterable[str] | Mapping[str, BindingHandler | None] = ("mybinding",),
        app: ASGIApp | None = None,
        remote_apps: Mapping[str, ASGIApp] | None = None,
        namespace: str = "",
        tracing: bool = False,
        max_delivery_attempts: int = 3,
        dead_letter_on_retry_exhausted: bool = True,
        broker: Broker | None = None,
        shared_state_stores: Mapping[str, MemoryStateStore] | None = None,
        peers: Mapping[str, AppChannel] | None = None,
        inbound_retry: RetryPolicy | None = None,
        outbound_retry: Mapping[str, RetryPolicy] | None = None,
    ) -> None:
        # broker / shared_state_stores / peers: what a mesh of sidecars shares (tools/standin/mesh.py); the
        # defaults give this sidecar its own broker and stores, and no other sidecar to reach.
        self.config = SidecarConfig(app_id, parse_version(dapr_version), namespace, tracing)
        self.dapr_version = dapr_version
        self.api_token = api_token
        self.channel = AppChannel(
            app_id, app, dict(remote_apps or {}), app_api_token, peers={} if peers is None else peers
        )
        stores = (
            dict(state_stores) if isinstance(state_stores, Mapping) else {n: StateStoreOptions() for n in state_stores}
        )
        self.broker = Broker() if broker is None else broker
        self.state = StateBlock(self.config, stores, shared_state_stores)
        self.pubsub = PubSubBlock(self.config, pubsubs, self.broker)
        # ``outbound_retry``: target app id -> this sidecar's outbound retry policy for its invocations.
        self.invoke = InvokeBlock(self.config, self.channel, outbound_retry)
        self.bindings = BindingsBlock(self.config, bindings)
        self.input_bindings = InputBindings(self.channel)
        self.secrets = SecretsBlock(self.config, {"localsecretstore": {}} if secret_stores is None else secret_stores)
        self.configuration = ConfigurationBlock(
            self.config, {"configstore": {}} if configuration_stores is None else configuration_stores, self.channel
        )
        self.locks = LockBlock(self.config, lock_stores)
        self.jobs = JobsBlock(self.config, self.channel)
        self.workflows = WorkflowsBlock(self.config)
        self.metadata = MetadataBlock(app_id, dapr_version, self._describe)
        self.faults = FaultInjector()
        self.requests: list[RecordedRequest] = []
        self.subscriptions: list[Subscription] | None = None
        self.subscription_error: str | None = None
        # ``inbound_retry``: the pub/sub component's inbound resiliency policy (tools/standin/resiliency.py);
        # without it each message gets ``max_delivery_attempts`` immediate tries.
        self.deliverer = Deliverer(
            self.channel, self.broker, max_delivery_attempts, dead_letter_on_retry_exhausted,
            not_found_dead_letters=self.config.at_least(18), retry=inbound_retry,
        )  # fmt: skip
        blocks = (self.state, self.pubsub, self.bindings, self.secrets, self.configuration, self.locks, self.jobs,
                  self.workflows, self.metadata)  # fmt: skip
        self.router = Router([r for block in blocks for r in block.routes()])

    # -- ASGI ----------------------------------------------------------------------------------------------------
    @property
    def asgi(self) -> SidecarDouble:
        return self

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise RuntimeError(f"unsupported ASGI scope {scope['type']!r}")
        body = await read_body(receive)
        if body is None:  # the client went away
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        raw_path = raw.split(b"?", 1)[0].decode("latin-1")  # strip a query string defensively
        headers = Headers.of((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        req = Request(scope["method"], raw_path, scope.get("query_string", b"").decode("latin-1"), headers, body)
        response = await self.handle(req)
        out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        if response.status != 204 and not any(k == b"content-length" for k, _ in out):
            out.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        await send({"type": "http.response.body", "body": b"" if response.status == 204 else response.body})

    async def handle(self, req: Request) -> Response:
        record = RecordedRequest(
            req.method,
            req.raw_path,
            req.query_string,
            req.headers.as_dict(),
            req.body,
            header_list=list(req.headers.items),
        )
        self.requests.append(record)
        fault = self.faults.take(req)
        if fault is not None:
            record.injected = True
            if fault.delay:
                await anyio.sleep(fault.delay)
            if fault.raise_exc is not None:
                raise fault.raise_exc
            record.status = fault.status
            return fault.response()
        response = await self._dispatch(req)
        if self.config.tracing and response.header("traceparent") is None:
            response.headers.append(("traceparent", child_traceparent(req.headers.get("traceparent"))))
        record.status = response.status
        return response

    async def _dispatch(self, req: Request) -> Response:
        if self.api_token:
            decoded_path = urllib.parse.unquote(req.raw_path)  # Go's r.URL.Path
            exempt = req.method.upper() == "GET" and decoded_path.strip("/") in _EXEMPT
            if req.headers.get("dapr-api-token") != self.api_token and not exempt:
                return wire.go_http_error(401, "invalid api token")
        req = Request(req.method, req.raw_path, req.query_string, req.headers.without("dapr-api-token"), req.body)
        found = self.router.match(req.method, wire.go_path_clean(req.raw_path))
        if found is None:
            return await self.invoke.handle(req)
        matched, escaped = found
        try:
            params = {k: wire.query_unescape(v) for k, v in escaped.items()}
        except wire.UnescapeError as exc:
            key = next(k for k, v in escaped.items() if "%" in v)
            return wire.go_http_error(400, f'failed to unescape request parameter "{key}". Error: {exc}')
        return await matched.handler(req, params)

    # -- test conveniences ---------------------------------------------------------------------------------------
    def client(self, base_url: str = DEFAULT_BASE_URL, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` wired to the double in-process."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self), base_url=base_url, **kwargs)

    def inject(self, **kwargs: Any) -> Fault:
        """Answer the next ``times`` requests matching ``method``/``path`` (regex on the raw path) with ``status``,
        ``headers`` and ``body`` instead of handling them; ``raise_exc`` raises instead, ``delay`` sleeps first."""
        return self.faults.add(**kwargs)

    def get_state(self, store: str, key: str) -> StoredItem | None:
        return self.state.item(store, key)

    @property
    def published(self) -> list[PublishedMessage]:
        return self.broker.messages

    @property
    def app_calls(self) -> list[AppCall]:
        return self.channel.calls

    async def load_subscriptions(self) -> list[Subscription]:
        """``GET /dapr/subscribe`` once, like daprd at startup (§12.1)."""
        if self.subscriptions is None:
            if not self.channel.has_app:
                self.subscriptions = []
            else:
                answer = await self.channel.call(
                    "GET", "/dapr/subscribe",
                    [("content-type", "application/json"), ("dapr-app-id", self.config.app_id)], b"",
                )  # fmt: skip
                self.subscriptions, self.subscription_error = parse_subscriptions(answer.status, answer.body)
        return self.subscriptions

    async def deliver(self, pubsub: str, topic: str) -> list[DeliveryResult]:
        """Deliver every queued message of one topic to the subscription that covers it."""
        subs = await self.load_subscriptions()
        sub = next((s for s in subs if s.pubsubname == pubsub and s.topic == topic), None)
        queue = self.broker.queues.get((pubsub, topic))
        if sub is None or not queue:
            return []
        batch = list(queue)
        queue.clear()
        if sub.bulk.enabled:
            size = sub.bulk.max_messages_count or 100
            results: list[DeliveryResult] = []
            for start in range(0, len(batch), size):
                results += await self.deliverer.deliver_bulk(batch[start : start + size], sub)
            return results
        return [await self.deliverer.deliver_one(msg, sub) for msg in batch]

    async def deliver_pending(self) -> list[DeliveryResult]:
        """Deliver every subscribed topic until nothing is left (dead-letter topics included)."""
        results: list[DeliveryResult] = []
        for _ in range(10):
            subs = await self.load_subscriptions()
            batch: list[DeliveryResult] = []
            for sub in subs:
                batch += await self.deliver(sub.pubsubname, sub.topic)
            if not batch:
                break
            results += batch
        return results

    async def trigger_job(self, name: str) -> JobTrigger:
        return await self.jobs.trigger(name)

    async def send_input_binding_event(
        self, name: str, data: bytes, metadata: Mapping[str, str] | None = None, *, route: str = "", direction: str = ""
    ) -> InputBindingDelivery:
        """Deliver one input-binding event to the app (§12.6)."""
        return await self.input_bindings.send(name, data, metadata, route=route, direction=direction)

    async def update_configuration(self, store: str, changes: Mapping[str, Mapping[str, Any] | str]) -> None:
        await self.configuration.update(store, changes)

    def _describe(self) -> dict[str, Any]:
        components: list[dict[str, Any]] = []
        for name, store in self.state.stores.items():
            caps = ["ETAG", "TTL"] + (["TRANSACTIONAL"] if store.options.transactional else [])
            caps += ["QUERY_API"] if store.options.queryable else []
            components.append({"name": name, "type": "state.redis", "version": "v1", "capabilities": caps})
        components += [{"name": n, "type": "pubsub.redis", "version": "v1"} for n in sorted(self.pubsub.pubsubs)]
        components += [{"name": n, "type": "secretstores.local.file", "version": "v1"} for n in self.secrets.stores]
        components += [{"name": n, "type": "configuration.redis", "version": "v1"} for n in self.configuration.stores]
        components += [{"name": n, "type": "lock.redis", "version": "v1"} for n in self.locks.stores]
        components += [{"name": n, "type": "bindings.http", "version": "v1"} for n in self.bindings.handlers]
        subs = [
            {"pubsubname": s.pubsubname, "topic": s.topic, "metadata": s.metadata,
             "deadLetterTopic": s.dead_letter_topic,
             "rules": [{"match": r.match.source if r.match else "", "path": r.path} for r in s.rules],
             "type": "PROGRAMMATIC"}
            for s in self.subscriptions or []
        ]  # fmt: skip
        out: dict[str, Any] = {"components": components, "subscriptions": subs, "enabledFeatures": []}
        if self.channel.has_app:
            out["appConnectionProperties"] = {"port": 8000, "protocol": "http", "channelAddress": "127.0.0.1"}
        return out
