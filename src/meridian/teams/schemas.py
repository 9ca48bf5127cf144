from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from meridian.core.schemas import LanguageTag, Name, StrictModel, TimeZoneName


def _check_hours(value: dict[str, Any] | None) -> dict[str, Any] | None:
    from meridian.calendars import validate_business_hours

    # Validated for its errors; stored as the client wrote it (the contract's shape).
    if value is not None:
        validate_business_hours(value)
    return value


def _check_holidays(value: dict[str, Any] | None) -> dict[str, Any] | None:
    from meridian.calendars import validate_holidays

    if value is not None:
        validate_holidays(value)
    return value


class TeamCreate(StrictModel):
    name: Name
    timezone: TimeZoneName = "UTC"
    languages: list[LanguageTag] = Field(default_factory=list, max_length=100)
    business_hours: dict[str, Any] | None = None
    holidays: dict[str, Any] | None = None
    region: str | None = Field(default=None, max_length=32)

    _hours = field_validator("business_hours")(_check_hours)
    _holidays = field_validator("holidays")(_check_holidays)


class TeamUpdate(StrictModel):
    name: Name | None = None
    timezone: TimeZoneName | None = None
    languages: list[LanguageTag] | None = Field(default=None, max_length=100)
    business_hours: dict[str, Any] | None = None
    holidays: dict[str, Any] | None = None
    region: str | None = Field(default=None, max_length=32)

    _hours = field_validator("business_hours")(_check_hours)
    _holidays = field_validator("holidays")(_check_holidays)


class TeamOut(BaseModel):
    id: str
    name: str
    timezone: str
    languages: list[str]
    business_hours: dict[str, Any] | None
    holidays: dict[str, Any] | None
    region: str | None
    created_at: datetime


class TeamList(BaseModel):
    items: list[TeamOut]
