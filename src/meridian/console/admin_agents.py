"""Admin: agents and roles (invite, edit role, languages, skills, teams, capacity, deactivate).

The list itself is ``/admin/agents`` in ``routes``; these are its forms.
"""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from meridian.agents.models import Agent
from meridian.agents.schemas import AgentCreate, AgentUpdate, Availability, Role
from meridian.agents.service import create_agent, get_agent, set_agent_active, team_ids_of, update_agent
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import (
    admin_page,
    field_errors,
    forbidden_unless_admin,
    not_found,
    parse_uuid,
    split_list,
)
from meridian.console.deps import PagePrincipal
from meridian.console.i18n import LANGUAGE_NAMES, N_, SUPPORTED
from meridian.core.errors import NotFound, ProblemError
from meridian.teams.service import list_teams

router = APIRouter(prefix="/admin/agents", include_in_schema=False)

AVAILABILITY_LABELS = {"online": N_("Online"), "away": N_("Away"), "offline": N_("Offline")}
# (BCP 47 tag as stored, the language's own name).
LOCALE_OPTIONS = [(code.replace("_", "-"), LANGUAGE_NAMES[code]) for code in SUPPORTED]


def _values(form: FormData, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": str(form.get("name", "")),
        "email": str(form.get("email", "")),
        "role": str(form.get("role", "")),
        "languages": split_list(str(form.get("languages", ""))),
        "locale": str(form.get("locale", "")).replace("_", "-"),
        "timezone": str(form.get("timezone", "")),
        "skills": split_list(str(form.get("skills", ""))),
        "team_ids": [str(t) for t in form.getlist("team_ids")],
        "max_concurrent": str(form.get("max_concurrent", "")),
        "availability": str(form.get("availability", "")),
    }
    password = str(form.get("password", ""))
    # Editing: an empty password box keeps the current password.
    if password or creating:
        values["password"] = password or None
    return values


async def _form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    agent: Agent | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if values is None and agent is not None:
        teams_of = await team_ids_of(session, [agent.id])
        values = {
            "name": agent.name,
            "email": agent.email,
            "role": agent.role,
            "languages": agent.languages,
            "locale": agent.locale,
            "timezone": agent.timezone,
            "skills": agent.skills,
            "team_ids": teams_of[agent.id],
            "max_concurrent": agent.max_concurrent,
            "availability": agent.availability,
        }
    return admin_page(
        request,
        principal,
        "admin_agent_form.html",
        status_code=status_code,
        agent=agent,
        values=values
        or {
            "role": "agent",
            "locale": "en",
            "timezone": "UTC",
            "max_concurrent": 10,
            "availability": "offline",
        },
        errors=errors or {},
        teams=await list_teams(session, workspace_id=principal.workspace_id),
        roles=get_args(Role),
        availabilities=get_args(Availability),
        availability_labels=AVAILABILITY_LABELS,
        locales=LOCALE_OPTIONS,
        timezones=sorted(zoneinfo.available_timezones() - {"localtime"}),
    )


async def _agent(session: Session, principal: Principal, agent_id: str) -> Agent | None:
    parsed = parse_uuid(agent_id)
    if parsed is None:
        return None
    try:
        return await get_agent(session, workspace_id=principal.workspace_id, agent_id=parsed)
    except NotFound:
        return None


@router.get("/new", response_class=HTMLResponse)
async def new_agent(request: Request, principal: PagePrincipal, session: Session) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    return await _form(request, principal, session, agent=None)


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: PagePrincipal, session: Session) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    values = _values(await request.form(), creating=True)
    try:
        await create_agent(session=session, principal=principal, data=AgentCreate.model_validate(values))
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        return await _form(
            request, principal, session, agent=None, values=values, errors=field_errors(exc), status_code=422
        )
    return RedirectResponse("/admin/agents?notice=saved", status_code=303)


@router.get("/{agent_id}", response_class=HTMLResponse)
async def edit_agent(request: Request, principal: PagePrincipal, session: Session, agent_id: str) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    agent = await _agent(session, principal, agent_id)
    if agent is None:
        return not_found(request, principal)
    return await _form(request, principal, session, agent=agent)


@router.post("/{agent_id}", response_class=HTMLResponse)
async def save_agent(request: Request, principal: PagePrincipal, session: Session, agent_id: str) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    agent = await _agent(session, principal, agent_id)
    if agent is None:
        return not_found(request, principal)
    agent_uuid: uuid.UUID = agent.id
    values = _values(await request.form(), creating=False)
    try:
        await update_agent(
            session=session, principal=principal, agent_id=agent_uuid, data=AgentUpdate.model_validate(values)
        )
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        agent = await get_agent(session, workspace_id=principal.workspace_id, agent_id=agent_uuid)
        return await _form(
            request, principal, session, agent=agent, values=values, errors=field_errors(exc), status_code=422
        )
    return RedirectResponse(f"/admin/agents/{agent_uuid}?notice=saved", status_code=303)


@router.post("/{agent_id}/active", response_class=HTMLResponse)
async def set_active(request: Request, principal: PagePrincipal, session: Session, agent_id: str) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    agent = await _agent(session, principal, agent_id)
    if agent is None:
        return not_found(request, principal)
    active = (await request.form()).get("active") == "1"
    agent_uuid: uuid.UUID = agent.id
    try:
        await set_agent_active(session=session, principal=principal, agent_id=agent_uuid, active=active)
    except ProblemError as exc:
        await session.rollback()
        agent = await get_agent(session, workspace_id=principal.workspace_id, agent_id=agent_uuid)
        return await _form(
            request, principal, session, agent=agent, errors=field_errors(exc), status_code=409
        )
    return RedirectResponse(f"/admin/agents/{agent_uuid}?notice=saved", status_code=303)
