"""Business-hours calendars: team timezones, weekly hours, holidays, business time."""

from __future__ import annotations

from meridian.calendars.calendar import BusinessCalendar, NeverOpenError, public_holidays
from meridian.calendars.schema import (
    BusinessHours,
    ClockTime,
    DayKey,
    HolidayRules,
    Interval,
    IsoDate,
    TimezoneName,
    validate_business_hours,
    validate_holidays,
    validate_timezone,
)

__all__ = [
    "BusinessCalendar",
    "BusinessHours",
    "ClockTime",
    "DayKey",
    "HolidayRules",
    "Interval",
    "IsoDate",
    "NeverOpenError",
    "TimezoneName",
    "public_holidays",
    "validate_business_hours",
    "validate_holidays",
    "validate_timezone",
]
