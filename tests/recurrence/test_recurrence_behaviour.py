"""The rendered recurrence module, imported: calendar-correct steps, until, after/index, RRULEs, time zones."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.recurrence.conftest import Rendered

BERLIN = ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 9, tz: Any = UTC) -> datetime:
    return datetime(year, month, day, hour, tzinfo=tz)


def rec(rendered: Rendered, frequency: str = "monthly", **fields: Any) -> Any:
    return rendered.models.Recurrence(frequency=frequency, **fields)


def series(rendered: Rendered, anchor: datetime, recurrence: Any, count: int) -> list[datetime]:
    """The first `count` occurrences, each found from the one before it (as a service chains completions)."""
    found = [anchor]
    while len(found) < count:
        following = rendered.recurrence.next_occurrence(anchor, recurrence, after=found[-1])
        assert following is not None
        found.append(following)
    return found


# --- add_months ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2027, 1, 31), 1, at(2027, 2, 28)),
        (at(2028, 1, 31), 1, at(2028, 2, 29)),
        (at(2027, 3, 31), 1, at(2027, 4, 30)),
        (at(2027, 1, 15), 13, at(2028, 2, 15)),
        (at(2027, 3, 31), -1, at(2027, 2, 28)),
        (at(2027, 1, 31), -2, at(2026, 11, 30)),
        (at(2027, 12, 31), 0, at(2027, 12, 31)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(
    rendered: Rendered, start: datetime, months: int, expected: datetime
) -> None:
    assert rendered.recurrence.add_months(start, months) == expected


def test_add_months_keeps_time_and_tzinfo(rendered: Rendered) -> None:
    moved = rendered.recurrence.add_months(datetime(2027, 1, 31, 23, 45, 10, tzinfo=BERLIN), 1)
    assert (moved, moved.tzinfo) == (datetime(2027, 2, 28, 23, 45, 10, tzinfo=BERLIN), BERLIN)


def test_add_months_out_of_range_is_a_value_error(rendered: Rendered) -> None:
    with pytest.raises(ValueError, match="outside years 1 to 9999"):
        rendered.recurrence.add_months(at(9999, 12, 1), 1)


# --- fixed steps ------------------------------------------------------------------------------------------------


def test_monthly_from_the_31st_comes_back_to_the_31st(rendered: Rendered) -> None:
    monthly = rec(rendered)
    assert series(rendered, at(2027, 1, 31), monthly, 4) == [
        at(2027, 1, 31), at(2027, 2, 28), at(2027, 3, 31), at(2027, 4, 30)
    ]  # fmt: skip
    assert series(rendered, at(2028, 1, 31), monthly, 3) == [at(2028, 1, 31), at(2028, 2, 29), at(2028, 3, 31)]


def test_monthly_intervals(rendered: Rendered) -> None:
    every_2 = series(rendered, at(2027, 1, 31), rec(rendered, interval=2), 5)
    assert every_2 == [at(2027, 1, 31), at(2027, 3, 31), at(2027, 5, 31), at(2027, 7, 31), at(2027, 9, 30)]
    every_3 = series(rendered, at(2027, 11, 30), rec(rendered, interval=3), 4)
    assert every_3 == [at(2027, 11, 30), at(2028, 2, 29), at(2028, 5, 30), at(2028, 8, 30)]


def test_weekly_and_daily(rendered: Rendered) -> None:
    monday = at(2027, 1, 4)
    assert series(rendered, monday, rec(rendered, "weekly"), 3) == [monday, at(2027, 1, 11), at(2027, 1, 18)]
    assert series(rendered, monday, rec(rendered, "weekly", interval=2), 2) == [monday, at(2027, 1, 18)]
    assert series(rendered, at(2027, 12, 30), rec(rendered, "daily"), 4) == [
        at(2027, 12, 30), at(2027, 12, 31), at(2028, 1, 1), at(2028, 1, 2)
    ]  # fmt: skip
    assert series(rendered, at(2028, 2, 27), rec(rendered, "daily", interval=2), 2) == [
        at(2028, 2, 27), at(2028, 2, 29)
    ]  # fmt: skip


def test_daily_across_dst_keeps_the_wall_clock_in_a_zoneinfo_zone(rendered: Rendered) -> None:
    # Summer time starts in Berlin on 2027-03-28: 09:00 stays 09:00, and that day is 23 hours long.
    anchor = at(2027, 3, 27, tz=BERLIN)
    following = rendered.recurrence.next_occurrence(anchor, rec(rendered, "daily"), after=anchor)
    assert following == at(2027, 3, 28, tz=BERLIN)
    assert following.tzinfo is BERLIN
    assert following.utcoffset() == timedelta(hours=2)
    assert following.astimezone(UTC) - anchor.astimezone(UTC) == timedelta(hours=23)


def test_daily_with_a_fixed_offset_keeps_the_offset(rendered: Rendered) -> None:
    plus_one = timezone(timedelta(hours=1))
    anchor = at(2027, 3, 27, tz=plus_one)
    following = rendered.recurrence.next_occurrence(anchor, rec(rendered, "daily"), after=anchor)
    assert following == at(2027, 3, 28, tz=plus_one)
    assert following.utcoffset() == timedelta(hours=1)
    assert following.astimezone(BERLIN).hour == 10


def test_the_result_is_in_the_anchors_tzinfo_whatever_after_is_in(rendered: Rendered) -> None:
    anchor = at(2027, 1, 31, tz=BERLIN)
    following = rendered.recurrence.next_occurrence(anchor, rec(rendered), after=anchor.astimezone(UTC))
    assert following == at(2027, 2, 28, tz=BERLIN)
    assert following.tzinfo is BERLIN


# --- after, index, until ---------------------------------------------------------------------------------------


def test_after_later_than_several_occurrences_skips_to_the_first_after_it(rendered: Rendered) -> None:
    nxt = rendered.recurrence.next_occurrence
    monthly, anchor = rec(rendered), at(2027, 1, 31)
    assert nxt(anchor, monthly, after=at(2027, 6, 15)) == at(2027, 6, 30)
    assert nxt(anchor, monthly, after=at(2027, 7, 31)) == at(2027, 8, 31)  # strictly after
    assert nxt(anchor, monthly, after=at(2027, 7, 31) - timedelta(seconds=1)) == at(2027, 7, 31)
    assert nxt(anchor, rec(rendered, "daily", interval=3), after=at(2027, 3, 1)) == at(2027, 3, 2)  # day 30
    assert nxt(anchor, rec(rendered, "weekly"), after=at(2030, 1, 1, hour=12)) == at(2030, 1, 6)  # Sundays


def test_after_before_the_anchor_gives_the_anchor(rendered: Rendered) -> None:
    anchor = at(2027, 1, 31)
    assert rendered.recurrence.next_occurrence(anchor, rec(rendered), after=at(2026, 5, 1)) == anchor


def test_index_moves_past_an_occurrence_completed_early(rendered: Rendered) -> None:
    nxt = rendered.recurrence.next_occurrence
    monthly, anchor = rec(rendered), at(2027, 1, 31)
    early = at(2027, 1, 20)  # the first occurrence, completed before it was due
    assert nxt(anchor, monthly, after=early) == anchor
    assert nxt(anchor, monthly, after=early, index=0) == at(2027, 2, 28)
    assert nxt(anchor, monthly, after=early, index=2) == at(2027, 4, 30)
    assert nxt(anchor, monthly, after=at(2027, 6, 15), index=0) == at(2027, 6, 30)  # the later bound wins


def test_until_is_inclusive(rendered: Rendered) -> None:
    nxt = rendered.recurrence.next_occurrence
    anchor = at(2027, 1, 31)
    up_to_march = rec(rendered, until=at(2027, 3, 31))
    assert nxt(anchor, up_to_march, after=at(2027, 2, 28)) == at(2027, 3, 31)
    assert nxt(anchor, up_to_march, after=at(2027, 3, 31)) is None
    just_before = rec(rendered, until=at(2027, 3, 31) - timedelta(microseconds=1))
    assert nxt(anchor, just_before, after=at(2027, 2, 28)) is None
    in_new_york = rec(rendered, "daily", until=datetime(2027, 2, 1, 4, tzinfo=ZoneInfo("America/New_York")))
    assert nxt(anchor, in_new_york, after=anchor) == at(2027, 2, 1)  # 09:00 UTC is 04:00 in New York
    assert nxt(at(2027, 4, 1), up_to_march, after=at(2027, 1, 1)) is None  # anchored after until


def test_bad_arguments_are_value_errors(rendered: Rendered) -> None:
    nxt = rendered.recurrence.next_occurrence
    with pytest.raises(ValueError, match="anchor must be timezone-aware"):
        nxt(datetime(2027, 1, 31), rec(rendered), after=at(2027, 2, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="after must be timezone-aware"):
        nxt(at(2027, 1, 31), rec(rendered), after=datetime(2027, 2, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="index must be >= 0"):
        nxt(at(2027, 1, 31), rec(rendered), after=at(2027, 2, 1), index=-1)
    with pytest.raises(ValueError, match="interval >= 1"):
        rendered.recurrence.occurrence(at(2027, 1, 31), rendered.models.Frequency.DAILY, 0, 1)


def test_series_start_prefers_the_recurrences_start(rendered: Rendered) -> None:
    start = rendered.recurrence.series_start
    assert start(rec(rendered, start=at(2027, 1, 31)), at(2027, 2, 28)) == at(2027, 1, 31)
    assert start(rec(rendered), at(2027, 2, 28)) == at(2027, 2, 28)


# --- RRULE -----------------------------------------------------------------------------------------------------


def test_rrule_last_day_of_the_month(rendered: Rendered) -> None:
    last_day = rec(rendered, rrule="FREQ=MONTHLY;BYMONTHDAY=-1")
    assert series(rendered, at(2028, 1, 31), last_day, 4) == [
        at(2028, 1, 31), at(2028, 2, 29), at(2028, 3, 31), at(2028, 4, 30)
    ]  # fmt: skip
    # The anchor is not on the rule (dateutil's reading of DTSTART): the first occurrence is the month's end.
    assert rendered.recurrence.next_occurrence(at(2027, 2, 10), last_day, after=at(2027, 2, 10)) == at(2027, 2, 28)


def test_rrule_count_ends_the_series(rendered: Rendered) -> None:
    nxt = rendered.recurrence.next_occurrence
    anchor = at(2027, 1, 4, tz=BERLIN)  # a Monday
    for text in ("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3"):
        three = rec(rendered, "weekly", rrule=text)
        assert series(rendered, anchor, three, 3) == [anchor, at(2027, 1, 6, tz=BERLIN), at(2027, 1, 11, tz=BERLIN)]
        assert nxt(anchor, three, after=at(2027, 1, 11, tz=BERLIN)) is None
        assert nxt(anchor, three, after=at(2026, 1, 1), index=1) == at(2027, 1, 11, tz=BERLIN)
        assert nxt(anchor, three, after=at(2026, 1, 1), index=2) is None


def test_rrule_until_and_recurrence_until_both_end_the_series(rendered: Rendered) -> None:
    nxt = rendered.recurrence.next_occurrence
    anchor = at(2027, 1, 1)
    own_until = rec(rendered, "daily", rrule="FREQ=DAILY;UNTIL=20270103T090000Z")
    assert nxt(anchor, own_until, after=at(2027, 1, 2)) == at(2027, 1, 3)  # RFC 5545: UNTIL is inclusive
    assert nxt(anchor, own_until, after=at(2027, 1, 3)) is None
    model_until = rec(rendered, "daily", rrule="FREQ=DAILY", until=at(2027, 1, 2))
    assert nxt(anchor, model_until, after=at(2027, 1, 1)) == at(2027, 1, 2)
    assert nxt(anchor, model_until, after=at(2027, 1, 2)) is None


def test_rrule_replaces_frequency_and_interval(rendered: Rendered) -> None:
    biweekly = rec(rendered, "daily", interval=5, rrule="FREQ=WEEKLY;INTERVAL=2")
    assert rendered.recurrence.next_occurrence(at(2027, 1, 4), biweekly, after=at(2027, 1, 4)) == at(2027, 1, 18)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FREQ=SOMETIMES", r"invalid RRULE 'FREQ=SOMETIMES': invalid 'FREQ': SOMETIMES \(expected RFC 5545"),
        ("nonsense", r"invalid RRULE 'nonsense': "),
        ("FREQ=DAILY;FOO=1", r"invalid RRULE 'FREQ=DAILY;FOO=1': unknown parameter 'FOO'"),
        ("FREQ=DAILY;UNTIL=20270105", r"UNTIL values must be specified in UTC"),
        ("DTSTART:20270101T000000Z\nRRULE:FREQ=DAILY", r"remove the DTSTART line; the series starts at the anchor"),
        ("RRULE:FREQ=DAILY\nEXDATE:20270102T090000Z", r"give one RRULE, without RDATE or EXDATE lines"),
    ],
)
def test_an_invalid_rrule_is_a_value_error_naming_it(rendered: Rendered, text: str, message: str) -> None:
    with pytest.raises(ValueError, match="rrule"):  # the model refuses it where a task enters (a 422)
        rec(rendered, rrule=text)
    # ...and the recurrence module on its own, for a rule that reached it unchecked (a task stored before)
    unchecked = rendered.models.Recurrence.model_construct(frequency="monthly", interval=1, rrule=text)
    with pytest.raises(ValueError, match=message):
        rendered.recurrence.next_occurrence(at(2027, 1, 1), unchecked, after=at(2027, 1, 1))


# --- properties ------------------------------------------------------------------------------------------------

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)), BERLIN,
                          ZoneInfo("America/New_York")])  # fmt: skip
# hypothesis takes naive bounds and attaches the zones itself.
_ANCHORS = st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=_ZONES)  # noqa: DTZ001


@given(anchor=_ANCHORS, interval=st.integers(1, 24), offset=st.timedeltas(timedelta(days=-400), timedelta(days=6000)))
def test_monthly_property(rendered: Rendered, anchor: datetime, interval: int, offset: timedelta) -> None:
    after = anchor + offset
    recurrence = rec(rendered, interval=interval)
    found = rendered.recurrence.next_occurrence(anchor, recurrence, after=after)
    assert found is not None
    assert found > after
    assert found.tzinfo is anchor.tzinfo
    assert found.day == min(anchor.day, calendar.monthrange(found.year, found.month)[1])
    assert found.time() == anchor.time()
    months = (found.year - anchor.year) * 12 + found.month - anchor.month
    assert months % interval == 0
    # And it is the first one after `after`: the occurrence before it is not.
    if months > 0:
        assert rendered.recurrence.add_months(anchor, months - interval) <= after
