"""What the todo system on real daprd (real_system.py) and on the stand-in (standin_system.py) share: the profiles,
the generated project's spec, and the hooks of tests/runtime/system.py that read the same files either way.

Both run the observer app (observer.py: one JSON line per delivery to `record`) and the generated services
through launcher.py (the notifier's control files in `control`), so that `events`, `dead_letters`,
`notifications`, `fail_next_notifications` and `failed_notifications` read and write the same files, and
`api` and `delivery_route` talk to the apps' own ports.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from skill.specs.project import TODO_SYSTEM

APPS = ("task-api", "recurring-task", "notification")
OBSERVER = "observer"


@dataclass(frozen=True)
class Profile:
    """A state store and a pub/sub broker the generators offer."""

    name: str
    state: str  # tests.runtime.resources.STATE_PROFILES
    pubsub: str  # "redis" or "kafka"


# Each state store and each broker the generators offer, in as few runs as cover them (a run takes minutes):
# PostgreSQL v1 is the Kubernetes profile's default and runs with Kafka there.
PROFILES = {
    p.name: p
    for p in (
        Profile("redis", "redis", "redis"),  # the local profile as generated
        Profile("postgresql-v2", "postgresql-v2", "redis"),
        Profile("kafka", "postgresql-v1", "kafka"),  # the Kubernetes profile's components
    )
}


def project_spec(
    profile: Profile, ports: dict[str, int], kafka: str, source: dict[str, Any] = TODO_SYSTEM
) -> dict[str, Any]:
    """A project spec (the todo system's unless `source`) on `profile`, its services on `ports`."""
    spec = copy.deepcopy(source)
    for service in spec["services"]:
        service["port"] = ports[service["app_id"]]
    if profile.state == "postgresql-v2":
        spec["state"] = {**spec.get("state", {}), "postgresql_version": "v2"}
    if profile.pubsub == "kafka":
        # A plaintext broker without SASL: the spec's 'none' (Dapr's authType none turns TLS off).
        spec["pubsub"] = {**spec.get("pubsub", {}), "kafka": {"brokers": [kafka], "auth": "none"}}
    return spec


# The notification starter's failure policy (its handlers.py, the user's to edit) tries a failed send again after a
# minute; the systems under test try after 5 s, as a user may set it, so that the scenarios that wait for that retry
# (a first attempt that fails, a reminder due while the app restarts) take seconds rather than minutes. The scenario
# table on real daprd still sees the scheduler retry, from the job's own failure policy, and send once.
_GENERATED_RETRY = "RETRY = ConstantFailurePolicy(interval=timedelta(minutes=1), max_retries=10)"
TEST_RETRY = "RETRY = ConstantFailurePolicy(interval=timedelta(seconds=5), max_retries=10)"


def shorten_job_retry(root: Path) -> None:
    """Set the notification service's job retry (under `root`, a generated todo system) to 5 s."""
    handlers = root / "notification" / "app" / "handlers.py"
    if not handlers.exists():  # another spec's system: no notification starter
        return
    text = handlers.read_text(encoding="utf-8")
    if _GENERATED_RETRY not in text:
        raise AssertionError(f"{handlers} no longer says {_GENERATED_RETRY!r}: update tests/runtime/hooks.py")
    handlers.write_text(text.replace(_GENERATED_RETRY, TEST_RETRY), encoding="utf-8")


def publish_request(
    data: Any, *, event_id: str | None, event_type: str | None, raw: bool
) -> tuple[str, dict[str, str], dict[str, str]]:
    """The body, headers and query of a test's publish through a sidecar's API (both systems publish this way):
    a raw payload, a whole CloudEvent with `event_id` (Dapr keeps its id, pkg/runtime/pubsub/cloudevents.go, so
    publishing it twice is one event delivered twice), or data Dapr wraps, with `event_type` as its type."""
    headers = {"Content-Type": "application/json"}
    body: Any = data
    params: dict[str, str] = {}
    if raw:
        params["metadata.rawPayload"] = "true"
    elif event_id is not None:
        headers["Content-Type"] = "application/cloudevents+json"
        body = {"specversion": "1.0", "id": event_id, "source": "runtime-test", "type": event_type or "test",
                "datacontenttype": "application/json", "data": data}  # fmt: skip
    elif event_type is not None:
        params["metadata.cloudevent.type"] = event_type
    return json.dumps(body), headers, params


class SharedHooks:
    """The hooks both systems answer from the observer's record, the launcher's control folder and the apps'
    ports. A subclass sets `ports`, `record` and `control`."""

    ports: dict[str, int]
    record: Path
    control: Path
    _clients: dict[str, httpx.AsyncClient]

    def api(self, app_id: str) -> httpx.AsyncClient:
        if app_id not in self._clients:
            self._clients[app_id] = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.ports[app_id]}", timeout=60)
        return self._clients[app_id]

    async def close_clients(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _observed(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        text = self.record.read_text(encoding="utf-8")
        # The observer appends from its own process: a line it is still writing has no newline yet (a read beside
        # a write saw half a line, "Unterminated string"); the next read has all of it.
        complete = text[: text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line]

    def events(self, topic: str) -> list[dict[str, Any]]:
        return [o["event"] for o in self._observed() if o["topic"] == topic]

    def dead_letters(self, topic: str) -> list[dict[str, Any]]:
        return self.events(f"{topic}-dlq")

    def notifications(self) -> list[str]:
        """Each send of the notifier that went through, as the launcher's wrapper records it (launcher.py)."""
        sent = self.control / "sent.log"
        return sent.read_text(encoding="utf-8").splitlines() if sent.exists() else []

    async def delivery_route(self, app_id: str, topic: str) -> str:
        answer = await self.api(app_id).get("/dapr/subscribe")
        routes = [s["route"] for s in answer.json() if s["topic"] == topic]
        assert len(routes) == 1, f"{app_id} subscribes to {topic} {len(routes)} times: {answer.text}"
        return str(routes[0])

    def fail_next_notifications(self, task_id: str, count: int) -> None:
        for _ in range(count):
            (self.control / f"fail-notifier-{task_id}-{uuid.uuid4().hex}").touch()

    def failed_notifications(self, task_id: str) -> int:
        return len(list(self.control.glob(f"failed-notifier-{task_id}-*")))
