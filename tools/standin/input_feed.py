"""Cron input bindings on the stand-in: each app's cron components (its spec's input bindings with a `cron` source)
fire at their schedule, as components-contrib bindings/cron does under daprd: `POST /<route>` with an empty body and
the `timeZone` and `readTimeUTC` metadata as headers, no OPTIONS probe first (the generated component says
`direction: input`; references/dapr-contract.md §18.8). Kafka input bindings: tools/standin/kafka_feed.py.

The schedule grammar is robfig/cron's as the binding parses it (optional seconds field first, descriptors such as
`@daily`, `@every <duration>`), on the local clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["CronBinding", "CronFeed", "CronSchedule", "ScheduleError"]

_DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *", "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
}  # fmt: skip
# (lowest, highest) of second, minute, hour, day of month, month, day of week
_RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_NAMES = {
    4: {
        m: i + 1
        for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
    },
    5: {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
}
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class ScheduleError(ValueError):
    """A schedule bindings.cron would refuse."""


def _duration(text: str) -> float:
    parts = re.findall(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ScheduleError(f"not a duration: {text!r}")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ScheduleError(f"not a positive duration: {text!r}")
    return seconds


def _field(text: str, index: int) -> tuple[frozenset[int], bool]:
    """The values one field allows, and whether it was `*` (or `?`) without a step."""
    low, high = _RANGES[index]
    values: set[int] = set()
    names = _NAMES.get(index, {})

    def number(token: str) -> int:
        value = names.get(token.lower()) if token.lower() in names else int(token) if token.isdigit() else None
        if value is None or not low <= value <= high:
            raise ScheduleError(f"{token!r} is out of range {low}-{high}")
        return value

    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ScheduleError(f"bad step in {part!r}")
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = number(a), number(b)
        else:
            first = number(span)
            last = high if step else first
        if first > last:
            raise ScheduleError(f"bad range {part!r}")
        values.update(range(first, last + 1, step or 1))
    return frozenset(values), text in ("*", "?")


@dataclass(frozen=True)
class CronSchedule:
    """One schedule: `every` seconds, or the allowed values of each of the six fields."""

    text: str
    every: int | None = None  # seconds
    fields: tuple[frozenset[int], ...] = ()
    any_day_of_month: bool = True
    any_day_of_week: bool = True

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        spec = text.strip()
        if spec.startswith("@every "):
            # robfig/cron's Every: whole seconds, at least one
            return cls(text, every=max(1, int(_duration(spec.removeprefix("@every ").strip()))))
        spec = _DESCRIPTORS.get(spec, spec)
        if spec.startswith("@"):
            raise ScheduleError(f"unknown descriptor {spec!r}")
        parts = spec.split()
        if len(parts) == 5:
            parts = ["0", *parts]
        if len(parts) != 6:
            raise ScheduleError(f"expected 5 or 6 fields, got {len(parts)}: {text!r}")
        parsed = [_field(p, i) for i, p in enumerate(parts)]
        return cls(text, None, tuple(v for v, _ in parsed), parsed[3][1], parsed[5][1])

    def _day_matches(self, t: dt.datetime) -> bool:
        dom = t.day in self.fields[3]
        dow = (t.isoweekday() % 7) in self.fields[5]
        if self.any_day_of_month or self.any_day_of_week:
            return dom and dow
        return dom or dow  # both restricted: either one (robfig/cron dayMatches)

    def next_after(self, after: dt.datetime) -> dt.datetime:
        """The first fire time strictly after `after` (local time, see `local_now`)."""
        if self.every is not None:
            return after.replace(microsecond=0) + dt.timedelta(seconds=self.every)
        seconds, minutes, hours, _, months, _ = self.fields
        t = after.replace(microsecond=0) + dt.timedelta(seconds=1)
        limit = after + dt.timedelta(days=5 * 366)
        while t <= limit:
            if t.month not in months:
                t = (t.replace(day=1, hour=0, minute=0, second=0) + dt.timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0, second=0) + dt.timedelta(days=1)
            elif t.hour not in hours:
                t = t.replace(minute=0, second=0) + dt.timedelta(hours=1)
            elif t.minute not in minutes:
                t = t.replace(second=0) + dt.timedelta(minutes=1)
            elif t.second not in seconds:
                t += dt.timedelta(seconds=1)
            else:
                return t
        raise ScheduleError(f"{self.text!r} never fires")


@dataclass
class CronBinding:
    """One app's cron component, with its next fire time."""

    app_id: str
    name: str
    route: str
    schedule: CronSchedule
    due: dt.datetime


@dataclass
class CronFeed:
    """The cron bindings of the apps that are up: `due(now)` takes those whose time has come and sets their next."""

    bindings: list[CronBinding] = field(default_factory=list)

    def add(self, app_id: str, name: str, route: str, schedule: str, now: dt.datetime) -> CronBinding:
        parsed = CronSchedule.parse(schedule)
        binding = CronBinding(app_id, name, route, parsed, parsed.next_after(now))
        self.bindings.append(binding)
        return binding

    def remove_app(self, app_id: str) -> None:
        self.bindings = [b for b in self.bindings if b.app_id != app_id]

    def due(self, now: dt.datetime) -> Iterable[CronBinding]:
        """Each binding due at `now`, once (a schedule missed by more than one tick fires once, as robfig/cron's
        runner does after a stall)."""
        for binding in self.bindings:
            if binding.due <= now:
                binding.due = binding.schedule.next_after(now)
                yield binding


def local_now() -> dt.datetime:
    """The clock the schedules run on: local time, as the binding's cron runs in time.Local."""
    return dt.datetime.now().astimezone()


def metadata(now_utc: dt.datetime) -> dict[str, str]:
    """The headers of a tick: the cron's location and the read time as Go's time.Time String prints it."""
    stamp = now_utc.strftime("%Y-%m-%d %H:%M:%S.%f") + "000 +0000 UTC"
    return {"timeZone": "Local", "readTimeUTC": stamp}
