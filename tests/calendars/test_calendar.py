"""Opening hours of teams around the world; instants are written in local time
and compared in UTC, so a wrong offset shows up as a wrong hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from meridian.calendars import BusinessCalendar, NeverOpenError, public_holidays
from tests.calendars.support import utc

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MEXICO_CITY = ZoneInfo("America/Mexico_City")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
LUNCH_BREAK = {day: [["09:00", "12:30"], ["13:30", "18:00"]] for day in WEEKDAYS}
NINE_TO_SIX = {day: [["09:00", "18:00"]] for day in WEEKDAYS}


def berlin_team(**holidays: object) -> BusinessCalendar:
    return BusinessCalendar("Europe/Berlin", LUNCH_BREAK, {"country": "DE", **holidays})


# Berlin, summer time (UTC+2), Wednesday 2026-06-10.
def test_berlin_lunch_break() -> None:
    cal = berlin_team(subdivision="BE")
    assert cal.is_open(datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN))
    assert cal.is_open(datetime(2026, 6, 10, 12, 29, tzinfo=BERLIN))
    assert not cal.is_open(datetime(2026, 6, 10, 12, 30, tzinfo=BERLIN))
    assert not cal.is_open(datetime(2026, 6, 10, 8, 59, tzinfo=BERLIN))
    lunch = datetime(2026, 6, 10, 12, 45, tzinfo=BERLIN)
    assert cal.next_opening(lunch) == utc(2026, 6, 10, 11, 30)
    assert cal.next_closing(lunch) == lunch
    assert cal.next_closing(datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN)) == utc(2026, 6, 10, 10, 30)
    assert list(cal.open_intervals(utc(2026, 6, 10), utc(2026, 6, 11))) == [
        (utc(2026, 6, 10, 7, 0), utc(2026, 6, 10, 10, 30)),
        (utc(2026, 6, 10, 11, 30), utc(2026, 6, 10, 16, 0)),
    ]
    assert cal.working_seconds_between(utc(2026, 6, 10), utc(2026, 6, 11)) == 8 * 3600


def test_results_are_utc_and_open_at_returns_the_same_instant() -> None:
    cal = berlin_team()
    at = datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN)
    opening = cal.next_opening(at)
    assert opening == at
    assert opening is not None and opening.tzinfo is UTC


def test_weekend_is_closed() -> None:
    cal = berlin_team()
    saturday = datetime(2026, 6, 13, 11, 0, tzinfo=BERLIN)
    assert not cal.is_open(saturday)
    assert cal.next_opening(saturday) == utc(2026, 6, 15, 7, 0)  # Monday 09:00 CEST
    assert cal.working_seconds_between(utc(2026, 6, 12, 14), utc(2026, 6, 15, 8)) == 3 * 3600


def test_german_public_holiday_closes_the_whole_day() -> None:
    cal = berlin_team(subdivision="BE")
    assert not cal.is_open(datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN))  # Christmas, a Friday
    # Christmas Eve is a working day in Germany; after it, Friday is a holiday and
    # Saturday a weekend day anyway: back on Monday 28th at 09:00 CET.
    assert cal.is_open(datetime(2026, 12, 24, 10, 0, tzinfo=BERLIN))
    assert cal.next_opening(datetime(2026, 12, 24, 19, 0, tzinfo=BERLIN)) == utc(2026, 12, 28, 8)


def test_berlin_only_holiday_on_international_womens_day() -> None:
    every_day = {day: [["09:00", "17:00"]] for day in (*WEEKDAYS, "sat", "sun")}
    sunday = datetime(2026, 3, 8, 12, 0, tzinfo=BERLIN)
    berlin = BusinessCalendar("Europe/Berlin", every_day, {"country": "DE", "subdivision": "BE"})
    bavaria = BusinessCalendar("Europe/Berlin", every_day, {"country": "DE", "subdivision": "BY"})
    assert not berlin.is_open(sunday)
    assert bavaria.is_open(sunday)


def test_custom_closed_and_open_days() -> None:
    cal = berlin_team(subdivision="BE", closed=["2026-12-24"], open=["2026-12-25", "2026-12-26"])
    assert not cal.is_open(datetime(2026, 12, 24, 10, 0, tzinfo=BERLIN))
    assert cal.is_open(datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN))
    # "open" cancels the holiday only: the 26th is a Saturday, which has no hours.
    assert not cal.is_open(datetime(2026, 12, 26, 10, 0, tzinfo=BERLIN))


def test_closed_days_without_a_country() -> None:
    cal = BusinessCalendar("Europe/Berlin", LUNCH_BREAK, {"closed": ["2026-06-10"]})
    assert not cal.is_open(datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN))
    assert cal.is_open(datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN))


def test_shanghai_team_and_golden_week() -> None:
    cal = BusinessCalendar("Asia/Shanghai", NINE_TO_SIX, {"country": "CN"})
    assert cal.next_closing(datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI)) == utc(2026, 6, 10, 10)
    assert cal.working_seconds_between(utc(2026, 6, 8), utc(2026, 6, 15)) == 45 * 3600
    # National Day holidays run Thursday 1 to Wednesday 7 October 2026 (with the
    # weekend between): the team is back on Thursday 8th at 09:00 (01:00 UTC).
    eve = datetime(2026, 9, 30, 19, 0, tzinfo=SHANGHAI)
    assert cal.next_opening(eve) == utc(2026, 10, 8, 1)


def test_mexico_city_has_no_daylight_saving_time_since_2022() -> None:
    cal = BusinessCalendar("America/Mexico_City", NINE_TO_SIX, {"country": "MX"})
    # 09:00 is 15:00 UTC in winter and in summer alike (it was 14:00 in summer before).
    assert cal.next_opening(utc(2026, 1, 14, 12)) == utc(2026, 1, 14, 15)
    assert cal.next_opening(utc(2026, 7, 1, 12)) == utc(2026, 7, 1, 15)
    # Constitution Day, first Monday of February, is a holiday.
    saturday = datetime(2026, 1, 31, 19, 0, tzinfo=MEXICO_CITY)
    assert cal.next_opening(saturday) == utc(2026, 2, 3, 15)
    # The old first-Sunday-of-April switch day is 24 hours long.
    sundays = BusinessCalendar("America/Mexico_City", {"sun": [["00:00", "24:00"]]})
    start = datetime(2026, 4, 5, tzinfo=MEXICO_CITY)
    assert sundays.working_seconds_between(start, start + timedelta(days=2)) == 24 * 3600


def test_overnight_interval_runs_into_the_next_day() -> None:
    cal = BusinessCalendar("Europe/Berlin", {"fri": [["22:00", "06:00"]]})
    assert cal.is_open(datetime(2026, 6, 13, 3, 0, tzinfo=BERLIN))  # Saturday
    assert not cal.is_open(datetime(2026, 6, 13, 7, 0, tzinfo=BERLIN))
    friday_night = datetime(2026, 6, 12, 23, 0, tzinfo=BERLIN)
    assert cal.next_closing(friday_night) == utc(2026, 6, 13, 4)
    assert cal.next_opening(datetime(2026, 6, 13, 7, 0, tzinfo=BERLIN)) == utc(2026, 6, 19, 20)


def test_sunday_night_shift_wraps_into_monday() -> None:
    cal = BusinessCalendar("Europe/Berlin", {"sun": [["20:00", "02:00"]]})
    assert cal.is_open(datetime(2026, 6, 15, 1, 0, tzinfo=BERLIN))
    assert not cal.is_open(datetime(2026, 6, 15, 2, 0, tzinfo=BERLIN))


def test_an_overnight_interval_belongs_to_the_day_it_starts_on() -> None:
    holidays = {"country": "DE", "subdivision": "BE", "closed": ["2026-06-13"]}
    cal = BusinessCalendar("Europe/Berlin", {"fri": [["22:00", "06:00"]]}, holidays)
    # Good Friday closes the night that starts on it, Saturday's part included.
    assert not cal.is_open(datetime(2026, 4, 3, 23, 0, tzinfo=BERLIN))
    assert not cal.is_open(datetime(2026, 4, 4, 3, 0, tzinfo=BERLIN))
    # A closed Saturday does not cut short the night that started on Friday.
    assert cal.is_open(datetime(2026, 6, 13, 3, 0, tzinfo=BERLIN))


def test_touching_intervals_merge_so_closing_is_the_real_end() -> None:
    cal = BusinessCalendar(
        "Europe/Berlin",
        {
            "mon": [["18:00", "24:00"]],
            "tue": [["00:00", "02:00"]],
            "fri": [["22:00", "06:00"]],
            "sat": [["06:00", "10:00"]],
        },
    )
    monday_evening = datetime(2026, 6, 15, 20, 0, tzinfo=BERLIN)
    assert cal.is_open(datetime(2026, 6, 16, 0, 0, tzinfo=BERLIN))
    assert cal.next_closing(monday_evening) == utc(2026, 6, 16, 0)  # Tuesday 02:00 CEST
    assert list(cal.open_intervals(monday_evening, utc(2026, 6, 21))) == [
        (utc(2026, 6, 15, 18), utc(2026, 6, 16, 0)),
        (utc(2026, 6, 19, 20), utc(2026, 6, 20, 8)),
    ]


def test_twenty_four_hour_day() -> None:
    cal = BusinessCalendar("Asia/Shanghai", {"mon": [["00:00", "24:00"]]})
    monday = datetime(2026, 6, 15, tzinfo=SHANGHAI)
    assert cal.working_seconds_between(monday - timedelta(days=1), monday + timedelta(days=2)) == (86400)
    assert cal.next_closing(monday) == utc(2026, 6, 15, 16)


def test_no_business_hours_means_always_open() -> None:
    cal = BusinessCalendar("Europe/Berlin")
    start = utc(2026, 3, 28, 12)  # across the spring-forward switch
    assert cal.is_open(start)
    assert cal.next_opening(start) == start
    assert cal.next_closing(start) is None
    assert cal.working_seconds_between(start, start + timedelta(days=3)) == 3 * 86400
    assert cal.add_working_time(start, 86400) == start + timedelta(days=1)
    assert list(cal.open_intervals(start, start + timedelta(hours=1))) == [
        (start, start + timedelta(hours=1))
    ]


def test_no_business_hours_still_honours_holidays() -> None:
    cal = BusinessCalendar("Europe/Berlin", None, {"country": "DE"})
    assert not cal.is_open(datetime(2026, 12, 25, 12, 0, tzinfo=BERLIN))
    assert cal.next_closing(utc(2026, 12, 24, 12)) == utc(2026, 12, 24, 23)
    # The 26th is a holiday too: open again on the 27th at midnight.
    assert cal.next_opening(utc(2026, 12, 25, 12)) == utc(2026, 12, 26, 23)


def test_hours_around_the_clock_never_close() -> None:
    all_week = {day: [["00:00", "24:00"]] for day in (*WEEKDAYS, "sat", "sun")}
    assert BusinessCalendar("Europe/Berlin", all_week).next_closing(utc(2026, 6, 1)) is None
    # Day and night shifts that hand over to each other, crossing midnight.
    night_shifts = {day: [["18:00", "06:00"], ["06:00", "18:00"]] for day in (*WEEKDAYS, "sat", "sun")}
    assert BusinessCalendar("UTC", night_shifts).next_closing(utc(2026, 6, 1)) is None
    # A closed day long past leaves nothing that could close the calendar again.
    old = BusinessCalendar("Europe/Berlin", all_week, {"closed": ["2020-01-01"]})
    assert old.next_closing(utc(2026, 6, 1)) is None
    assert old.add_working_time(utc(2026, 6, 1), 3600) == utc(2026, 6, 1, 1)


def test_never_open() -> None:
    cal = BusinessCalendar("Europe/Berlin", {"mon": [], "tue": []})
    at = utc(2026, 6, 10)
    assert not cal.is_open(at)
    assert cal.next_opening(at) is None
    assert cal.next_closing(at) == at
    assert cal.working_seconds_between(at, at + timedelta(days=30)) == 0
    assert cal.add_working_time(at, 0) == at
    with pytest.raises(NeverOpenError):
        cal.add_working_time(at, 60)


def test_naive_datetimes_and_bad_arguments_are_rejected() -> None:
    cal = berlin_team()
    naive = datetime(2026, 6, 10, 10, 0)
    for call in (cal.is_open, cal.next_opening, cal.next_closing):
        with pytest.raises(ValueError, match="naive"):
            call(naive)
    with pytest.raises(ValueError, match="naive"):
        cal.open_intervals(naive, utc(2026, 6, 11))
    with pytest.raises(ValueError, match="naive"):
        cal.working_seconds_between(utc(2026, 6, 10), naive)
    with pytest.raises(ValueError, match="naive"):
        cal.add_working_time(naive, 60)
    with pytest.raises(ValueError, match="before start"):
        cal.working_seconds_between(utc(2026, 6, 11), utc(2026, 6, 10))
    for seconds in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            cal.add_working_time(utc(2026, 6, 10), seconds)


def test_now_is_the_default_instant() -> None:
    cal = berlin_team()
    with time_machine.travel(utc(2026, 6, 10, 8, 0), tick=False):  # 10:00 in Berlin
        assert cal.is_open()
        assert cal.next_closing() == utc(2026, 6, 10, 10, 30)
    with time_machine.travel(utc(2026, 6, 13, 8, 0), tick=False):  # Saturday
        assert not cal.is_open()
        assert cal.next_opening() == utc(2026, 6, 15, 7)


def test_holiday_lookups_are_cached_per_country_subdivision_and_year() -> None:
    public_holidays.cache_clear()
    cal = berlin_team(subdivision="BE")
    for day in range(1, 28):
        cal.is_open(datetime(2026, 7, day, 10, 0, tzinfo=BERLIN))
    info = public_holidays.cache_info()
    # 2026 for the days asked about (2025 never: lookups start the day before).
    assert info.misses == 1
    assert info.hits > 27
