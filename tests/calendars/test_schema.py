from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from meridian.calendars import (
    BusinessCalendar,
    BusinessHours,
    validate_business_hours,
    validate_holidays,
    validate_timezone,
)


def only_error(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[tuple[Any, ...], str]:
    errors = exc.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["loc"], errors[0]["msg"]


def test_valid_business_hours_round_trip_to_the_same_json() -> None:
    raw = {
        "mon": [["09:00", "12:30"], ["13:30", "18:00"]],
        "fri": [["22:00", "06:00"]],
        "sat": [["00:00", "24:00"]],
        "sun": [],
    }
    hours = validate_business_hours(raw)
    assert isinstance(hours, BusinessHours)
    assert hours.model_dump(mode="json") == raw


def test_absent_business_hours_and_holidays_are_none() -> None:
    assert validate_business_hours(None) is None
    assert validate_holidays(None) is None


@pytest.mark.parametrize(
    ("raw", "loc", "message"),
    [
        ({"monday": [["09:00", "10:00"]]}, ("monday", "[key]"), "'mon', 'tue'"),
        ({"mon": [["09:00", "25:00"]]}, ("mon", 0, 1), "'25:00' is not a time of day"),
        ({"mon": [["09:60", "10:00"]]}, ("mon", 0, 0), "'09:60' is not a time of day"),
        ({"mon": [["24:30", "10:00"]]}, ("mon", 0, 0), "'24:30' is not a time of day"),
        ({"mon": [["9:00", "10:00"]]}, ("mon", 0, 0), "write it as HH:MM"),
        ({"mon": [["09:00", "09:00"]]}, ("mon", 0), "start and end are the same time"),
        ({"mon": [["00:00", "00:00"]]}, ("mon", 0), "start and end are the same time"),
        ({"mon": [["24:00", "02:00"]]}, ("mon", 0), "'24:00' can only end an interval"),
        ({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}, ("mon",), "overlap"),
        ({"mon": [["20:00", "02:00"], ["23:00", "23:30"]]}, ("mon",), "overlap"),
        ({"mon": [["09:00", "12:00", "13:00"]]}, ("mon", 0), "at most 2 items"),
        ({"mon": "09:00-17:00"}, ("mon",), "valid list"),
        ([["09:00", "17:00"]], (), "valid dictionary"),
    ],
)
def test_bad_business_hours_name_the_problem(raw: object, loc: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_business_hours(raw)
    error_loc, error_msg = only_error(exc)
    assert error_loc == loc
    assert message in error_msg


def test_intervals_on_different_days_may_meet() -> None:
    # Friday's night shift ends when Saturday's early shift starts.
    assert validate_business_hours({"fri": [["22:00", "06:00"]], "sat": [["05:00", "09:00"]]})


def test_timezones() -> None:
    assert validate_timezone("Asia/Shanghai") == "Asia/Shanghai"
    assert validate_timezone("UTC") == "UTC"
    for bad in ("Mars/Olympus_Mons", "Europe/berlin", "localtime", "", "../etc/passwd"):
        with pytest.raises(ValidationError, match="unknown time zone"):
            validate_timezone(bad)
    with pytest.raises(ValidationError, match="valid string"):
        validate_timezone(5)


def test_valid_holidays_parse_dates() -> None:
    rules = validate_holidays(
        {"country": "DE", "subdivision": "BE", "closed": ["2026-12-24"], "open": ["2026-12-26"]}
    )
    assert rules is not None
    assert rules.closed == [date(2026, 12, 24)]
    assert rules.model_dump(mode="json")["open"] == ["2026-12-26"]
    # Custom closed days alone, without public holidays.
    assert validate_holidays({"closed": ["2026-08-14"]}) is not None


@pytest.mark.parametrize(
    ("raw", "loc", "message"),
    [
        ({"country": "XX"}, ("country",), "unknown country 'XX'"),
        ({"country": "de"}, ("country",), "unknown country 'de'"),
        ({"country": "DE", "subdivision": "ZZ"}, ("subdivision",), "known subdivisions: BB, BE"),
        ({"subdivision": "BE"}, ("subdivision",), "a subdivision needs a country"),
        ({"country": "DE", "closed": ["2026-02-30"]}, ("closed", 0), "day value is outside"),
        ({"country": "DE", "closed": ["24/12/2026"]}, ("closed", 0), "write it as YYYY-MM-DD"),
        ({"country": "DE", "open": [1798070400]}, ("open", 0), "write it as YYYY-MM-DD"),
        ({"country": "DE", "closed": ["2026-12-24"], "open": ["2026-12-24"]}, ("open",), "both"),
        ({"country": "DE", "closd": ["2026-12-24"]}, ("closd",), "Extra inputs"),
    ],
)
def test_bad_holidays_name_the_problem(raw: object, loc: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_holidays(raw)
    error_loc, error_msg = only_error(exc)
    assert error_loc == loc
    assert message in error_msg


def test_calendar_rejects_what_the_schema_rejects() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar("Europe/Atlantis")
    with pytest.raises(ValueError, match="not a time of day"):
        BusinessCalendar("UTC", {"mon": [["09:00", "25:00"]]})
    with pytest.raises(ValueError, match="unknown country"):
        BusinessCalendar("UTC", None, {"country": "XX"})
