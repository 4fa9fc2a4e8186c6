"""When a recurring task is due next.

A series starts at its anchor (the first due date: RFC 5545's DTSTART) and repeats
every `interval` days, weeks or calendar months, or as an RFC 5545 recurrence rule
says (RFC 5545 section 3.3.10, "Recurrence Rule"; read with python-dateutil's
`rrulestr`, https://dateutil.readthedocs.io/en/stable/rrule.html).

Occurrence n is always computed from the anchor, never from occurrence n - 1: a
monthly series anchored on January 31 is due on February 28 (29 in a leap year) and
then on March 31 again, not on March 28. So keep the anchor for the life of the
series (`Recurrence.start`, see `series_start`), not only the latest due date.

Times are wall-clock times in the anchor's time zone: stepping by days keeps the
anchor's tzinfo and local time of day. Across a daylight-saving change that means:

- with a `zoneinfo.ZoneInfo` zone, 09:00 stays 09:00 local time (the day in between
  lasts 23 or 25 hours); a wall time that falls in a gap or a fold gets the offset
  that `fold=0` gives it (PEP 495);
- with a fixed offset (`datetime.timezone`) the offset never changes: 09:00+01:00
  stays 09:00+01:00, which a reader in a zone with summer time sees as 10:00.

RRULE occurrences follow the same wall-clock rule (dateutil builds them in the
anchor's tzinfo).

`Recurrence` and `Frequency` come from the `events` module.
"""

import calendar
import itertools
from datetime import MAXYEAR, MINYEAR, datetime, timedelta

from dateutil.rrule import rrule, rrulestr

from .events import Frequency, Recurrence


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by `months` calendar months (back when negative), its day clamped
    to the last day of the month it lands in.

    January 31 + 1 month is February 28 (February 29 in a leap year), March 31 + 1
    month is April 30; any day that exists in the target month is kept. Time of day
    and tzinfo are kept. Raises ValueError when the result is before year 1 or after
    year 9999.
    """
    years, month_index = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + years, month_index + 1
    if not MINYEAR <= year <= MAXYEAR:
        msg = f"{moment.isoformat()} + {months} months is outside years 1 to 9999"
        raise ValueError(msg)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def occurrence(
    anchor: datetime, frequency: Frequency, interval: int, n: int
) -> datetime:
    """Occurrence `n` of a series that starts at `anchor` (occurrence 0).

    It is `n * interval` days, weeks (7 days) or calendar months (see `add_months`)
    after the anchor, counted in the anchor's time zone. Raises ValueError for an
    interval below 1 or a negative n, and OverflowError or ValueError past year 9999.
    """
    if interval < 1 or n < 0:
        msg = f"need interval >= 1 and n >= 0, got interval={interval}, n={n}"
        raise ValueError(msg)
    if frequency == Frequency.MONTHLY:
        return add_months(anchor, n * interval)
    days = 7 if frequency == Frequency.WEEKLY else 1
    # An aware datetime plus a timedelta is wall-clock arithmetic in its own tzinfo.
    return anchor + timedelta(days=n * interval * days)


def parse_rrule(text: str, anchor: datetime) -> rrule:
    """The RFC 5545 RRULE `text` as a dateutil rule whose series starts at `anchor`.

    `text` is the rule's value, such as "FREQ=MONTHLY;BYMONTHDAY=-1", with or without
    the "RRULE:" name in front. COUNT and UNTIL end the series; UNTIL must be in UTC
    (a "Z" suffix) because the anchor is timezone-aware (RFC 5545 section 3.3.10).

    The series start is always `anchor`: a DTSTART line is refused, because dateutil
    would let it replace the anchor, and the rule and the task's due dates would then
    describe different series. RDATE, EXDATE and further RRULE lines are refused too.
    As dateutil documents, the anchor is itself an occurrence only when it matches
    the rule (RFC 5545 counts DTSTART as the first instance whatever the rule says).

    Raises ValueError naming the rule and what is wrong with it.
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if any(line.upper().startswith("DTSTART") for line in lines):
        msg = (
            f"invalid RRULE {text!r}: remove the DTSTART line; the series starts at"
            f" the anchor ({anchor.isoformat()})"
        )
        raise ValueError(msg)
    try:
        parsed = rrulestr(text, dtstart=anchor)
    except (ValueError, TypeError, OverflowError) as exc:
        msg = (
            f"invalid RRULE {text!r}: {exc} (expected RFC 5545 rule parts such as"
            " 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE')"
        )
        raise ValueError(msg) from exc
    if not isinstance(parsed, rrule):
        msg = f"invalid RRULE {text!r}: give one RRULE, without RDATE or EXDATE lines"
        raise ValueError(msg)
    return parsed


