"""When a team is open, and how much business time passes between two instants.

A ``BusinessCalendar`` combines a team's IANA timezone, weekly business hours
and holiday rules (shapes in shared/api-contract.md, validated by
``calendars.schema``). Routing asks whether a team is open; SLA turns
"N minutes of business time" into a due date.

Decisions, so callers can rely on them:

* Open periods are half-open: open at the opening instant, closed at the
  closing instant. Touching or overlapping periods (``"24:00"`` followed by
  ``"00:00"``, an overnight shift meeting the next morning's hours) merge into
  one, so ``next_closing`` is the real end of business.
* An interval belongs to the local day it starts on. A holiday closes every
  interval that starts on it, including the after-midnight part of an
  overnight interval started that evening; an overnight interval started the
  evening before a holiday still runs into the holiday morning.
* ``open`` dates only cancel public holidays; the weekday's usual hours apply.
* No ``business_hours`` means open around the clock; configured holidays still
  close their whole days. Without holidays too, business time equals calendar
  time.
* Wall-clock times become instants as "the first instant the local clock reads
  that time or later", which is monotonic and so never turns an interval
  inside out. In zoneinfo terms (PEP 495): a repeated time at a fall-back
  switch takes ``fold=0``, its first occurrence; a time skipped by a
  spring-forward switch (its ``fold=0`` and ``fold=1`` readings disagree)
  becomes the instant of the jump. A 09:00-18:00 day therefore stays 9 hours
  when the switch happens at night, a 00:00-24:00 day lasts 23 or 25 hours,
  and an interval lying wholly inside a skipped hour is empty that day.
* Every argument must be timezone-aware (naive ones raise ``ValueError``);
  every returned instant is in UTC. Omitted instants mean now.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

import holidays

from meridian.calendars.schema import (
    DAY_KEYS,
    MINUTES_PER_DAY,
    BusinessHours,
    HolidayRules,
    interval_minutes,
    validate_business_hours,
    validate_holidays,
    validate_timezone,
)
from meridian.core.clock import utcnow

# Beyond this many days with nothing changing (closed throughout, or open
# throughout) we stop looking: the calendar never opens, or never closes.
_HORIZON_DAYS: Final = 2 * 366
_HORIZON: Final = timedelta(days=_HORIZON_DAYS)
_ONE_DAY: Final = timedelta(days=1)
_ONE_SECOND: Final = timedelta(seconds=1)
_WEEK_MINUTES: Final = 7 * MINUTES_PER_DAY

Weekly = tuple[tuple[tuple[int, int], ...], ...]


class NeverOpenError(ValueError):
    """The calendar has no business time left, so no due time exists."""


@lru_cache(maxsize=1024)
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holiday dates of a country/subdivision in one year (cached)."""
    # Observed (moved) holidays are included: python-holidays' default.
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _weekly(hours: BusinessHours | None) -> Weekly:
    if hours is None:
        return tuple(((0, MINUTES_PER_DAY),) for _ in DAY_KEYS)
    return tuple(
        tuple(sorted(interval_minutes(interval) for interval in hours.root.get(day, []))) for day in DAY_KEYS
    )


def _covers_whole_week(weekly: Weekly) -> bool:
    ranges = sorted(
        (day * MINUTES_PER_DAY + start, day * MINUTES_PER_DAY + end)
        for day, intervals in enumerate(weekly)
        for start, end in intervals
    )
    # Sunday's overnight interval wraps round into Monday morning.
    reach = max((end - _WEEK_MINUTES for _, end in ranges), default=0)
    for start, end in ranges:
        if start > reach:
            return False
        reach = max(reach, end)
    return reach >= _WEEK_MINUTES


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: pass a timezone-aware datetime")
    return at.astimezone(UTC)


