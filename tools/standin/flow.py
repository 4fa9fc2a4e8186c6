"""What happened in a `dapr-coder run`, as numbered events: publishes, deliveries with their answer (SUCCESS,
RETRY, DROP, dead letter), jobs scheduled and fired, invocations, output-binding calls. The live page polls them;
the console prints them; the smoke report reads them.

The double keeps records for tests (requests, app calls, published messages); a run lasts for hours, so the log
takes what is new from them and trims them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from collections.abc import Iterable
from typing import Any

from tools.standin.delivery import DeliveryResult
from tools.standin.mesh import SidecarMesh
from tools.standin.pubsub import PublishedMessage
from tools.standin.scheduler import FiredJob

__all__ = ["FlowLog", "answer_of"]

_KEEP = 5000  # events the page can still fetch


def answer_of(result: DeliveryResult) -> str:
    """The delivery's answer as a person reads it: the last verdict, or what became of the message."""
    verdict = result.attempts[-1].verdict if result.attempts else ""
    if result.outcome == "dead_lettered":
        return f"{verdict or 'UNDELIVERABLE'} -> dead letter {result.subscription.dead_letter_topic}"
    if result.outcome == "retry_exhausted":
        return f"RETRY x{len(result.attempts)}, given up"
    if result.outcome in ("delivered", "dropped"):
        return "SUCCESS" if verdict == "SUCCESS" else "DROP"
    return result.outcome.upper().replace("_", " ")


def _event_id(msg: PublishedMessage) -> str:
    return str((msg.envelope or {}).get("id", msg.entry_id or ""))


def _excerpt(data: bytes, limit: int = 300) -> str:
    text = data.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


class FlowLog:
    """Numbered events, newest last; `since(n)` is what a poller has not seen."""

    def __init__(self) -> None:
        self.events: deque[dict[str, Any]] = deque(maxlen=_KEEP)
        self.seq = 0
        self.apps: dict[str, dict[str, Any]] = {}
        self.handler_errors: list[dict[str, Any]] = []

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        event = {"seq": self.seq, "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "kind": kind}
        event |= fields
        self.events.append(event)
        return event

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [e for e in self.events if e["seq"] > seq]

    def app(self, app_id: str, **fields: Any) -> None:
        self.apps.setdefault(app_id, {"app_id": app_id}).update(fields)

    # -- from the mesh -------------------------------------------------------------------------------------------
    def deliveries(self, app_id: str, results: Iterable[DeliveryResult]) -> list[dict[str, Any]]:
        out = []
        for r in results:
            statuses = [a.status for a in r.attempts]
            out.append(
                self.add(
                    "delivery", app=app_id, pubsub=r.message.pubsub, topic=r.message.topic, id=_event_id(r.message),
                    answer=answer_of(r), outcome=r.outcome, route=r.attempts[-1].route if r.attempts else "",
                    statuses=statuses, attempts=len(r.attempts), body=_excerpt(r.attempts[-1].body, 200)
                    if r.attempts else "", redelivery=r.redelivery, returned=r.returned,
                )
            )  # fmt: skip
        return out

    def fired(self, jobs: Iterable[FiredJob]) -> list[dict[str, Any]]:
        return [
            self.add(
                "job_fired", app=j.app_id, name=j.name, status=j.trigger.status, outcome=j.trigger.outcome,
                retry=j.retry, due=j.due.isoformat(), body=_excerpt(j.trigger.body, 200),
            )
            for j in jobs
        ]  # fmt: skip

    def sync(self, mesh: SidecarMesh) -> list[dict[str, Any]]:
        """Take what the mesh recorded since the last call: publishes, invocations, jobs scheduled and deleted."""
        out = []
        published = mesh.broker.messages
        for msg in published:
            envelope = msg.envelope or {}
            out.append(
                self.add(
                    "publish", pubsub=msg.pubsub, topic=msg.topic, id=_event_id(msg), type=envelope.get("type", ""),
                    source=envelope.get("source", ""), dead_lettered_from=msg.dead_lettered_from,
                    data=_excerpt(msg.data),
                )
            )  # fmt: skip
        del published[:]  # the consumer groups hold their own queues; this list is only the record
        for app_id, double in mesh.sidecars.items():
            done = 0
            for req in double.requests:
                if req.status is None:
                    break  # still being answered: taken next time, in order
                done += 1
                event = _request_event(app_id, req.method, req.raw_path, req.status, req.body)
                if event is not None:
                    out.append(self.add(event.pop("kind"), **event))
            del double.requests[:done]
            del double.channel.calls[:]
            del double.deliverer.results[:]
        del mesh.deliveries[:]
        del mesh.fired_jobs[:]
        return out

    def state(self, mesh: SidecarMesh) -> dict[str, list[dict[str, Any]]]:
        """Every live key of every store (the stored key, as `<app id>||<key>`), with its ETag and a value excerpt."""
        return {
            name: [{"key": k, "etag": item.etag, "value": _excerpt(item.data, 160)} for k, item in store.live_items()]
            for name, store in mesh.state_stores.items()
        }


def _binding_event(app_id: str, name: str, status: int, body: bytes) -> dict[str, Any]:
    """An output-binding call: the operation and metadata keys as the app sent them, the data as the component
    received it (re-serialized JSON)."""
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        parsed = None
    request = parsed if isinstance(parsed, dict) else {}
    metadata = request.get("metadata")
    data = json.dumps(request["data"]).encode() if "data" in request else b""
    return {
        "kind": "binding", "app": app_id, "name": name, "operation": str(request.get("operation") or ""),
        "metadata": dict(metadata) if isinstance(metadata, dict) else {}, "status": status, "data": _excerpt(data),
    }  # fmt: skip


def _request_event(app_id: str, method: str, raw_path: str, status: int, body: bytes) -> dict[str, Any] | None:
    parts = raw_path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "v1.0" and parts[1] == "bindings" and method in ("POST", "PUT"):
        return _binding_event(app_id, parts[2], status, body)
    if len(parts) >= 4 and parts[0] == "v1.0" and parts[1] == "invoke" and parts[3] == "method":
        path = "/" + "/".join(parts[4:])
        return {"kind": "invoke", "app": app_id, "target": parts[2], "method": method, "path": path, "status": status}
    if len(parts) == 3 and parts[0] == "v1.0-alpha1" and parts[1] == "jobs" and method in ("POST", "DELETE"):
        kind = "job_scheduled" if method == "POST" else "job_deleted"
        due = ""
        if method == "POST":
            try:
                parsed = json.loads(body or b"{}")
                due = str(parsed.get("dueTime") or parsed.get("schedule") or "") if isinstance(parsed, dict) else ""
            except ValueError:
                due = ""
        return {"kind": kind, "app": app_id, "name": parts[2], "status": status, "due": due}
    return None


def binding_answers(e: dict[str, Any]) -> str:
    """An input binding event's attempts, "HTTP 500, no answer (the last error)"."""
    answers = ", ".join("no answer" if s is None else str(s) for s in e.get("statuses", [e.get("status")]))
    return f"HTTP {answers}" + (f" ({e['error']})" if e.get("error") else "")
