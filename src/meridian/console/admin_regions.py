"""Admin: which data regions' content each agent may read (docs/privacy.md, "Grants").

Each row posts to ``agents.service.update_agent`` with ``region`` and ``regions``, the
action behind ``PATCH /api/v1/agents/{id}``, so the change is validated and recorded
as ``agent.access_changed`` in the audit log whichever door it came in by.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.agents.schemas import AgentOut, AgentUpdate
from meridian.agents.service import get_agent, list_agents, update_agent
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import Rejected, path_entity, save_form
from meridian.console.deps import RegionsPage
from meridian.console.render import render
from meridian.core.errors import ProblemError
from meridian.residency.rules import DEFAULT_REGION, rules_from_settings
from meridian.workspaces.models import Workspace

# Mounted under /admin by console/privacy_routes.py.
router = APIRouter(prefix="/regions", include_in_schema=False)

AgentPath = Annotated[Agent, path_entity(get_agent, "agent_id")]


async def known_regions(
    session: AsyncSession, workspace_id: uuid.UUID, agents: Sequence[AgentOut]
) -> list[str]:
    """Regions worth offering: the deployment's databases, the workspace's rules, and any
    region an agent already holds (so a grant for a region since removed stays visible)."""
    workspace = await session.get(Workspace, workspace_id)
    found = set(rules_from_settings(workspace.settings if workspace else None).known) | {DEFAULT_REGION}
    for agent in agents:
        found.add(agent.region)
        found.update(agent.regions or ())
    return sorted(found)


async def _page(
    request: Request,
    principal: Principal,
    session: AsyncSession,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    agents = await list_agents(session, workspace_id=principal.workspace_id)
    return render(
        request,
        "privacy_regions.html",
        principal=principal,
        status_code=status_code,
        agents=agents,
        regions=await known_regions(session, principal.workspace_id, agents),
        errors=errors or {},
    )


def _grants(form: Any) -> dict[str, Any]:
    # "all" is null (every region, present and future); otherwise exactly the boxes ticked.
    every = str(form.get("scope", "")) == "all"
    return {
        "region": str(form.get("region", "")),
        "regions": None if every else sorted({str(r) for r in form.getlist("regions")}),
    }


def _message(exc: Rejected) -> str:
    return exc.detail if isinstance(exc, ProblemError) else "invalid region name"


@router.get("", response_class=HTMLResponse)
async def regions_page(request: Request, principal: RegionsPage, session: Session) -> Response:
    # ?notice=saved after a save is shown by the base template.
    return await _page(request, principal, session)


@router.post("/{agent_id}", response_class=HTMLResponse)
async def save_grants(
    request: Request, principal: RegionsPage, session: Session, agent: AgentPath
) -> Response:
    agent_id: uuid.UUID = agent.id
    values = _grants(await request.form())
    return await save_form(
        session,
        lambda: update_agent(
            session=session, principal=principal, agent_id=agent_id, data=AgentUpdate.model_validate(values)
        ),
        rejected=lambda exc: _page(
            request, principal, session, errors={str(agent_id): _message(exc)}, status_code=422
        ),
        done="/admin/regions?notice=saved",
        refresh=[agent],
    )