class BusinessCalendar:
    """A team's business time; see the module docstring for the rules."""

    def __init__(
        self,
        timezone: str,
        business_hours: BusinessHours | Mapping[str, Any] | None = None,
        holidays: HolidayRules | Mapping[str, Any] | None = None,
    ) -> None:
        self.timezone = ZoneInfo(validate_timezone(timezone))
        self._weekly = _weekly(validate_business_hours(business_hours))
        rules = validate_holidays(holidays)
        self._country = rules.country if rules else None
        self._subdivision = rules.subdivision if rules else None
        self._closed = frozenset(rules.closed) if rules else frozenset[date]()
        self._forced_open = frozenset(rules.open) if rules else frozenset[date]()
        self._never_opens = not any(self._weekly)
        self._never_closes = self._country is None and not self._closed and _covers_whole_week(self._weekly)

    def is_open(self, at: datetime | None = None) -> bool:
        at = _aware(at)
        if self._never_closes:
            return True
        span = next(self._spans_from(at), None)
        return span is not None and span[0] <= at

    def next_opening(self, at: datetime | None = None) -> datetime | None:
        """``at`` itself when open, else the next opening; None if never open again."""
        at = _aware(at)
        if self._never_closes:
            return at
        span = next(self._spans_from(at), None)
        return None if span is None else max(span[0], at)

    def next_closing(self, at: datetime | None = None) -> datetime | None:
        """The end of the open period around ``at``; ``at`` itself when closed; None if
        the calendar never closes."""
        at = _aware(at)
        if self._never_closes:
            return None
        span = next(self._spans_from(at), None)
        return at if span is None or span[0] > at else span[1]

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open periods clipped to ``[start, end)``, in order, merged, in UTC."""
        start, end = _aware(start), _aware(end)
        return self._clipped(start, end)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Business time elapsed from ``start`` to ``end`` (which must not be earlier)."""
        start, end = _aware(start), _aware(end)
        if end < start:
            raise ValueError("end is before start")
        total = sum((close - open_ for open_, close in self._clipped(start, end)), timedelta())
        return total.total_seconds()

    def add_working_time(self, start: datetime, seconds: float) -> datetime:
        """The instant by which ``seconds`` of business time have passed since ``start``.

        When the budget runs out exactly at a closing, that closing is the
        answer (not the next opening); zero seconds give ``start`` itself.
        """
        start = _aware(start)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        remaining = timedelta(seconds=seconds)
        if self._never_closes or not remaining:
            return start + remaining
        for opening, closing in self._spans_from(start):
            opening = max(opening, start)
            if closing is None or closing - opening >= remaining:
                return opening + remaining
            remaining -= closing - opening
        raise NeverOpenError("the calendar has no business time left to count")

    def _clipped(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        if end <= start:
            return
        if self._never_closes:
            yield (start, end)
            return
        for opening, closing in self._spans_from(start):
            if opening >= end:
                return
            yield (max(opening, start), end if closing is None else min(closing, end))

    def _spans_from(self, at: datetime) -> Iterator[tuple[datetime, datetime | None]]:
        """Merged open periods that end after ``at``, in order.

        An end of None means the period outlasts the search horizon.
        """
        if self._never_opens:
            return
        # Yesterday's overnight interval may still be running at ``at``.
        day = at.astimezone(self.timezone).date() - _ONE_DAY
        current: tuple[datetime, datetime] | None = None
        closed_days = 0
        while closed_days <= _HORIZON_DAYS:
            spans = self._day_spans(day)
            day += _ONE_DAY
            closed_days = 0 if spans else closed_days + 1
            # Days are visited in order and each day's intervals start within
            # that day, so spans arrive sorted by start and merge in one pass.
            for opening, closing in spans:
                if current is not None and opening <= current[1]:
                    current = (current[0], max(current[1], closing))
                    continue
                if current is not None and current[1] > at:
                    yield current
                current = (opening, closing)
            if current is not None and current[1] - current[0] > _HORIZON:
                yield (current[0], None)
                return
        if current is not None and current[1] > at:
            yield current

    def _day_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if self._is_holiday(day):
            return []
        midnight = datetime.combine(day, time())  # wall clock, zone attached on resolving
        spans = []
        for start, end in self._weekly[day.weekday()]:
            opening = self._resolve(midnight + timedelta(minutes=start))
            closing = self._resolve(midnight + timedelta(minutes=end))
            if closing > opening:  # empty when it lies inside a skipped hour
                spans.append((opening, closing))
        return spans

    def _is_holiday(self, day: date) -> bool:
        if day in self._closed:
            return True
        if self._country is None or day in self._forced_open:
            return False
        return day in public_holidays(self._country, self._subdivision, day.year)

    def _resolve(self, wall: datetime) -> datetime:
        """The first instant the local clock reads ``wall`` or later, in UTC."""
        first = wall.replace(tzinfo=self.timezone, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
        if first <= second:
            # Equal for ordinary times; for a repeated time fold=0 is the
            # earlier occurrence (PEP 495).
            return first
        # A skipped time: PEP 495 maps fold=1 with the offset after the
        # switch, landing before the jump, and fold=0 with the offset before
        # it, landing after. The jump itself is the first instant whose
        # offset differs from the earlier one; tzdb switches fall on whole
        # seconds, so bisecting to one second finds it exactly.
        before, after = second, first
        old_offset = before.astimezone(self.timezone).utcoffset()
        while after - before > _ONE_SECOND:
            middle = before + (after - before) // _ONE_SECOND // 2 * _ONE_SECOND
            if middle.astimezone(self.timezone).utcoffset() == old_offset:
                before = middle
            else:
                after = middle
        return after
