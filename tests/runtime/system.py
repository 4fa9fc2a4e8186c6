"""The running todo system as a scenario sees it: the same scenario code runs on real daprd (real_system.py)
and on the stand-in of `dapr-coder run` (standin_system.py).

A scenario talks to the apps' public routes like a user (`api`), and observes and disturbs the system through
the hooks below. A fake implementation needs exactly these hooks:

- `api(app_id)`: an HTTP client on the app's own port (the routes a user calls, not through Dapr);
- `invoke(caller, target, method, path, json)`: a service-invocation call made by `caller`'s sidecar;
- `publish(topic, data, ...)`: a publish through a sidecar, with a chosen CloudEvent id (to duplicate a
  delivery) or a raw payload (`raw=True`: Dapr does not wrap it in a CloudEvent);
- `events(topic)`: every event delivered on a topic, to a subscriber that only records (the observer), and
  `dead_letters(topic)` for `<topic>-dlq`;
- `notifications()`: every reminder the notification service's notifier sent;
- `job_scheduled(app_id, name)`: whether the app's job is still scheduled (the Jobs API's GET; a one-shot job
  is gone once a trigger succeeded, and stays while its failure policy will trigger it again);
- `delivery_route(app_id, topic)`: the route the app takes a topic's events on (its `/dapr/subscribe`);
- `requests(app_id, method, path)`: the status codes an app answered on one route (a fake counts the calls its
  sidecar made; real daprd's are read from the app's access log);
- `fail_next_notifications(task_id, n)`: the notifier raises on its next n sends of that task's reminder, and
  `failed_notifications(task_id)` counts the sends that raised so;
- `broker_outage(seconds)`: the pub/sub broker refuses connections for a while, starting now;
- `restart()`: every service and sidecar stops and starts again, state and broker kept.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

TOPICS = ("task-events", "reminders", "task-updates")


class TodoSystem(Protocol):
    """A running todo system (task-api, recurring-task, notification) on one state/pub-sub profile."""

    profile: str

    def api(self, app_id: str) -> httpx.AsyncClient: ...

    async def invoke(self, caller: str, target: str, method: str, path: str, json: Any = None) -> httpx.Response: ...

    async def publish(
        self,
        topic: str,
        data: Any,
        *,
        event_id: str | None = None,
        event_type: str | None = None,
        raw: bool = False,
    ) -> None: ...

    def events(self, topic: str) -> list[dict[str, Any]]: ...

    def dead_letters(self, topic: str) -> list[dict[str, Any]]: ...

    def notifications(self) -> list[str]: ...

    async def job_scheduled(self, app_id: str, name: str) -> bool: ...

    async def delivery_route(self, app_id: str, topic: str) -> str: ...

    def requests(self, app_id: str, method: str, path: str) -> list[int]: ...

    def fail_next_notifications(self, task_id: str, count: int) -> None: ...

    def failed_notifications(self, task_id: str) -> int: ...

    async def broker_outage(self, seconds: float) -> None: ...

    async def restart(self) -> None: ...
