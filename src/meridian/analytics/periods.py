"""Covering a range of days with as few rollup rows as possible.

Whole months are read from month rows; the partial months around them from week rows
for the whole ISO weeks inside them and day rows for the rest. Any range thus costs
at most a dozen day periods and eight week periods besides its months, instead of a
row per day.
"""

from __future__ import annotations

from datetime import date, timedelta

from meridian.analytics.query import DayRange

# Rows before this day exist in no workspace; running totals start here.
EPOCH = date(2000, 1, 3)  # a Monday and the first of nothing in particular

Span = tuple[str, date, date]  # grain, first period, end (exclusive)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _weeks_and_days(start: date, end: date) -> list[Span]:
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    if monday + timedelta(days=7) > end:
        return [("d", start, end)] if start < end else []
    weeks_end = monday + timedelta(days=7 * ((end - monday).days // 7))
    spans = [("d", start, monday), ("w", monday, weeks_end), ("d", weeks_end, end)]
    return [span for span in spans if span[1] < span[2]]


def spans(days: DayRange, *, months: bool = True) -> list[Span]:
    first_month = days.start if days.start.day == 1 else next_month(days.start)
    end_month = month_start(days.end)
    if not months or first_month >= end_month:
        return _weeks_and_days(days.start, days.end)
    return [
        *_weeks_and_days(days.start, first_month),
        ("m", first_month, end_month),
        *_weeks_and_days(end_month, days.end),
    ]


def spans_before(end: date) -> list[Span]:
    """Every period before ``end``: what a running total such as the backlog needs."""
    return spans(DayRange(min(EPOCH, end), end)) if end > EPOCH else []
