"""`dapr-coder run DIR --smoke`: once every app is up, drive each public route with valid and invalid input, publish
a sample event to every subscription, write a sample message to each Kafka topic a Kafka input binding of a service
reads, fire every job once, wait for the flow to settle, and report what each service answered. Exit 0 when every
answer is the one the route's contract promises, 1 otherwise (each failure names the service and the route).

Samples come from the models of the spec each service was generated from (skill/generators/samples.py), so they
pass the generated validation; the invalid inputs are an empty object (a required field missing) and a JSON array.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from skill.generators import samples
from skill.specs.bindings import KafkaSource
from skill.specs.endpoint import EndpointSpec
from tools.standin.flow import binding_answers
from tools.standin.project import AppPlan

if TYPE_CHECKING:
    from tools.standin.run import Running

__all__ = ["Check", "Report", "smoke"]

_SETTLE_SECONDS = 1.0  # no new event for this long: the flow has settled
_SETTLE_LIMIT = 60.0


@dataclass(frozen=True)
class Check:
    app_id: str
    what: str  # "POST /api/tasks (valid)", "event task-events -> notification /events/...", "job reminder-smoke"
    answer: str
    ok: bool

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.app_id}: {self.what}: {self.answer}"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, app_id: str, what: str, answer: str, ok: bool) -> None:
        self.checks.append(Check(app_id, what, answer, ok))

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def _headers(app: AppPlan) -> dict[str, str]:
    token = app.env.get("APP_API_TOKEN")
    return {"dapr-api-token": token} if token else {}


async def _call(
    client: httpx.AsyncClient, report: Report, app: AppPlan, method: str, path: str, label: str, body: Any,
    expect: range, **kwargs: Any,
) -> httpx.Response | None:  # fmt: skip
    try:
        response = await client.request(
            method, f"http://127.0.0.1:{app.port}{path}", json=body, headers=_headers(app), **kwargs
        )
    except httpx.TransportError as exc:
        report.add(app.app_id, f"{method} {path} ({label})", f"no answer: {type(exc).__name__}", False)
        return None
    detail = "" if response.status_code in expect else f" {response.text[:200]}"
    report.add(app.app_id, f"{method} {path} ({label})", f"HTTP {response.status_code}{detail}",
               response.status_code in expect)  # fmt: skip
    return response


_OK = range(200, 300)
_CLIENT_ERROR = range(400, 500)


async def _routes(client: httpx.AsyncClient, report: Report, app: AppPlan, spec: EndpointSpec) -> None:
    models = spec.models
    for crud in spec.crud:
        base = crud.collection
        item = samples.sample(models, crud.model)
        key = samples.sample_key(models, crud.model, crud.key_field)
        await _call(client, report, app, "POST", base, "valid", item, _OK)
        await _call(client, report, app, "POST", base, "invalid: {}", {}, _CLIENT_ERROR)
        await _call(client, report, app, "GET", base, "list", None, _OK)
        await _call(client, report, app, "GET", f"{base}/{key}", "read", None, _OK)
        await _call(client, report, app, "PUT", f"{base}/{key}", "valid", item, _OK)
        await _call(client, report, app, "PUT", f"{base}/{key}", "invalid: []", [], _CLIENT_ERROR)
        for action in crud.actions:
            await _call(client, report, app, "POST", f"{base}/{key}/{action.name}", "action", None, _OK)
        await _call(client, report, app, "DELETE", f"{base}/{key}", "delete", None, _OK)
        await _call(client, report, app, "GET", f"{base}/{key}", "after delete", None, range(404, 405))
    for inv in spec.invocations:
        body = samples.sample(models, inv.request_model) if inv.request_model else None
        await _call(client, report, app, inv.verb, inv.method, "valid", body, _OK)
        if inv.request_model:
            await _call(client, report, app, inv.verb, inv.method, "invalid: []", [], _CLIENT_ERROR)


async def _publish(client: httpx.AsyncClient, running: Running, report: Report, app: AppPlan) -> list[str]:
    """A sample CloudEvent (our own id, so its deliveries can be found) on each of `app`'s subscriptions."""
    ids = []
    spec = app.spec.endpoint_spec()
    for sub in spec.subscriptions:
        event_id = f"smoke-{uuid.uuid4()}"
        data = samples.sample(spec.models, sub.model)
        url = f"http://127.0.0.1:{running.dapr_ports[app.app_id]}/v1.0/publish/{sub.pubsub}/{sub.topic}"
        if sub.raw_payload:
            response = await client.post(url, json=data, params={"metadata.rawPayload": "true"})
        else:
            envelope = {
                "specversion": "1.0", "id": event_id, "source": "dapr-coder-smoke", "type": "smoke.sample",
                "datacontenttype": "application/json", "data": data,
            }  # fmt: skip
            response = await client.post(
                url, content=json.dumps(envelope), headers={"content-type": "application/cloudevents+json"}
            )
        ok = response.status_code in _OK
        report.add(app.app_id, f"publish a sample to {sub.pubsub}/{sub.topic}", f"HTTP {response.status_code}", ok)
        if ok:
            ids.append(event_id)
    return ids


# A Kafka record the smoke run wrote for one input binding: (app id, binding, topic, offset).
_Fed = tuple[str, str, str, int]


