"""Jobs API (references/dapr-contract.md §9, §12.7, §17, pitfalls 8, 9, 10).

* Body parsed like protojson into ``JobHTTPRequest`` (unknown fields ignored, json_name or proto name accepted).
* ``name`` in the body -> 400 ``DAPR_SCHEDULER_JOB_NAME``; neither ``schedule`` nor ``dueTime`` -> 400
  ``DAPR_SCHEDULER_SCHEDULE_EMPTY``; negative ``repeats`` or a non-``"<n>s"`` constant interval -> 400.
* 1.16+: ``overwrite`` and ``failurePolicy`` exist and a duplicate name is 409; 1.14/1.15 silently replace.
* GET returns protojson with ``data`` wrapped as an Any holding a ``google.protobuf.Value``; a missing job is 500.
* A job scheduled without ``data`` is never delivered to an HTTP app before 1.18.3: :meth:`JobsBlock.trigger`
  refuses it with :class:`UndeliverableJobError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tools.standin import gojson, timeutil, wire
from tools.standin.core import AppChannel, AppResponse, SidecarConfig
from tools.standin.gojson import GoJSONError
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response

VALUE_TYPE = "type.googleapis.com/google.protobuf.Value"
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,\-LW#]+$")
_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_BAD_NAME = re.compile(r"[/\\#?\x00\n]")
MAX_NAME_LENGTH = 512  # 600 is rejected by the scheduler (§1.6); the contract gives no exact bound.


class UndeliverableJobError(RuntimeError):
    """The job has no ``data`` and this Dapr version cannot deliver it to an HTTP app (§9.1, §17)."""


@dataclass(slots=True)
class JobTrigger:
    status: int
    body: bytes
    outcome: Literal["success", "not_found", "failed"]


@dataclass(slots=True)
class JobTiming:
    """What the Scheduler tracks for one job; tools/standin/scheduler.py reads and advances it."""

    scheduled_at: dt.datetime | None = None  # the scheduler clock when accepted: relative dueTime/ttl count from it
    last_due: dt.datetime | None = None  # the last occurrence fired
    occurrences: int = 0  # occurrences fired, what `repeats` caps (retries are not occurrences)
    failures: int = 0  # failed deliveries of the last occurrence
    retry_at: dt.datetime | None = None  # the next delivery of a failed occurrence (§9.1 failure policy)


@dataclass(slots=True)
class Job:
    """A scheduled job as the scheduler stores it."""

    name: str
    schedule: str | None
    due_time: str | None
    repeats: int | None
    ttl: str | None
    data: Any
    has_data: bool
    failure_policy: dict[str, Any] | None = None
    overwrite: bool = False
    triggers: list[JobTrigger] = field(default_factory=list)
    timing: JobTiming = field(default_factory=JobTiming)

    def as_proto_json(self) -> gojson.Struct:
        out = gojson.Struct(name=self.name)
        if self.schedule is not None:
            out["schedule"] = self.schedule
        if self.repeats is not None:
            out["repeats"] = self.repeats
        if self.due_time is not None:
            out["dueTime"] = self.due_time
        if self.ttl is not None:
            out["ttl"] = self.ttl
        out["data"] = gojson.Struct({"@type": VALUE_TYPE, "value": self.data})
        if self.failure_policy is not None:
            out["failurePolicy"] = self.failure_policy
        return out


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    return obj[camel] if camel in obj else obj.get(snake)


def _opt_string(obj: dict[str, Any], camel: str, snake: str) -> str | None:
    value = _get(obj, camel, snake)
    if value is None or isinstance(value, str):
        return value
    raise GoJSONError(f"proto: invalid value for string field {camel}: {value!r}")


def _uint32(value: Any, name: str) -> int | None:
    if value is None:
        return None
    literal = value.literal if isinstance(value, gojson.Number) else value if isinstance(value, str) else None
    if literal is None:
        raise GoJSONError(f"proto: invalid value for uint32 field {name}: {value!r}")
    try:
        number = int(literal)
    except ValueError as exc:
        raise GoJSONError(f"proto: invalid value for uint32 field {name}: {literal}") from exc
    if not 0 <= number <= 0xFFFFFFFF:
        raise GoJSONError(f"proto: invalid value for uint32 field {name}: {literal}")
    return number


def _normalize_duration(text: str) -> str:
    """protojson prints a Duration with 0, 3, 6 or 9 fractional digits."""
    number = text[:-1]
    whole, _, frac = number.partition(".")
    frac = frac.rstrip("0")
    if not frac:
        return f"{whole}s"
    width = 3 if len(frac) <= 3 else 6 if len(frac) <= 6 else 9
    return f"{whole}.{frac.ljust(width, '0')}s"


def _failure_policy(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise GoJSONError("proto: invalid value for message field failurePolicy")
    if "drop" in raw:
        return {"drop": {}}
    constant = raw.get("constant")
    if constant is None:
        return {}
    if not isinstance(constant, dict):
        raise GoJSONError("proto: invalid value for message field constant")
    out: dict[str, Any] = {}
    interval = constant.get("interval")
    if interval is not None:
        if not isinstance(interval, str) or not _DURATION.match(interval):
            raise GoJSONError(f"proto: invalid google.protobuf.Duration value {interval!r}")
        out["interval"] = _normalize_duration(interval)
    retries = _uint32(_get(constant, "maxRetries", "max_retries"), "maxRetries")
    if retries is not None:
        out["maxRetries"] = retries
    return {"constant": out}


def _valid_schedule(text: str) -> bool:
    if text in _MACROS:
        return True
    if text.startswith("@every "):
        return (timeutil.parse_go_duration(text[len("@every ") :].strip()) or 0) > 0
    parts = text.split()
    return len(parts) == 6 and all(_CRON_FIELD.match(p) for p in parts)


def _valid_time(text: str) -> bool:
    return (
        timeutil.parse_go_duration(text) is not None
        or timeutil.parse_rfc3339(text) is not None
        or re.fullmatch(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", text) is not None
    )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JobsBlock:
    def __init__(self, config: SidecarConfig, channel: AppChannel, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.config = config
        self.channel = channel
        self.jobs: dict[str, Job] = {}
        self.clock = clock  # replaceable: a mesh advances one scheduler clock for all its sidecars

    def routes(self) -> list[Route]:
        versions = ["v1.0-alpha1"] + (["v1.0"] if self.config.at_least(18) else [])  # §17
        out: list[Route] = []
        for v in versions:
            out += [
                route(["POST"], f"/{v}/jobs/{{name}}", self.schedule, "ScheduleJob"),
                route(["GET"], f"/{v}/jobs/{{name}}", self.get, "GetJob"),
                route(["DELETE"], f"/{v}/jobs/{{name}}", self.delete, "DeleteJob"),
            ]
        return out

    def _meta(self) -> dict[str, str]:
        return {"appID": self.config.app_id, "namespace": self.config.namespace}

    def _schedule_error(self, status: int, message: str) -> Response:
        return wire.error(status, "DAPR_SCHEDULER_SCHEDULE_JOB", f"failed to schedule job due to: {message}",
                          reason="DAPR_SCHEDULER_SCHEDULE_JOB", metadata=self._meta())  # fmt: skip

    async def schedule(self, req: Request, params: dict[str, str]) -> Response:
        name = params["name"].strip()
        supports_policy = self.config.at_least(16)
        try:
            body: dict[str, Any] = {}
            if req.body:
                raw = gojson.decode_first(req.body, use_number=True)
                if not isinstance(raw, dict):
                    raise GoJSONError("proto: syntax error: expected JSON object")
                body = raw
            body_name = _opt_string(body, "name", "name")
            schedule = _opt_string(body, "schedule", "schedule")
            due_time = _opt_string(body, "dueTime", "due_time")
            ttl = _opt_string(body, "ttl", "ttl")
            repeats = _uint32(body.get("repeats"), "repeats")
            overwrite = body.get("overwrite") if supports_policy else None
            if overwrite is not None and not isinstance(overwrite, bool):
                raise GoJSONError(f"proto: invalid value for bool field overwrite: {overwrite!r}")
            policy = _failure_policy(_get(body, "failurePolicy", "failure_policy")) if supports_policy else None
        except GoJSONError as exc:
            return wire.error(400, "ERR_MALFORMED_REQUEST", f"failed deserializing HTTP body: {exc}")
        if body_name:
            return wire.error(400, "DAPR_SCHEDULER_JOB_NAME", "Set the job name in the url only",
                              reason="DAPR_SCHEDULER_JOB_NAME", metadata={"appID": self.config.app_id})  # fmt: skip
        if schedule is None and due_time is None:
            return wire.error(400, "DAPR_SCHEDULER_SCHEDULE_EMPTY", "Schedule is empty",
                              reason="DAPR_SCHEDULER_SCHEDULE_EMPTY", metadata=self._meta())  # fmt: skip
        if _BAD_NAME.search(name) or len(name) > MAX_NAME_LENGTH:
            return self._schedule_error(400, f"invalid job name {name!r}")
        if schedule is not None and not _valid_schedule(schedule):
            return self._schedule_error(400, f"invalid schedule {schedule!r}")
        for label, value in (("dueTime", due_time), ("ttl", ttl)):
            if value is not None and not _valid_time(value):
                return self._schedule_error(400, f"invalid {label} {value!r}")
        if name in self.jobs and supports_policy and not overwrite:
            return self._schedule_error(409, f"job {name} already exists")
        if supports_policy and policy is None:
            # The Scheduler keeps its default policy (constant, 1s, 3 retries), and GET shows it (seen on daprd
            # 1.18.3: tests/differential).
            policy = gojson.Struct({"constant": gojson.Struct({"interval": "1s", "maxRetries": 3})})
        has_data = "data" in body
        data = gojson.to_float64(body["data"]) if has_data else None
        self.jobs[name] = Job(
            name,
            schedule,
            due_time,
            repeats,
            ttl,
            data,
            has_data,
            policy,
            bool(overwrite),
            timing=JobTiming(self.clock()),
        )
        return wire.empty()

    async def get(self, req: Request, params: dict[str, str]) -> Response:
        job = self.jobs.get(params["name"])
        if job is None:
            message = f"failed to get job due to: job not found: {params['name']}"
            return wire.error(
                500, "DAPR_SCHEDULER_GET_JOB", message, reason="DAPR_SCHEDULER_GET_JOB", metadata=self._meta()
            )
        if not job.has_data:
            # The stored Any holds an empty Value; protojson cannot render it (inferred from the code, see report).
            return wire.error(500, "ERR_INTERNAL", "failed to encode response as JSON: "
                              "google.protobuf.Value: none of the oneof fields is set")  # fmt: skip
        return wire.proto_json(200, job.as_proto_json())

    async def delete(self, req: Request, params: dict[str, str]) -> Response:
        self.jobs.pop(params["name"], None)  # deleting an unknown job is a success (§9.3)
        return wire.empty()

    def delivers_without_data(self) -> bool:
        """Whether this version delivers data-less HTTP jobs (fixed in v1.18.3, §9.1/§17)."""
        return self.config.at_least(18, 3)

    async def trigger(self, name: str) -> JobTrigger:
        """Fire a job now: ``POST /job/{name}`` with the raw ``data`` JSON (§9.4)."""
        job = self.jobs[name]
        if not job.has_data and not self.delivers_without_data():
            raise UndeliverableJobError(
                f"job {name!r} was scheduled without 'data': Dapr {'.'.join(map(str, self.config.version[:2]))} "
                "never delivers it to an HTTP app (fixed in v1.18.3)"
            )
        body = gojson.marshal_proto_value(job.data) if job.has_data else b""
        answer: AppResponse = await self.channel.call(
            "POST", f"/job/{name}", [("content-type", "application/json")], body
        )
        outcome: Literal["success", "not_found", "failed"]
        if 200 <= answer.status <= 299:
            outcome = "success"
        elif answer.status == 404:
            outcome = "not_found"
        else:
            outcome = "failed"
        result = JobTrigger(answer.status, answer.body, outcome)
        job.triggers.append(result)
        one_shot = job.schedule is None and (job.repeats or 1) <= len(job.triggers)
        if outcome != "failed" and one_shot:
            self.jobs.pop(name, None)
        return result
