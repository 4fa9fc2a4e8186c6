"""Facts that need an app behind the sidecar: what the sidecar delivers to it (pub/sub verdicts, redelivery, dead
letters) and when it fires its jobs (failure policies).

An app fact is a coroutine taking an `AppSidecar`: the HTTP client to the sidecar, the `ProbeApp` behind it (the same
ASGI app on every target: served by uvicorn for daprd, called in process by the stand-in and the fake), and
`settle()`, which lets the target do what it does on its own (daprd: wait for a first call, then until the app has
been quiet for a while; the stand-in: deliver what is queued and run its scheduler's clock forward; the fake:
`deliver_pending()` and `trigger_job()` once per scheduled job, its documented API). daprd's pub/sub here is
`pubsub.in-memory` with no resiliency policy, the subscriptions have a dead-letter topic.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.differential.facts import PUBSUB, Observable, step

DEAD_LETTER = "app-dlq"
# How the probe app answers a delivery, by topic: the topic name is the verdict.
VERDICTS: dict[str, tuple[int, bytes]] = {
    "app-ok": (200, b'{"status":"SUCCESS"}'),
    "app-500": (500, b'{"detail":"boom"}'),
    "app-retry": (200, b'{"status":"RETRY"}'),
    "app-drop": (200, b'{"status":"DROP"}'),
    "app-404": (404, b'{"detail":"no such route"}'),
}


@dataclass
class ProbeApp:
    """An ASGI app subscribed to every VERDICTS topic (dead letters to DEAD_LETTER, which it takes), answering each
    as its name says, and jobs: 500 when the job's name contains `fail`, else 200. `calls`: (method, path, JSON)."""

    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = str(scope["path"])
        status, answer = 200, b"{}"
        if path == "/dapr/subscribe":
            subscriptions = [
                {"pubsubname": PUBSUB, "topic": topic, "route": f"/events/{topic}", "deadLetterTopic": DEAD_LETTER}
                for topic in VERDICTS
            ]
            subscriptions.append({"pubsubname": PUBSUB, "topic": DEAD_LETTER, "route": f"/events/{DEAD_LETTER}"})
            answer = json.dumps(subscriptions).encode()
        elif path == "/dapr/config":
            status = 404
        else:
            self.calls.append((str(scope["method"]), path, json.loads(body) if body.strip() else None))
            if path.startswith("/events/") and path.removeprefix("/events/") in VERDICTS:
                status, answer = VERDICTS[path.removeprefix("/events/")]
            elif path.startswith("/job/") and "fail" in path:
                status = 500
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    def deliveries(self, topic: str) -> int:
        return sum(1 for _, path, _ in self.calls if path == f"/events/{topic}")

    def dead_letters(self, topic: str) -> int:
        """Events of `topic` the app got on the dead-letter topic (the CloudEvent keeps its first topic)."""
        return sum(
            1
            for _, path, body in self.calls
            if path == f"/events/{DEAD_LETTER}" and isinstance(body, dict) and body.get("topic") == topic
        )

    def job_calls(self, name: str) -> list[Any]:
        return [body for method, path, body in self.calls if (method, path) == ("POST", f"/job/{name}")]


@dataclass
class AppSidecar:
    client: httpx.AsyncClient
    app: ProbeApp
    settle: Callable[[], Awaitable[None]]


AppFactFn = Callable[[AppSidecar, str], Awaitable[Observable]]


async def _delivery(sidecar: AppSidecar, topic: str) -> Observable:
    published = step(await sidecar.client.post(f"/v1.0/publish/{PUBSUB}/{topic}", json={"a": 1}))
    await sidecar.settle()
    return [published, {"deliveries": sidecar.app.deliveries(topic), "dead_letters": sidecar.app.dead_letters(topic)}]


async def delivery_success(sidecar: AppSidecar, p: str) -> Observable:
    """An event the app answers SUCCESS: delivered once, not dead-lettered."""
    return await _delivery(sidecar, "app-ok")


async def delivery_500(sidecar: AppSidecar, p: str) -> Observable:
    """An event the app answers 500: retriable; without a resiliency policy daprd delivers it once, then (the
    subscription has a dead-letter topic) dead-letters it."""
    return await _delivery(sidecar, "app-500")


async def delivery_retry(sidecar: AppSidecar, p: str) -> Observable:
    """RETRY: as a 500."""
    return await _delivery(sidecar, "app-retry")


async def delivery_drop(sidecar: AppSidecar, p: str) -> Observable:
    """DROP: delivered once, sent to the dead-letter topic."""
    return await _delivery(sidecar, "app-drop")


async def delivery_404(sidecar: AppSidecar, p: str) -> Observable:
    """A 404 is ErrMessageDropped, like DROP: sent to the dead-letter topic (pkg/runtime/subscription)."""
    return await _delivery(sidecar, "app-404")


async def _job(sidecar: AppSidecar, name: str, job: dict[str, Any]) -> Observable:
    scheduled = step(await sidecar.client.post(f"/v1.0-alpha1/jobs/{name}", json=job))
    await sidecar.settle()
    after = step(await sidecar.client.get(f"/v1.0-alpha1/jobs/{name}"))
    return [scheduled, {"calls": sidecar.app.job_calls(name)}, after]


async def job_fires(sidecar: AppSidecar, p: str) -> Observable:
    """A one-shot job: the app gets `POST /job/<name>` with the data as the body once; then the job is gone."""
    return await _job(sidecar, f"{p}job", {"dueTime": "1s", "data": {"n": 1}})


async def job_failure_policy(sidecar: AppSidecar, p: str) -> Observable:
    """A one-shot job the app fails, `constant` policy with 2 retries: 3 calls, then gone."""
    policy = {"constant": {"interval": "1s", "maxRetries": 2}}
    return await _job(sidecar, f"{p}fail", {"dueTime": "1s", "data": {"n": 2}, "failurePolicy": policy})


async def job_default_policy(sidecar: AppSidecar, p: str) -> Observable:
    """A one-shot job the app fails, no policy: the default (constant 1s, 3 retries) gives 4 calls, then gone."""
    return await _job(sidecar, f"{p}fail", {"dueTime": "1s", "data": {"n": 3}})


@dataclass(frozen=True)
class AppFact:
    name: str
    run: AppFactFn

    @property
    def doc(self) -> str:
        return (self.run.__doc__ or "").strip()

    @property
    def fact_id(self) -> str:
        return f"{self.name}[any]"


APP_FACTS: tuple[AppFact, ...] = tuple(
    AppFact(f"app.{fn.__name__}", fn)
    for fn in (
        delivery_success,
        delivery_500,
        delivery_retry,
        delivery_drop,
        delivery_404,
        job_fires,
        job_failure_policy,
        job_default_policy,
    )
)


def prefix_for(fact: AppFact) -> str:
    return fact.name.replace(".", "-").replace("_", "-") + "-"