def series_start(recurrence: Recurrence, due_at: datetime) -> datetime:
    """The anchor of a task's series: `recurrence.start` when it is set, else `due_at`.

    Pass the first due date as `due_at`; or, when creating the next task of a series,
    set `start` to the anchor, so that later occurrences are still counted from it.
    """
    return recurrence.start if recurrence.start is not None else due_at


def next_occurrence(
    anchor: datetime,
    recurrence: Recurrence,
    *,
    after: datetime,
    index: int | None = None,
) -> datetime | None:
    """The first occurrence of the series strictly after `after`, or None when the
    series is over.

    - `anchor`: where the series starts (occurrence 0; RFC 5545's DTSTART), see
      `series_start`. The result is in the anchor's tzinfo.
    - `after`: the due date of the occurrence just completed, or the moment it was
      completed; in any time zone. Occurrences at or before it are skipped, however
      many there are.
    - `index`: the number of the occurrence just completed, when the caller counts
      them (0 is the anchor; with an RRULE, the position among the occurrences
      dateutil yields). The result is then also a later occurrence than that one, so
      a task completed before its due date moves on instead of coming back.
    - The series is over when the next occurrence would fall after `recurrence.until`
      (inclusive: an occurrence exactly at `until` still counts, as with RFC 5545's
      UNTIL), or, with an RRULE, when its own COUNT or UNTIL ends it.

    `recurrence.rrule`, when set, replaces `frequency` and `interval` (see
    `parse_rrule`). Raises ValueError for a naive datetime, a negative index or an
    invalid RRULE.
    """
    for name, value in (("anchor", anchor), ("after", after)):
        if value.utcoffset() is None:
            msg = f"{name} must be timezone-aware, got {value.isoformat()}"
            raise ValueError(msg)
    if index is not None and index < 0:
        msg = f"index must be >= 0, got {index}"
        raise ValueError(msg)
    lowest = 0 if index is None else index + 1
    if recurrence.rrule is not None:
        rule = parse_rrule(recurrence.rrule, anchor)
        found = _next_by_rule(rule, after=after, lowest=lowest)
    else:
        found = _next_by_step(
            anchor,
            recurrence.frequency,
            recurrence.interval,
            after=after,
            lowest=lowest,
        )
    if found is None or (recurrence.until is not None and found > recurrence.until):
        return None
    return found


def _next_by_step(
    anchor: datetime,
    frequency: Frequency,
    interval: int,
    *,
    after: datetime,
    lowest: int,
) -> datetime:
    """The first occurrence numbered `lowest` or more that is strictly after `after`."""
    local = after.astimezone(anchor.tzinfo)
    if frequency == Frequency.MONTHLY:
        units = (local.year - anchor.year) * 12 + local.month - anchor.month
    else:
        days = (local.replace(tzinfo=None) - anchor.replace(tzinfo=None)).days
        units = days // 7 if frequency == Frequency.WEEKLY else days
    # A guess within a step or so of the answer, however far `after` is; then exact.
    n = max(lowest, units // interval)
    while n > lowest and occurrence(anchor, frequency, interval, n - 1) > after:
        n -= 1
    while (found := occurrence(anchor, frequency, interval, n)) <= after:
        n += 1
    return found


def _next_by_rule(rule: rrule, *, after: datetime, lowest: int) -> datetime | None:
    """The first occurrence numbered `lowest` or more that is strictly after `after`."""
    # Occurrences only grow, so that is the later of the two bounds met separately.
    first_after = rule.after(after)
    numbered = next(itertools.islice(rule, lowest, None), None)
    if first_after is None or numbered is None:
        return None
    return max(first_after, numbered)
