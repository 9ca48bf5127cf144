"""Admin: teams with an IANA timezone, weekly business hours, holidays and languages.

Hours are typed one line per day ("09:00-12:30, 13:30-18:00"; "22:00-06:00" runs past
midnight); each day is validated on its own so the error lands next to that day.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import holidays
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.calendars import BusinessCalendar, validate_business_hours
from meridian.calendars.schema import DAY_KEYS
from meridian.console.admin_common import admin_page, field_errors, path_entity, save_form, split_list
from meridian.console.deps import SettingsPage
from meridian.console.i18n import N_
from meridian.core.clock import utcnow
from meridian.core.errors import ProblemError
from meridian.teams.models import Team
from meridian.teams.schemas import TeamCreate, TeamOut, TeamUpdate
from meridian.teams.service import create_team, get_team, list_teams, update_team

router = APIRouter(prefix="/admin/teams", include_in_schema=False)

DAY_LABELS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}


def hours_text(intervals: list[list[str]] | None) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals or [])


def parse_day(text: str) -> list[list[str]]:
    """'09:00-12:30, 13:30-18:00' -> [['09:00', '12:30'], ['13:30', '18:00']]."""
    out: list[list[str]] = []
    for part in split_list(text):
        start, sep, end = part.replace("–", "-").partition("-")
        if not sep:
            raise ValueError(f"{part!r}: write an interval as HH:MM-HH:MM, e.g. 09:00-17:00")
        out.append([start.strip(), end.strip()])
    return out


def _first_message(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")


def _parse(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as a TeamCreate/TeamUpdate payload, plus errors found per field."""
    errors: dict[str, str] = {}
    business_hours: dict[str, Any] | None = None
    if not form.get("always_open"):
        business_hours = {}
        for day in DAY_KEYS:
            try:
                intervals = parse_day(str(form.get(f"hours_{day}", "")))
                validate_business_hours({day: intervals})
            except ValidationError as exc:
                errors[f"hours_{day}"] = _first_message(exc)
                continue
            except ValueError as exc:
                errors[f"hours_{day}"] = str(exc)
                continue
            if intervals:
                business_hours[day] = intervals
    country = str(form.get("country", "")).strip() or None
    closed = split_list(str(form.get("closed", "")))
    opened = split_list(str(form.get("open", "")))
    rules: dict[str, Any] | None = None
    if country or closed or opened:
        rules = {"country": country, "closed": closed, "open": opened}
        if subdivision := str(form.get("subdivision", "")).strip():
            rules["subdivision"] = subdivision
    values = {
        "name": str(form.get("name", "")),
        "timezone": str(form.get("timezone", "")),
        "languages": split_list(str(form.get("languages", ""))),
        "business_hours": business_hours,
        "holidays": rules,
    }
    return values, errors


def _form_values(team: Team | None) -> dict[str, Any]:
    if team is None:
        # A new team starts on a plain office week rather than "always open".
        weekdays = {day: [["09:00", "17:00"]] for day in DAY_KEYS[:5]}
        return {"name": "", "timezone": "UTC", "languages": [], "business_hours": weekdays, "holidays": None}
    return {
        "name": team.name,
        "timezone": team.timezone,
        "languages": team.languages,
        "business_hours": team.business_hours,
        "holidays": team.holidays,
    }


def opening(team: Team, now: datetime) -> tuple[bool, datetime | None]:
    """(open now, next opening) from the team's calendar."""
    calendar = BusinessCalendar(team.timezone, team.business_hours, team.holidays)
    if calendar.is_open(now):
        return True, None
    return False, calendar.next_opening(now)


async def _form(
    request: Request,
    principal: Principal,
    *,
    team: Team | None,
    values: dict[str, Any] | None = None,
    raw: FormData | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    values = values or _form_values(team)
    hours = values.get("business_hours")
    rules = values.get("holidays") or {}
    country = rules.get("country")
    now = utcnow()
    return admin_page(
        request,
        principal,
        "admin_team_form.html",
        status_code=status_code,
        team=team,
        values=values,
        # On a failed post, the typed text comes back as typed.
        day_text={
            day: str(raw.get(f"hours_{day}", "")) if raw is not None else hours_text((hours or {}).get(day))
            for day in DAY_KEYS
        },
        always_open=hours is None and not (raw is not None and not raw.get("always_open")),
        days=DAY_KEYS,
        day_labels=DAY_LABELS,
        country=country,
        subdivision=rules.get("subdivision"),
        closed=", ".join(str(d) for d in rules.get("closed", [])),
        opened=", ".join(str(d) for d in rules.get("open", [])),
        countries=_countries(),
        subdivisions=holidays.list_supported_countries().get(country, []) if country else [],
        status=opening(team, now) if team is not None else None,
        errors=errors or {},
        timezones=sorted(zoneinfo.available_timezones() - {"localtime"}),
    )


def _countries() -> list[str]:
    # ISO codes; the template names them in the agent's language (Babel's territories).
    return sorted(holidays.list_supported_countries())


TeamPath = Annotated[Team, path_entity(get_team, "team_id")]


@router.get("", response_class=HTMLResponse)
async def teams(request: Request, principal: SettingsPage, session: Session) -> Response:
    now = utcnow()
    rows = await list_teams(session, workspace_id=principal.workspace_id)
    return admin_page(
        request, principal, "admin_teams.html", teams=[(team, opening(team, now)) for team in rows]
    )


@router.get("/new", response_class=HTMLResponse)
async def new_team(request: Request, principal: SettingsPage) -> Response:
    return await _form(request, principal, team=None)


async def _save(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    team: Team | None,
    action: Callable[[dict[str, Any]], Awaitable[TeamOut]],
) -> Response:
    form = await request.form()
    values, errors = _parse(form)

    async def save() -> TeamOut:
        # Hours are checked day by day before the action sees them; any bad day rejects the form.
        if errors:
            raise ProblemError(422, "invalid business hours")
        return await action(values)

    return await save_form(
        session,
        save,
        rejected=lambda exc: _form(
            request,
            principal,
            team=team,
            values=values,
            raw=form,
            errors=errors or field_errors(exc),
            status_code=422,
        ),
        done=lambda out: f"/admin/teams/{out.id}?notice=saved",
        refresh=[team] if team is not None else [],
    )


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: SettingsPage, session: Session) -> Response:
    return await _save(
        request,
        principal,
        session,
        team=None,
        action=lambda values: create_team(
            session=session, principal=principal, data=TeamCreate.model_validate(values)
        ),
    )


@router.get("/{team_id}", response_class=HTMLResponse)
async def edit_team(request: Request, principal: SettingsPage, team: TeamPath) -> Response:
    return await _form(request, principal, team=team)


@router.post("/{team_id}", response_class=HTMLResponse)
async def save_team(request: Request, principal: SettingsPage, session: Session, team: TeamPath) -> Response:
    team_uuid: uuid.UUID = team.id
    return await _save(
        request,
        principal,
        session,
        team=team,
        action=lambda values: update_team(
            session=session, principal=principal, team_id=team_uuid, data=TeamUpdate.model_validate(values)
        ),
    )
