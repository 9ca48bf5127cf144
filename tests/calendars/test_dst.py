"""Daylight-saving switches. Berlin: 2026-03-29 02:00 CET -> 03:00 CEST and
2026-10-25 03:00 CEST -> 02:00 CET, both Sundays. New York: 2026-03-08 02:00
EST -> 03:00 EDT. A wall time resolves to the first instant the clock reads it
or later (see meridian.calendars.calendar)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from meridian.calendars import BusinessCalendar
from tests.calendars.support import utc

BERLIN = ZoneInfo("Europe/Berlin")


def sunday_seconds(timezone: str, interval: list[str], day: date) -> float:
    cal = BusinessCalendar(timezone, {"sun": [interval]})
    zone = ZoneInfo(timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return cal.working_seconds_between(start, start + timedelta(days=2))


@pytest.mark.parametrize(
    ("timezone", "day", "interval", "hours"),
    [
        # The switch is at night: office days keep their length.
        ("Europe/Berlin", date(2026, 3, 29), ["09:00", "18:00"], 9),
        ("Europe/Berlin", date(2026, 10, 25), ["09:00", "18:00"], 9),
        ("America/New_York", date(2026, 3, 8), ["09:00", "17:00"], 8),
        # Whole days lose or gain the hour.
        ("Europe/Berlin", date(2026, 3, 29), ["00:00", "24:00"], 23),
        ("Europe/Berlin", date(2026, 10, 25), ["00:00", "24:00"], 25),
        ("America/New_York", date(2026, 3, 8), ["00:00", "24:00"], 23),
        # The gap lies inside the interval: 01:00 CET to 05:00 CEST is 3 hours.
        ("Europe/Berlin", date(2026, 3, 29), ["01:00", "05:00"], 3),
        # The repeated hour lies inside: 01:00 CEST to 04:00 CET is 4 hours.
        ("Europe/Berlin", date(2026, 10, 25), ["01:00", "04:00"], 4),
        # Same intervals a week later, no switch.
        ("Europe/Berlin", date(2026, 4, 5), ["01:00", "05:00"], 4),
        ("Europe/Berlin", date(2026, 11, 1), ["01:00", "04:00"], 3),
    ],
)
def test_length_of_a_switch_day(timezone: str, day: date, interval: list[str], hours: int) -> None:
    assert sunday_seconds(timezone, interval, day) == hours * 3600


def test_interval_inside_the_skipped_hour_is_empty_that_day() -> None:
    cal = BusinessCalendar("Europe/Berlin", {"sun": [["02:15", "02:45"]]})
    switch_day = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert cal.working_seconds_between(switch_day, switch_day + timedelta(days=1)) == 0
    # Next Sunday it exists again: 02:15 CEST is 00:15 UTC.
    assert cal.next_opening(switch_day) == utc(2026, 4, 5, 0, 15)


def test_opening_time_in_the_skipped_hour_opens_at_the_jump() -> None:
    cal = BusinessCalendar("Europe/Berlin", {"sun": [["02:30", "05:00"]]})
    # Clocks jump from 02:00 CET to 03:00 CEST at 01:00 UTC; that is the first
    # moment the clock reads 02:30 or later.
    assert cal.next_opening(datetime(2026, 3, 29, tzinfo=BERLIN)) == utc(2026, 3, 29, 1)
    assert cal.next_closing(utc(2026, 3, 29, 1)) == utc(2026, 3, 29, 3)


def test_new_york_opening_in_the_skipped_hour() -> None:
    cal = BusinessCalendar("America/New_York", {"sun": [["02:30", "03:30"]]})
    # 02:00 EST (07:00 UTC) jumps to 03:00 EDT; 03:30 EDT is 07:30 UTC.
    assert list(cal.open_intervals(utc(2026, 3, 8), utc(2026, 3, 9))) == [
        (utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30))
    ]


def test_repeated_hour_takes_its_first_occurrence() -> None:
    cal = BusinessCalendar("Europe/Berlin", {"sun": [["00:00", "02:30"]]})
    # Closes at the first 02:30 (CEST, 00:30 UTC), not the second (CET).
    first = datetime(2026, 10, 25, 2, 15, tzinfo=BERLIN, fold=0)
    second = datetime(2026, 10, 25, 2, 15, tzinfo=BERLIN, fold=1)
    assert cal.is_open(first)
    assert not cal.is_open(second)
    assert cal.next_closing(first) == utc(2026, 10, 25, 0, 30)
    opens = BusinessCalendar("Europe/Berlin", {"sun": [["02:30", "04:00"]]})
    assert opens.next_opening(datetime(2026, 10, 25, tzinfo=BERLIN)) == utc(2026, 10, 25, 0, 30)


def test_weekday_hours_follow_the_offset_change() -> None:
    nine_to_five = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    cal = BusinessCalendar("America/New_York", nine_to_five)
    assert cal.next_opening(utc(2026, 3, 6, 12)) == utc(2026, 3, 6, 14)  # Friday, EST
    assert cal.next_opening(utc(2026, 3, 6, 23)) == utc(2026, 3, 9, 13)  # Monday, EDT


def test_half_hour_switch_on_lord_howe_island() -> None:
    # 2026-10-04 02:00 +10:30 jumps to 02:30 +11:00 at 15:30 UTC the day before.
    cal = BusinessCalendar("Australia/Lord_Howe", {"sun": [["02:10", "03:00"]]})
    assert list(cal.open_intervals(utc(2026, 10, 3), utc(2026, 10, 4))) == [
        (utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16))
    ]
