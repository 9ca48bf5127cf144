"""Validation of a team's timezone, weekly business hours and holiday rules.

The shapes are fixed by shared/api-contract.md (teams). The annotated types can
be used directly as fields of request schemas; the ``validate_*`` helpers are
for code holding raw JSON. Every failure is a ``pydantic.ValidationError``
(itself a ``ValueError``) whose messages name the offending value, so the
teams API can turn it into a 422 problem document as is.
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import date
from functools import cache
from typing import Annotated, Any, Final, Literal

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    RootModel,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

DAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DayKey = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

MINUTES_PER_DAY: Final = 24 * 60
_CLOCK = re.compile(r"(?P<hour>\d{2}):(?P<minute>\d{2})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def clock_minutes(value: str) -> int:
    """Minutes since midnight of a validated ``HH:MM`` string (``24:00`` is 1440)."""
    hour, minute = value.split(":")
    return int(hour) * 60 + int(minute)


def _check_clock(value: str) -> str:
    match = _CLOCK.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time of day; write it as HH:MM, e.g. '09:30'")
    hour, minute = int(match["hour"]), int(match["minute"])
    if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
        raise ValueError(f"{value!r} is not a time of day; use 00:00 to 23:59, or 24:00 to end a day")
    return value


ClockTime = Annotated[str, AfterValidator(_check_clock)]


def _check_interval(value: tuple[str, str]) -> tuple[str, str]:
    start, end = value
    if start == "24:00":
        raise ValueError("'24:00' can only end an interval; start the next day at '00:00'")
    if clock_minutes(start) == clock_minutes(end):
        raise ValueError(f"interval [{start!r}, {end!r}] is empty: start and end are the same time")
    return value


Interval = Annotated[tuple[ClockTime, ClockTime], AfterValidator(_check_interval)]


def interval_minutes(interval: tuple[str, str]) -> tuple[int, int]:
    """(start, end) in minutes from the start of the day the interval begins on.

    An end at or before the start runs past midnight, so it lands past 1440.
    """
    start, end = (clock_minutes(part) for part in interval)
    return (start, end if end > start else end + MINUTES_PER_DAY)


def _no_overlap(intervals: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # Overlaps are almost always typos ("12:30" for "13:30"); rejecting them
    # is kinder than silently merging. Intervals started on different days
    # may still meet (an overnight shift into an early one): the calendar
    # merges those.
    ordered = sorted(intervals, key=interval_minutes)
    for earlier, later in itertools.pairwise(ordered):
        if interval_minutes(later)[0] < interval_minutes(earlier)[1]:
            raise ValueError(f"intervals {list(earlier)} and {list(later)} overlap")
    return intervals


DayIntervals = Annotated[list[Interval], AfterValidator(_no_overlap)]


class BusinessHours(RootModel[dict[DayKey, DayIntervals]]):
    """Weekly opening hours in the team's timezone; a missing or empty day is closed."""

    model_config = ConfigDict(frozen=True)


def _require_iso_date(value: Any) -> Any:
    # Pydantic alone would also take Unix timestamps and "20261224"; the
    # contract's dates are ISO strings, and anything else is a client bug.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or _ISO_DATE.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. '2026-12-24'")
    return value


IsoDate = Annotated[date, BeforeValidator(_require_iso_date)]


class HolidayRules(BaseModel):
    """Public holidays of a country (and subdivision) plus a team's own exceptions.

    ``closed`` adds closed days; ``open`` cancels public holidays, leaving the
    usual weekly hours for that day. ``country`` may be left out to use only
    ``closed``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str | None = None
    subdivision: str | None = None
    closed: list[IsoDate] = []
    open: list[IsoDate] = []

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str | None) -> str | None:
        if country is not None and country not in holidays.list_supported_countries():
            raise ValueError(
                f"unknown country {country!r} for holidays; use an ISO 3166-1 alpha-2 code such as 'DE'"
            )
        return country

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, subdivision: str | None, info: ValidationInfo) -> str | None:
        if subdivision is None:
            return None
        if "country" not in info.data:
            return subdivision  # the country already failed; one error is enough
        country = info.data["country"]
        if country is None:
            raise ValueError("a subdivision needs a country")
        try:
            # Asking the library itself also accepts its documented aliases
            # (e.g. "Berlin" for "BE"), per the python-holidays README.
            holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError:
            known = ", ".join(holidays.list_supported_countries()[country]) or "none"
            raise ValueError(
                f"unknown subdivision {subdivision!r} of {country}; known subdivisions: {known}"
            ) from None
        return subdivision

    @field_validator("open")
    @classmethod
    def _not_also_closed(cls, open_days: list[date], info: ValidationInfo) -> list[date]:
        both = sorted(set(open_days) & set(info.data.get("closed", [])))
        if both:
            listed = ", ".join(day.isoformat() for day in both)
            raise ValueError(f"dates listed both as closed and as open: {listed}")
        return open_days


@cache
def _zone_names() -> frozenset[str]:
    # "localtime" is whatever the host is set to, not a zone a team can mean.
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def _check_timezone(name: str) -> str:
    if name not in _zone_names():
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'")
    return name


TimezoneName = Annotated[str, AfterValidator(_check_timezone)]

_business_hours: TypeAdapter[BusinessHours | None] = TypeAdapter(BusinessHours | None)
_holiday_rules: TypeAdapter[HolidayRules | None] = TypeAdapter(HolidayRules | None)
_timezone: TypeAdapter[str] = TypeAdapter(TimezoneName)


def validate_business_hours(value: object) -> BusinessHours | None:
    """Parse ``business_hours`` JSON; ``None`` means always open."""
    return _business_hours.validate_python(value)


def validate_holidays(value: object) -> HolidayRules | None:
    """Parse ``holidays`` JSON; ``None`` means no holidays."""
    return _holiday_rules.validate_python(value)


def validate_timezone(name: object) -> str:
    """Return ``name`` if it is an IANA time zone known to zoneinfo."""
    return _timezone.validate_python(name)