def _feed_kafka(running: Running, report: Report, app: AppPlan) -> list[_Fed]:
    """A sample message on each topic each of `app`'s Kafka input bindings reads, written to the stand-in's Kafka
    log as a producer would write it (tools/standin/kafka_feed.py): the binding's model as JSON, raw bytes without
    one. The binding's consumer group reads it like any record, so its route's answer shows in the flow; a binding
    whose consumer never joined its group (the app is not up) fails here."""
    spec = app.spec.endpoint_spec()
    models = {b.name: b.model for b in spec.bindings}
    joined = {c.name: c for c in running.pump.kafka.consumers if c.app_id == app.app_id}
    fed = []
    for component in app.spec.input_binding_components():
        if not isinstance(component.source, KafkaSource):
            continue
        consumer = joined.get(component.name)
        if consumer is None:
            report.add(app.app_id, f"kafka binding {component.name}", "no consumer reads its topics", False)
            continue
        model = models.get(component.name)
        value = json.dumps(samples.sample(spec.models, model)).encode() if model else b"dapr-coder smoke sample"
        for topic in consumer.topics:
            record = running.pump.kafka.log.append(topic, value, {"dapr-coder-smoke": component.name})
            what = f"write a sample to Kafka topic {topic} ({component.name})"
            report.add(app.app_id, what, f"offset {record.offset}, read by group {consumer.group}", True)
            fed.append((app.app_id, component.name, topic, record.offset))
    return fed


async def _jobs(client: httpx.AsyncClient, running: Running, report: Report, app: AppPlan) -> list[str]:
    names = []
    spec = app.spec.endpoint_spec()
    for job in spec.jobs:
        name = f"{job.name}-smoke" if job.prefix else job.name
        data = samples.sample(spec.models, job.model) if job.model else {"sample": True}
        url = f"http://127.0.0.1:{running.dapr_ports[app.app_id]}/v1.0-alpha1/jobs/{name}"
        response = await client.post(url, json={"dueTime": "0s", "data": data, "overwrite": True})
        ok = response.status_code in _OK
        report.add(app.app_id, f"schedule job {name} (due now)", f"HTTP {response.status_code}", ok)
        if ok:
            names.append(name)
    return names


async def _settle(running: Running) -> None:
    """Until no new event for _SETTLE_SECONDS and nothing is queued (at most _SETTLE_LIMIT seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _SETTLE_LIMIT
    last, quiet_since = running.flow.seq, loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        if running.flow.seq != last or running.pump.backlog():
            last, quiet_since = running.flow.seq, loop.time()
        elif loop.time() - quiet_since >= _SETTLE_SECONDS:
            return


def _judge(
    running: Running, report: Report, start: int, event_ids: set[str], job_names: set[str], fed: set[_Fed]
) -> None:
    """Every delivery, Kafka binding event and job firing since `start`: ours and what they set off."""
    fired: set[str] = set()
    posted: set[_Fed] = set()
    for e in running.flow.since(start):
        if e["kind"] == "kafka_binding":
            posted.add((e["app"], e["name"], e["topic"], e["offset"]))
            _judge_kafka(report, e, fed)
            continue
        if e["kind"] == "delivery":
            ok = e["outcome"] in ("delivered", "dropped")  # a RETRY that later succeeded shows in the statuses
            mine = " (the smoke sample)" if e["id"] in event_ids else ""
            what = f"event {e['pubsub']}/{e['topic']}{mine} -> POST {e['route'] or '(no route)'}"
            said = "" if ok or not e["body"] else f"; the app said: {e['body']}"
            report.add(e["app"], what, f"{e['answer']} (HTTP {', '.join(map(str, e['statuses']))}){said}", ok)
        elif e["kind"] == "job_fired" and (e["name"] in job_names or not e["retry"]):
            fired.add(e["name"])
            answer = f"HTTP {e['status']}" + (" (a retry)" if e["retry"] else "")
            if e["status"] not in _OK and e["body"]:
                answer += f"; the app said: {e['body']}"
            report.add(e["app"], f"job {e['name']} fired -> POST /job/{e['name']}", answer, e["status"] in _OK)
        elif e["kind"] == "publish" and e["dead_lettered_from"]:
            report.add("broker", f"dead letter on {e['topic']} from {e['dead_lettered_from']}", e["id"], False)
    for name in sorted(job_names - fired):
        report.add("scheduler", f"job {name}", "never fired", False)
    for app_id, name, topic, offset in sorted(fed - posted):
        report.add(app_id, f"kafka binding {name}: {topic} offset {offset}", "never posted to the route", False)


def _judge_kafka(report: Report, e: dict[str, Any], fed: set[_Fed]) -> None:
    """One Kafka record posted to an input binding's route: handled (committed) or not."""
    mine = " (the smoke sample)" if (e["app"], e["name"], e["topic"], e["offset"]) in fed else ""
    what = f"kafka binding {e['name']}: {e['topic']} offset {e['offset']}{mine} -> POST {e['route']}"
    report.add(e["app"], what, binding_answers(e), bool(e["committed"]))


async def smoke(running: Running) -> int:
    """Drive everything once and print the report; 0 when every check passed."""
    report = Report()
    console = running.pump.console
    console.standin("smoke: driving every public route, subscription, Kafka input binding and job")
    start = running.flow.seq
    event_ids: set[str] = set()
    job_names: set[str] = set()
    fed: set[_Fed] = set()
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        for app in running.plan.apps:
            await _routes(client, report, app, app.spec.endpoint_spec())
        for app in running.plan.apps:
            event_ids |= set(await _publish(client, running, report, app))
            job_names |= set(await _jobs(client, running, report, app))
            fed |= set(_feed_kafka(running, report, app))
    await _settle(running)
    _judge(running, report, start, event_ids, job_names, fed)
    for check in report.checks:
        console.standin(check.line())
    failed = report.failed
    console.standin(
        f"smoke: {len(report.checks)} checks, {len(failed)} failed"
        + ("" if not failed else ": " + "; ".join(f"{c.app_id} {c.what}" for c in failed))
    )
    return 1 if failed else 0
