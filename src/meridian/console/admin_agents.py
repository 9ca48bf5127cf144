"""Admin: agents and roles (invite, edit role, languages, skills, teams, capacity, deactivate).

The list itself is ``/admin/agents`` in ``routes``; these are its forms.
"""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from meridian.agents.languages import format_spoken, read_spoken
from meridian.agents.models import Agent
from meridian.agents.schemas import AgentCreate, AgentUpdate, Availability, Role
from meridian.agents.service import create_agent, get_agent, set_agent_active, team_ids_of, update_agent
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import (
    admin_page,
    field_errors,
    parse_uuid,
    path_entity,
    save_form,
    split_list,
)
from meridian.console.deps import AgentsPage, RolesPage
from meridian.console.i18n import LANGUAGE_NAMES, N_, SUPPORTED
from meridian.core.errors import ProblemError
from meridian.roles.service import list_roles, set_agent_role
from meridian.teams.service import list_teams

router = APIRouter(prefix="/admin/agents", include_in_schema=False)

AVAILABILITY_LABELS = {"online": N_("Online"), "away": N_("Away"), "offline": N_("Offline")}
# (BCP 47 tag as stored, the language's own name).
LOCALE_OPTIONS = [(code.replace("_", "-"), LANGUAGE_NAMES[code]) for code in SUPPORTED]


def _values(form: FormData, *, creating: bool) -> dict[str, Any]:
    # One field for languages and levels: "es:native, en, fr:basic".
    spoken, levels = read_spoken(str(form.get("languages", "")))
    values: dict[str, Any] = {
        "name": str(form.get("name", "")),
        "email": str(form.get("email", "")),
        "role": str(form.get("role", "")),
        "languages": spoken,
        "language_proficiency": levels,
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
    role_error: str | None = None,
    status_code: int = 200,
) -> Response:
    if values is None and agent is not None:
        teams_of = await team_ids_of(session, [agent.id])
        values = {
            "name": agent.name,
            "email": agent.email,
            "role": agent.role,
            "languages": agent.languages,
            "language_proficiency": agent.language_proficiency,
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
        spoken=format_spoken(
            (values or {}).get("languages", []), (values or {}).get("language_proficiency", {})
        ),
        teams=await list_teams(session, workspace_id=principal.workspace_id),
        roles=get_args(Role),
        availabilities=get_args(Availability),
        availability_labels=AVAILABILITY_LABELS,
        locales=LOCALE_OPTIONS,
        timezones=sorted(zoneinfo.available_timezones() - {"localtime"}),
        # Custom roles are for agents with the base role "agent" (roles/service.py).
        custom_roles=(
            (await list_roles(session, workspace_id=principal.workspace_id)).items
            if agent is not None and agent.role == "agent" and principal.can("roles.manage")
            else None
        ),
        role_error=role_error,
    )


AgentPath = Annotated[Agent, path_entity(get_agent, "agent_id")]


@router.get("/new", response_class=HTMLResponse)
async def new_agent(request: Request, principal: AgentsPage, session: Session) -> Response:
    return await _form(request, principal, session, agent=None)


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: AgentsPage, session: Session) -> Response:
    values = _values(await request.form(), creating=True)
    return await save_form(
        session,
        lambda: create_agent(session=session, principal=principal, data=AgentCreate.model_validate(values)),
        rejected=lambda exc: _form(
            request, principal, session, agent=None, values=values, errors=field_errors(exc), status_code=422
        ),
        done="/admin/agents?notice=saved",
    )


@router.get("/{agent_id}", response_class=HTMLResponse)
async def edit_agent(request: Request, principal: AgentsPage, session: Session, agent: AgentPath) -> Response:
    return await _form(request, principal, session, agent=agent)


@router.post("/{agent_id}", response_class=HTMLResponse)
async def save_agent(request: Request, principal: AgentsPage, session: Session, agent: AgentPath) -> Response:
    agent_uuid: uuid.UUID = agent.id
    values = _values(await request.form(), creating=False)
    # The form always sends role and email: unchanged, they are not a change of access
    # (which needs agents.access), so someone with agents.edit can save the rest.
    for key in ("role", "email"):
        if values.get(key) == getattr(agent, key):
            values.pop(key)
    return await save_form(
        session,
        lambda: update_agent(
            session=session, principal=principal, agent_id=agent_uuid, data=AgentUpdate.model_validate(values)
        ),
        rejected=lambda exc: _form(
            request, principal, session, agent=agent, values=values, errors=field_errors(exc), status_code=422
        ),
        done=f"/admin/agents/{agent_uuid}?notice=saved",
        refresh=[agent],
    )


@router.post("/{agent_id}/role", response_class=HTMLResponse)
async def set_custom_role(
    request: Request, principal: RolesPage, session: Session, agent: AgentPath
) -> Response:
    """Give the agent a custom role, or none (back to the built-in agent permissions)."""
    agent_uuid: uuid.UUID = agent.id
    chosen = parse_uuid(str((await request.form()).get("role_id", "")))
    return await save_form(
        session,
        lambda: set_agent_role(session=session, principal=principal, agent_id=agent_uuid, role_id=chosen),
        rejected=lambda exc: _form(
            request,
            principal,
            session,
            agent=agent,
            role_error=exc.detail if isinstance(exc, ProblemError) else str(exc),
            status_code=exc.status if isinstance(exc, ProblemError) else 422,
        ),
        done=f"/admin/agents/{agent_uuid}?notice=saved",
        refresh=[agent],
    )


@router.post("/{agent_id}/active", response_class=HTMLResponse)
async def set_active(request: Request, principal: AgentsPage, session: Session, agent: AgentPath) -> Response:
    active = (await request.form()).get("active") == "1"
    agent_uuid: uuid.UUID = agent.id
    return await save_form(
        session,
        lambda: set_agent_active(session=session, principal=principal, agent_id=agent_uuid, active=active),
        # Deactivating yourself, say: a conflict, not a typo in a field.
        rejected=lambda exc: _form(
            request, principal, session, agent=agent, errors=field_errors(exc), status_code=409
        ),
        done=f"/admin/agents/{agent_uuid}?notice=saved",
        refresh=[agent],
    )
