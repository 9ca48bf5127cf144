"""SLA due times on real team calendars, each computed by hand in the comments.

All three teams work Mon-Fri 09:00-18:00 local time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from meridian.calendars import BusinessCalendar
from meridian.sla.clock import Meter, start
from tests.routing.support import TEAMS, WEEKDAYS_9_TO_6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def meter(team: str) -> Meter:
    spec = TEAMS[team]
    return Meter(BusinessCalendar(spec["timezone"], WEEKDAYS_9_TO_6, spec["holidays"]))


@pytest.mark.parametrize(
    ("team", "arrives", "minutes", "due"),
    [
        # Berlin, 4 business hours from Thursday 2027-03-25 16:00 CET (15:00 UTC):
        #   Thu 16:00-18:00 CET            2h  (2h left)
        #   Fri 03-26 Good Friday          holiday (DE)
        #   Sat, Sun 03-28                 weekend; clocks go 02:00 CET -> 03:00 CEST Sunday
        #   Mon 03-29 Easter Monday        holiday (DE)
        #   Tue 03-30 09:00-11:00 CEST     2h  -> due 11:00 CEST = 09:00 UTC
        # (Without the DST switch it would be 10:00 UTC; without the holidays, Friday.)
        ("Berlin", utc(2027, 3, 25, 15, 0), 240, utc(2027, 3, 30, 9, 0)),
        # Mexico City (UTC-6 all year since 2022), 8 business hours from Friday
        # 2027-06-18 16:00 local (22:00 UTC): Fri 16:00-18:00 2h, weekend, Mon 09:00-15:00
        # 6h -> due Mon 15:00 local = 21:00 UTC.
        ("Mexico City", utc(2027, 6, 18, 22, 0), 480, utc(2027, 6, 21, 21, 0)),
        # Shanghai (UTC+8), 1 business hour from Thursday 2027-09-30 17:30 local
        # (09:30 UTC): Thu 17:30-18:00 30 min; Oct 1-3 National Day, Oct 4-5 observed;
        # Wed Oct 6 09:00-09:30 30 min -> due 09:30 local = 01:30 UTC.
        ("Shanghai", utc(2027, 9, 30, 9, 30), 60, utc(2027, 10, 6, 1, 30)),
        # Arriving while closed counts from the next opening: Berlin Saturday
        # 2027-10-30 12:00 UTC; DST ends Sunday 10-31 (CEST -> CET); Monday 11-01
        # 09:00 CET = 08:00 UTC, + 30 min -> 08:30 UTC.
        ("Berlin", utc(2027, 10, 30, 12, 0), 30, utc(2027, 11, 1, 8, 30)),
    ],
)
def test_business_hours_due_time(team: str, arrives: datetime, minutes: int, due: datetime) -> None:
    metric = start(meter(team), minutes * 60, arrives)
    assert metric.due_at == due


def test_calendar_time_pause_adds_the_paused_stretch() -> None:
    # 60 calendar minutes from 10:00; pending 10:20-12:20 (2h) -> due 13:00.
    clock = Meter(None)
    metric = start(clock, 3600, utc(2027, 6, 14, 10, 0))
    assert metric.due_at == utc(2027, 6, 14, 11, 0)
    metric.pause(clock, utc(2027, 6, 14, 10, 20))
    assert metric.due_at is None and metric.consumed_s == 20 * 60
    metric.resume(clock, utc(2027, 6, 14, 12, 20))
    assert metric.due_at == utc(2027, 6, 14, 13, 0)


def test_business_time_pause_only_removes_business_time() -> None:
    # Berlin, 2 business hours from Monday 2027-06-14 17:00 CEST (15:00 UTC):
    # 17:00-18:00 runs (1h left). Pending from Tuesday 09:00 to 10:00 CEST: that hour
    # does not count. Resumed at 10:00 -> 1h left -> due 11:00 CEST = 09:00 UTC.
    berlin = meter("Berlin")
    metric = start(berlin, 7200, utc(2027, 6, 14, 15, 0))
    assert metric.due_at == utc(2027, 6, 15, 8, 0)  # Tue 10:00 CEST without the pause
    metric.pause(berlin, utc(2027, 6, 15, 7, 0))
    assert metric.consumed_s == 3600  # the closed night did not count
    metric.resume(berlin, utc(2027, 6, 15, 8, 0))
    assert metric.due_at == utc(2027, 6, 15, 9, 0)


def test_warning_at_eighty_percent_then_breach() -> None:
    # Berlin, 4 business hours from Monday 09:00 CEST (07:00 UTC): warning after 3h12m
    # (10:12 UTC), due 11:00 UTC.
    berlin = meter("Berlin")
    metric = start(berlin, 4 * 3600, utc(2027, 6, 14, 7, 0))
    assert metric.warn_at == utc(2027, 6, 14, 10, 12)
    assert metric.next_check() == utc(2027, 6, 14, 10, 12)
    assert metric.check(utc(2027, 6, 14, 10, 11)) == []
    assert metric.check(utc(2027, 6, 14, 10, 12)) == ["warning"]
    assert metric.next_check() == utc(2027, 6, 14, 11, 0)
    assert metric.check(utc(2027, 6, 14, 11, 0)) == ["breached"]
    assert metric.check(utc(2027, 6, 14, 12, 0)) == []  # once
    assert metric.complete(utc(2027, 6, 14, 12, 0)) == "breached"


def test_answer_in_time_is_met() -> None:
    clock = Meter(None)
    metric = start(clock, 3600, utc(2027, 6, 14, 10, 0))
    assert metric.complete(utc(2027, 6, 14, 10, 59)) == "met"
    assert metric.next_check() is None


def test_handover_to_another_team_counts_on_the_new_calendar() -> None:
    # 4 business hours. Berlin from Monday 16:00 CEST (14:00 UTC) to 18:00: 2h used.
    # Handed to Mexico City at 16:00 UTC (10:00 local): 2h left -> 12:00 local = 18:00 UTC.
    berlin, mexico = meter("Berlin"), meter("Mexico City")
    metric = start(berlin, 4 * 3600, utc(2027, 6, 14, 14, 0))
    metric.rebase(berlin, mexico, utc(2027, 6, 14, 16, 0))
    assert metric.consumed_s == 2 * 3600
    assert metric.due_at == utc(2027, 6, 14, 18, 0)


def test_new_budget_keeps_the_time_already_used() -> None:
    # Calendar time, 60 min from 10:00; at 10:30 the priority becomes urgent with a
    # 40 min target: 30 used, 10 left -> due 10:40.
    clock = Meter(None)
    metric = start(clock, 3600, utc(2027, 6, 14, 10, 0))
    metric.rebase(clock, clock, utc(2027, 6, 14, 10, 30), budget_s=40 * 60)
    assert metric.due_at == utc(2027, 6, 14, 10, 40)


def test_never_open_calendar_has_no_due_time() -> None:
    metric = start(Meter(BusinessCalendar("UTC", {})), 3600, utc(2027, 6, 14, 10, 0))
    assert metric.due_at is None and metric.next_check() is None
