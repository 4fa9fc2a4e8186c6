"""Delivering published messages to the app (references/dapr-contract.md §12.3, §12.4, §12.5, pitfalls 11 and 12).

Single delivery: ``POST {route}``, ``Content-Type: application/cloudevents+json``, header ``pubsubname``. The answer:

==============================================  ===============================================
2xx, body empty / not JSON / no ``status``       SUCCESS
2xx ``{"status": "SUCCESS"}``                    SUCCESS
2xx ``{"status": "RETRY"}`` or any other string  RETRY (``"success"`` is *not* SUCCESS)
2xx ``{"status": "DROP"}``                       DROP -> ``deadLetterTopic`` when configured
404                                              dropped; from 1.18 dead-lettered like DROP
anything else (400, 422, 500, ...)               RETRY
==============================================  ===============================================

An expired CloudEvent (``expiration`` passed) is dropped without a delivery, to ``deadLetterTopic`` when
configured (every version). RETRY is retried under the component's inbound resiliency policy (``retry``, a
tools/standin/resiliency.py RetryPolicy: paced as daprd paces it); without one, each message gets at most
``max_attempts`` immediate tries. Retries exhausted: ``retry_exhausted``, dead-lettered when configured (daprd
1.18 publishes it to ``deadLetterTopic``; without one the error goes back to the broker). An attempt that outlasts
the policy's ``timeout`` is cut and counts as a RETRY (recorded with status 0).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from tools.standin import gojson, resiliency, timeutil
from tools.standin.core import AppChannel, AppResponse
from tools.standin.pubsub import Broker, PublishedMessage
from tools.standin.resiliency import DEADLINE_EXCEEDED, RetryPolicy
from tools.standin.subscriptions import Subscription
from tools.standin.wire import Headers

# An attempt cut by the policy's timeout has no HTTP status; the stand-in records it as 0, with Go's error text.
TIMED_OUT = 0

Verdict = Literal["SUCCESS", "RETRY", "DROP", "NOT_FOUND"]
Outcome = Literal["delivered", "dropped", "dead_lettered", "retry_exhausted", "expired", "no_route", "undeliverable"]


@dataclass(slots=True)
class DeliveryAttempt:
    route: str
    status: int
    body: bytes
    verdict: Verdict


@dataclass(slots=True)
class DeliveryResult:
    message: PublishedMessage
    subscription: Subscription
    outcome: Outcome
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    event: dict[str, Any] | None = None
    # How many times the pub/sub component had handed this message over before (its own redelivery of a message
    # daprd gave back with an error; tools/standin/resiliency.py Redelivery).
    redelivery: int = 0
    # What the component did with it when daprd gave it back (shown with the delivery), "" when it did not.
    returned: str = ""


def verdict_of(response: AppResponse) -> Verdict:
    """§12.4, byte for byte (``AppResponse{Status}`` is decoded with Go's case-insensitive field match)."""
    if 200 <= response.status <= 299:
        try:
            parsed = gojson.decode_first(response.body)
        except gojson.GoJSONError:
            return "SUCCESS"
        if parsed is None:
            return "SUCCESS"
        if not isinstance(parsed, dict):
            return "SUCCESS"  # decode error -> "skipping status check"
        status = gojson.field(parsed, "status")
        if not isinstance(status, str) or status in ("", "SUCCESS"):
            return "SUCCESS"  # absent / null / non-string (a Go decode error) all ack the message
        if status == "DROP":
            return "DROP"
        return "RETRY"
    if response.status == 404:
        return "NOT_FOUND"
    return "RETRY"


def cloud_event_for(msg: PublishedMessage, sub: Subscription) -> dict[str, Any] | None:
    """The event map the app gets, or None when the bytes are not a CloudEvent (never delivered)."""
    if sub.raw_payload:
        return {
            "id": str(uuid.uuid4()),
            "specversion": "1.0",
            "datacontenttype": "application/octet-stream",
            "source": "Dapr",
            "type": "com.dapr.event.sent",
            "topic": msg.topic,
            "pubsubname": msg.pubsub,
            "data_base64": base64.b64encode(msg.data).decode("ascii"),
        }
    try:
        event = gojson.decode_first(msg.data, use_number=True)
    except gojson.GoJSONError:
        return None
    return event if isinstance(event, dict) else None


def _expired(event: dict[str, Any]) -> bool:
    expiration = event.get("expiration")
    if not isinstance(expiration, str) or not expiration:
        return False
    moment = timeutil.parse_rfc3339(expiration)
    if moment is None:
        return False
    import datetime as dt

    return moment < dt.datetime.now(dt.UTC)


class Deliverer:
    """Delivers queued messages for the subscriptions an app declared."""

    def __init__(
        self,
        channel: AppChannel,
        broker: Broker,
        max_attempts: int,
        dlq_on_exhaustion: bool,
        *,
        not_found_dead_letters: bool = False,
        retry: RetryPolicy | None = None,
    ) -> None:
        """``not_found_dead_letters``: a 404 goes to the dead-letter topic (daprd 1.18+); ``retry``: the inbound
        resiliency policy, which then sets the attempts and the pause before each retry."""
        self.channel = channel
        self.broker = broker
        self.max_attempts = max_attempts if retry is None else retry.attempts
        self.dlq_on_exhaustion = dlq_on_exhaustion
        self.not_found_dead_letters = not_found_dead_letters
        self.retry = retry
        self.results: list[DeliveryResult] = []

    async def _pause(self, retry: int) -> None:
        if self.retry is not None and (delay := self.retry.delay(retry)) > 0:
            await asyncio.sleep(delay)

    async def _call(self, path: str, headers: list[tuple[str, str]], body: bytes) -> AppResponse:
        """One delivery attempt, cut after the inbound policy's `timeout` (the resiliency runner cancels the
        attempt's context, and with it the app's request): a failure, retried like a RETRY answer."""
        answer = await resiliency.attempt(self.channel.call("POST", path, headers, body), self.retry)
        return answer if answer is not None else AppResponse(TIMED_OUT, Headers(), DEADLINE_EXCEEDED.encode())

    def _dead_letter(self, msg: PublishedMessage, sub: Subscription) -> None:
        self.broker.put(
            PublishedMessage(
                msg.pubsub, sub.dead_letter_topic, msg.data, msg.envelope, dict(msg.metadata), msg.content_type,
                msg.raw_payload, msg.entry_id, dead_lettered_from=msg.topic,
            )
        )  # fmt: skip

    def _finish(self, result: DeliveryResult, *, to_dlq: bool) -> DeliveryResult:
        if to_dlq and result.subscription.dead_letter_topic:
            self._dead_letter(result.message, result.subscription)
            result.outcome = "dead_lettered"
        self.results.append(result)
        return result

    def _headers(self, msg: PublishedMessage, event: dict[str, Any], content_type: str) -> list[tuple[str, str]]:
        headers = [("content-type", content_type), ("pubsubname", msg.pubsub)]
        trace = event.get("traceparent")
        if isinstance(trace, str) and trace:
            headers.append(("traceparent", trace))
        return headers

    async def deliver_one(self, msg: PublishedMessage, sub: Subscription) -> DeliveryResult:
        event = cloud_event_for(msg, sub)
        if event is None:
            return self._finish(DeliveryResult(msg, sub, "undeliverable"), to_dlq=True)
        result = DeliveryResult(msg, sub, "delivered", event=event)
        if _expired(event):
            result.outcome = "expired"
            return self._finish(result, to_dlq=True)
        path = sub.route_for(gojson.to_float64(event))
        if path is None:
            result.outcome = "no_route"
            return self._finish(result, to_dlq=True)
        body = gojson.marshal(event)
        for attempt in range(self.max_attempts):
            if attempt:
                await self._pause(attempt)
            response = await self._call(path, self._headers(msg, event, "application/cloudevents+json"), body)
            verdict = verdict_of(response)
            result.attempts.append(DeliveryAttempt(path, response.status, response.body, verdict))
            if verdict == "SUCCESS":
                return self._finish(result, to_dlq=False)
            if verdict == "NOT_FOUND":
                result.outcome = "dropped"
                return self._finish(result, to_dlq=self.not_found_dead_letters)
            if verdict == "DROP":
                result.outcome = "dropped"
                return self._finish(result, to_dlq=True)
        result.outcome = "retry_exhausted"
        return self._finish(result, to_dlq=self.dlq_on_exhaustion)

    async def deliver_bulk(self, batch: list[PublishedMessage], sub: Subscription) -> list[DeliveryResult]:
        """§12.5: one ``application/json`` POST per route with ``entries``; per-entry ``statuses``."""
        pending: dict[str, tuple[DeliveryResult, str, dict[str, Any]]] = {}
        done: list[DeliveryResult] = []
        for msg in batch:
            event = cloud_event_for(msg, sub)
            if event is None:
                done.append(self._finish(DeliveryResult(msg, sub, "undeliverable"), to_dlq=True))
                continue
            path = sub.route_for(gojson.to_float64(event))
            if path is None:
                done.append(self._finish(DeliveryResult(msg, sub, "no_route", event=event), to_dlq=True))
                continue
            pending[str(uuid.uuid4())] = (DeliveryResult(msg, sub, "delivered", event=event), path, event)
        for attempt in range(self.max_attempts):
            if not pending:
                break
            if attempt:
                await self._pause(attempt)
            for path in sorted({p for _, p, _ in pending.values()}):
                ids = [i for i, (_, p, _) in pending.items() if p == path]
                entries = [
                    gojson.Struct(
                        entryId=i, event=pending[i][2], metadata={}, contentType="application/cloudevents+json"
                    )
                    for i in ids
                ]
                body = gojson.marshal(
                    gojson.Struct(
                        id=str(uuid.uuid4()), type="com.dapr.event.sent.bulk", topic=sub.topic,
                        pubsubname=sub.pubsubname, metadata={}, entries=entries,
                    )
                )  # fmt: skip
                first = pending[ids[0]][0].message
                response = await self._call(path, self._headers(first, {}, "application/json"), body)
                statuses = _bulk_statuses(response, ids)
                for entry_id in ids:
                    result = pending[entry_id][0]
                    verdict = statuses[entry_id]
                    result.attempts.append(DeliveryAttempt(path, response.status, response.body, verdict))
                    if verdict == "RETRY":
                        continue
                    del pending[entry_id]
                    result.outcome = "delivered" if verdict == "SUCCESS" else "dropped"
                    done.append(self._finish(result, to_dlq=verdict == "DROP"))
        for result, _, _ in pending.values():
            result.outcome = "retry_exhausted"
            done.append(self._finish(result, to_dlq=self.dlq_on_exhaustion))
        return done


def _bulk_statuses(response: AppResponse, ids: list[str]) -> dict[str, Verdict]:
    if response.status == 404:
        return dict.fromkeys(ids, "NOT_FOUND")
    if not 200 <= response.status <= 299:
        return dict.fromkeys(ids, "RETRY")
    try:
        parsed = json.loads(response.body)
        statuses = {s["entryId"]: s.get("status", "") for s in parsed["statuses"]}
    except (ValueError, KeyError, TypeError):
        return dict.fromkeys(ids, "RETRY")
    out: dict[str, Verdict] = {}
    for entry_id in ids:
        status = statuses.get(entry_id, "")
        out[entry_id] = "SUCCESS" if status == "SUCCESS" else "DROP" if status == "DROP" else "RETRY"
    return out
