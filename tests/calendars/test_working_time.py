"""Business time arithmetic used for SLA due dates."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.calendars import BusinessCalendar
from tests.calendars.support import utc

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in WEEKDAYS}


def test_due_time_across_weekend_dst_switch_and_easter_holidays() -> None:
    cal = BusinessCalendar("Europe/Berlin", NINE_TO_FIVE, {"country": "DE", "subdivision": "BE"})
    start = datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN)  # Friday, 15:00 UTC
    # Friday 27 16:00-17:00 CET                       1 h   (34 h left)
    # Sat 28, Sun 29 (clocks go forward)               0 h
    # Mon 30 - Thu 2 April, 09:00-17:00 CEST      4 x 8 h   ( 2 h left)
    # Good Friday 3, weekend 4-5, Easter Monday 6      0 h
    # Tuesday 7 April 09:00-11:00 CEST                 2 h   -> 11:00 CEST = 09:00 UTC
    due = cal.add_working_time(start, 35 * 3600)
    assert due == utc(2026, 4, 7, 9)
    assert cal.working_seconds_between(start, due) == 35 * 3600


def test_budget_ending_at_a_closing_gives_that_closing() -> None:
    cal = BusinessCalendar("Europe/Berlin", NINE_TO_FIVE)
    friday = datetime(2026, 6, 12, 9, 0, tzinfo=BERLIN)
    assert cal.add_working_time(friday, 8 * 3600) == utc(2026, 6, 12, 15)
    assert cal.add_working_time(friday, 8 * 3600 + 1) == utc(2026, 6, 15, 7, 0, 1)
    assert cal.add_working_time(friday, 0) == friday


def test_thirty_days_of_business_time_is_computed_day_by_day() -> None:
    cal = BusinessCalendar("Europe/Berlin", NINE_TO_FIVE)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN)  # Monday
    began = time.perf_counter()
    due = cal.add_working_time(start, 30 * 86400)
    elapsed = time.perf_counter() - began
    # 720 h are 90 eight-hour days, 18 whole weeks: Friday 8 May, 17:00 CEST.
    assert due == utc(2026, 5, 8, 15)
    # Per-minute stepping would take ~175,000 steps; per-day takes ~125.
    assert elapsed < 0.5


CALENDARS = {
    "berlin-lunch-holidays": BusinessCalendar(
        "Europe/Berlin",
        {day: [["09:00", "12:30"], ["13:30", "18:00"]] for day in WEEKDAYS},
        {"country": "DE", "subdivision": "BE", "closed": ["2026-12-24"], "open": ["2026-05-01"]},
    ),
    "new-york-nights-and-sundays": BusinessCalendar(
        "America/New_York",
        {"fri": [["22:00", "06:00"]], "sat": [["06:00", "10:00"]], "sun": [["01:30", "24:00"]]},
        {"country": "US"},
    ),
    "shanghai-weekdays": BusinessCalendar(
        "Asia/Shanghai", {day: [["09:00", "18:00"]] for day in WEEKDAYS}, {"country": "CN"}
    ),
    "always-open": BusinessCalendar("America/Mexico_City"),
}
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
# Whole microseconds, the resolution of datetime, up to 60 days of business time.
budgets = st.integers(min_value=0, max_value=60 * 86400 * 10**6).map(lambda us: us / 10**6)


@pytest.mark.parametrize("name", CALENDARS)
@settings(max_examples=60, deadline=None)
@given(start=instants, seconds=budgets)
def test_working_seconds_undo_add_working_time(name: str, start: datetime, seconds: float) -> None:
    cal = CALENDARS[name]
    due = cal.add_working_time(start, seconds)
    assert due >= start
    assert cal.working_seconds_between(start, due) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize("name", CALENDARS)
@settings(max_examples=60, deadline=None)
@given(start=instants, span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
def test_add_working_time_undoes_working_seconds(name: str, start: datetime, span: timedelta) -> None:
    cal = CALENDARS[name]
    end = start + span
    due = cal.add_working_time(start, cal.working_seconds_between(start, end))
    # ``end`` may fall in closed time; the due time is then the last closing
    # before it, with no business time between the two.
    assert start <= due <= end
    assert cal.working_seconds_between(due, end) == 0
    if cal.is_open(end) and due != end:
        # Only when ``end`` is exactly an opening: ``due`` is the closing before it.
        assert cal.next_opening(due) == end
