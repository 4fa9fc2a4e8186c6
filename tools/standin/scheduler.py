"""When scheduled jobs fall due, and firing them (references/dapr-contract.md §9.1, §9.4).

The double's JobsBlock stores jobs and fires one on demand (``trigger``); this module adds the Scheduler's timing so a
test can move a clock forward and have every job due by then fire, in time order:

* ``dueTime``: RFC3339 instant, Go duration or ISO 8601 duration from the moment the job was scheduled; it is the
  first occurrence. Without ``schedule`` the job is one-shot.
* ``schedule``: ``@every <Go duration>``, ``@hourly`` ... ``@yearly``, or 6-field cron, seconds first (UTC; ``*``,
  ``?``, numbers, names, ranges, steps, lists). Without ``dueTime`` the first occurrence is the first one after the
  job was scheduled; with it, occurrences follow the schedule after ``dueTime``.
* ``repeats`` caps the number of occurrences; ``ttl`` (as ``dueTime``) ends the job. A job with no occurrence left is
  deleted, as the Scheduler does.
* A failed delivery (neither 2xx nor 404, §9.4) is redelivered per ``failurePolicy``: ``drop`` never, ``constant``
  every ``interval`` up to ``maxRetries`` times (for ever without it), no policy 3 times 1s apart. Retries do not count
  against ``repeats``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tools.standin import timeutil
from tools.standin.jobs import Job, JobsBlock, JobTrigger

_ISO_DURATION = re.compile(
    r"P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)
_MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
_MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (low, high, names) for second, minute, hour, day of month, month, day of week.
_FIELDS: tuple[tuple[int, int, Mapping[str, int]], ...] = (
    (0, 59, {}), (0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 7, _DAYS),
)  # fmt: skip
_HORIZON_YEARS = 5  # robfig/cron gives up after five years without a match too


class ScheduleError(ValueError):
    """A schedule the double cannot evaluate (``L``, ``W`` and ``#`` cron features)."""


def as_utc(moment: dt.datetime) -> dt.datetime:
    """An aware UTC instant (a naive one is taken as UTC, the Scheduler's zone)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def moment_of(text: str, base: dt.datetime) -> dt.datetime | None:
    """A ``dueTime``/``ttl`` value as an instant: absolute, or relative to ``base`` (§9.1)."""
    seconds = timeutil.parse_go_duration(text)
    if seconds is not None:
        return base + dt.timedelta(seconds=seconds)
    match = _ISO_DURATION.fullmatch(text)
    if match is not None:
        # Years and months have no fixed length; 365 and 30 days are close enough for a test clock.
        y, mo, w, d, h, mi = (int(g or 0) for g in match.groups()[:6])
        s = float(match.group(7) or 0)
        return base + dt.timedelta(days=365 * y + 30 * mo + 7 * w + d, hours=h, minutes=mi, seconds=s)
    moment = timeutil.parse_rfc3339(text)
    return None if moment is None else as_utc(moment)


def _cron_values(text: str, low: int, high: int, names: Mapping[str, int]) -> set[int]:
    def number(token: str) -> int:
        value = int(token) if token.isdigit() else names.get(token.upper())
        if value is None:
            raise ScheduleError(f"cron value {token!r} is not supported by the double (nor are L, W and #)")
        if not low <= value <= high:
            raise ScheduleError(f"cron value {token!r} out of range {low}-{high}")
        return value

    out: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        if step_text and (not step_text.isdigit() or int(step_text) == 0):
            raise ScheduleError(f"cron step {step_text!r} must be a positive number")
        step = int(step_text) if step_text else 1
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = number(start), number(end)
        else:
            first = number(span)
            last = high if step_text else first
        out.update(range(first, last + 1, step))
    return out


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed 6-field cron spec (robfig/cron semantics, as the Dapr Scheduler uses)."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day of month is * or ?
    any_weekday: bool

    @classmethod
    def parse(cls, spec: str) -> Cron:
        spec = _MACROS.get(spec, spec)
        parts = spec.split()
        if len(parts) != 6:
            raise ScheduleError(f"cron spec {spec!r} needs 6 fields, seconds first")
        sec, mins, hours, days, months, dows = (
            frozenset(_cron_values(p, *f)) for p, f in zip(parts, _FIELDS, strict=True)
        )
        star = ("*", "?")
        weekdays = frozenset(d % 7 for d in dows)  # 7 is Sunday too
        return cls(sec, mins, hours, days, months, weekdays, parts[3].startswith(star), parts[5].startswith(star))

    def _day_matches(self, moment: dt.datetime) -> bool:
        dom = moment.day in self.days
        dow = (moment.weekday() + 1) % 7 in self.weekdays
        # robfig/cron: when either field is a wildcard both must match, else either may.
        return dom and dow if self.any_day or self.any_weekday else dom or dow

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """The first matching second strictly after ``after``."""
        t = as_utc(after).replace(microsecond=0) + dt.timedelta(seconds=1)
        horizon = t.year + _HORIZON_YEARS
        while t.year <= horizon:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0, second=0) + dt.timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0, second=0) + dt.timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0, second=0) + dt.timedelta(hours=1)
            elif t.minute not in self.minutes:
                t = t.replace(second=0) + dt.timedelta(minutes=1)
            elif t.second not in self.seconds:
                t += dt.timedelta(seconds=1)
            else:
                return t
        return None


def _following(schedule: str, after: dt.datetime) -> dt.datetime | None:
    if schedule.startswith("@every "):
        every = timeutil.parse_go_duration(schedule[len("@every ") :].strip()) or 0.0
        return after + dt.timedelta(seconds=every) if every > 0 else None
    return Cron.parse(schedule).next_after(after)


def next_occurrence(job: Job, scheduled_at: dt.datetime) -> dt.datetime | None:
    """The occurrence after ``timing.last_due`` (the first without one), or None when the job is over."""
    timing = job.timing
    if job.repeats and timing.occurrences >= job.repeats:
        return None
    if timing.last_due is None:
        due = moment_of(job.due_time, scheduled_at) if job.due_time is not None else None
        if due is None and job.schedule is not None:
            due = _following(job.schedule, scheduled_at)
    else:
        due = _following(job.schedule, timing.last_due) if job.schedule is not None else None
    expiry = moment_of(job.ttl, scheduled_at) if job.ttl is not None else None
    if due is None or (expiry is not None and due > expiry):
        return None
    return due


def retry_policy(job: Job) -> tuple[float, int | None]:
    """(interval in seconds, retries or None for ever) after a failed delivery (§9.1 ``failurePolicy``).

    No policy (and 1.14/1.15, which have none): up to 4 deliveries about 1s apart. ``constant`` without an
    interval is taken as 1s (an assumption: the contract gives no default).
    """
    policy = job.failure_policy
    if policy is not None and "drop" in policy:
        return 0.0, 0
    constant = (policy or {}).get("constant")
    if constant is None:
        return 1.0, 3
    interval = str(constant.get("interval", "1s"))
    return float(interval.removesuffix("s")), constant.get("maxRetries")


@dataclass(slots=True)
class FiredJob:
    """One delivery of a job: which app's scheduler, which job, when it was due, what the app answered."""

    app_id: str
    name: str
    due: dt.datetime
    trigger: JobTrigger
    retry: bool = False  # a failure-policy redelivery rather than a new occurrence


class SchedulerLoopError(RuntimeError):
    """More deliveries fell due than the limit allows (retrying for ever, or a job rescheduling itself)."""


def _next_event(job: Job, fallback: dt.datetime) -> tuple[dt.datetime, bool] | None:
    if job.timing.retry_at is not None:
        return job.timing.retry_at, True
    due = next_occurrence(job, job.timing.scheduled_at or fallback)
    return None if due is None else (due, False)


async def fire_due(
    blocks: Mapping[str, JobsBlock],
    now: dt.datetime,
    *,
    limit: int = 1000,
    advance: Callable[[dt.datetime], None] | None = None,
) -> list[FiredJob]:
    """Fire every delivery due by ``now`` across ``blocks`` (app id -> its jobs), earliest first.

    Each job fires on its own app (§9: jobs belong to the app id that scheduled them; §9.4: ``POST /job/{name}``).
    A failed delivery is retried per the job's failure policy. ``advance`` moves the scheduler clock to each
    delivery's time before it is made, so a job scheduled from a callback counts from then; jobs scheduled or
    deleted by callbacks are seen at once.
    """
    now = as_utc(now)
    fired: list[FiredJob] = []
    while True:
        candidates: list[tuple[dt.datetime, str, str, bool]] = []
        for app_id, block in blocks.items():
            for name, job in block.jobs.items():
                event = _next_event(job, now)
                if event is not None and event[0] <= now:
                    candidates.append((event[0], app_id, name, event[1]))
        if not candidates:
            break
        if len(fired) >= limit:
            pending = ", ".join(sorted({f"{a}/{n}" for _, a, n, _ in candidates}))
            raise SchedulerLoopError(f"fire_due: more than {limit} deliveries due by {now.isoformat()} ({pending})")
        due, app_id, name, retry = min(candidates)
        block = blocks[app_id]
        job = block.jobs[name]
        timing = job.timing
        if advance is not None:
            advance(due)
        if retry:
            timing.retry_at = None
        else:
            timing.last_due, timing.occurrences, timing.failures = due, timing.occurrences + 1, 0
        trigger = await block.trigger(name)
        fired.append(FiredJob(app_id, name, due, trigger, retry))
        if trigger.outcome == "failed":
            timing.failures += 1
            interval, retries = retry_policy(job)
            if retries is None or timing.failures <= retries:
                timing.retry_at = due + dt.timedelta(seconds=interval)
        if _next_event(job, due) is None and block.jobs.get(name) is job:
            del block.jobs[name]  # the Scheduler deletes a job with nothing left to deliver
    for block in blocks.values():
        for name, job in list(block.jobs.items()):
            expiry = moment_of(job.ttl, job.timing.scheduled_at or now) if job.ttl is not None else None
            if expiry is not None and expiry <= now:
                del block.jobs[name]  # expired (§9.1 ttl)
    return fired
