from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.languages import check_proficiency
from meridian.agents.models import Agent, AgentTeam
from meridian.agents.schemas import AgentCreate, AgentOut, AgentUpdate
from meridian.audit.service import record_by
from meridian.auth.passwords import hash_password
from meridian.auth.permissions import builtin_permissions
from meridian.auth.service import Principal
from meridian.core.clock import utcnow
from meridian.core.errors import Forbidden, NotFound, ProblemError
from meridian.events.service import publish
from meridian.teams.models import Team


async def team_ids_of(session: AsyncSession, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = {a: [] for a in agent_ids}
    if agent_ids:
        rows = await session.execute(
            select(AgentTeam.agent_id, AgentTeam.team_id).where(AgentTeam.agent_id.in_(agent_ids))
        )
        for agent_id, team_id in rows:
            out[agent_id].append(str(team_id))
    return out


def to_out(agent: Agent, team_ids: list[str]) -> AgentOut:
    return AgentOut(
        id=str(agent.id),
        workspace_id=str(agent.workspace_id),
        email=agent.email,
        name=agent.name,
        role=agent.role,
        languages=list(agent.languages),
        language_proficiency=dict(agent.language_proficiency or {}),
        locale=agent.locale,
        timezone=agent.timezone,
        team_ids=sorted(team_ids),
        skills=list(agent.skills),
        max_concurrent=agent.max_concurrent,
        channel_capacity=dict(agent.channel_capacity or {}),
        availability=agent.availability,
        region=agent.region,
        regions=None if agent.regions is None else list(agent.regions),
        role_id=str(agent.role_id) if agent.role_id else None,
        created_at=agent.created_at,
    )


async def get_agent(session: AsyncSession, *, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
    agent = await session.scalar(
        select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id)
    )
    if agent is None:
        raise NotFound("agent")
    return agent


async def list_agents(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[AgentOut]:
    agents = list(
        await session.scalars(select(Agent).where(Agent.workspace_id == workspace_id).order_by(Agent.name))
    )
    teams = await team_ids_of(session, [a.id for a in agents])
    return [to_out(a, teams[a.id]) for a in agents]


async def _check_teams(session: AsyncSession, workspace_id: uuid.UUID, team_ids: Sequence[uuid.UUID]) -> None:
    if not team_ids:
        return
    found = set(
        await session.scalars(select(Team.id).where(Team.workspace_id == workspace_id, Team.id.in_(team_ids)))
    )
    missing = [str(t) for t in team_ids if t not in found]
    if missing:
        raise ProblemError(
            422,
            f"unknown team id(s): {', '.join(missing)}",
            errors=[{"pointer": "/team_ids", "message": "unknown team"}],
        )


async def _email_taken(session: AsyncSession, email: str, exclude: uuid.UUID | None = None) -> bool:
    stmt = select(func.count()).select_from(Agent).where(func.lower(Agent.email) == email.lower())
    if exclude is not None:
        stmt = stmt.where(Agent.id != exclude)
    return bool(await session.scalar(stmt))


async def _set_teams(session: AsyncSession, agent_id: uuid.UUID, team_ids: Sequence[uuid.UUID]) -> None:
    await session.execute(delete(AgentTeam).where(AgentTeam.agent_id == agent_id))
    for team_id in dict.fromkeys(team_ids):
        session.add(AgentTeam(agent_id=agent_id, team_id=team_id))


# Fields that change what an agent may see or do: agents.access only, and audited.
ACCESS_FIELDS = frozenset({"role", "email", "password", "region", "regions"})


def _may_give(principal: Principal, role: str) -> bool:
    """Whether ``principal`` may make someone a ``role``, or act on the access of someone
    who is one: a custom role with agents.access must not reach an admin's password,
    nor a team-limited one hand out unlimited roles."""
    if not principal.can("agents.access") or not principal.holds_all(builtin_permissions(role)):
        return False
    return role == "agent" or not principal.limited


async def create_agent(*, session: AsyncSession, principal: Principal, data: AgentCreate) -> AgentOut:
    # agents.manage invites agents; a supervisor or an admin needs agents.access and
    # every permission of that role too, or inviting would be a way to all of them.
    if data.role != "agent" and not _may_give(principal, data.role):
        raise Forbidden("creating a supervisor or an admin needs agents.access and that role's permissions")
    await _check_teams(session, principal.workspace_id, data.team_ids)
    # Emails sign in without naming a workspace, so they are unique across all of them.
    if await _email_taken(session, data.email):
        raise ProblemError(409, f"an agent with email {data.email} already exists")
    agent = Agent(
        workspace_id=principal.workspace_id,
        email=data.email,
        name=data.name,
        password_hash=hash_password(data.password) if data.password else None,
        role=data.role,
        languages=data.languages,
        language_proficiency=check_proficiency(data.languages, data.language_proficiency),
        locale=data.locale,
        timezone=data.timezone,
        skills=data.skills,
        max_concurrent=data.max_concurrent,
        channel_capacity=dict(data.channel_capacity),
        availability=data.availability,
        region=data.region,
        regions=data.regions,
    )
    session.add(agent)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ProblemError(409, f"an agent with email {data.email} already exists") from None
    await _set_teams(session, agent.id, data.team_ids)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="agent.created",
        payload={"agent_id": str(agent.id)},
    )
    await session.commit()
    return to_out(agent, [str(t) for t in data.team_ids])


async def update_agent(
    *, session: AsyncSession, principal: Principal, agent_id: uuid.UUID, data: AgentUpdate
) -> AgentOut:
    agent = await get_agent(session, workspace_id=principal.workspace_id, agent_id=agent_id)
    changes = data.model_dump(exclude_unset=True)
    role_before = agent.role
    is_self = agent.id == principal.agent_id
    # Agents may edit their own profile (name, languages, locale, timezone, password,
    # availability); everything that changes power or routing is for admins.
    self_fields = {
        "name",
        "languages",
        "language_proficiency",
        "locale",
        "timezone",
        "password",
        "availability",
    }
    touches_access = bool(set(changes) & ACCESS_FIELDS)
    if touches_access and _may_give(principal, agent.role):
        if "role" in changes and not _may_give(principal, changes["role"]):
            raise Forbidden("giving this role needs every permission it has")
    elif principal.can("agents.edit") and not touches_access:
        pass
    elif not is_self or set(changes) - self_fields:
        raise Forbidden("this needs the permission agents.access or agents.edit")
    if "role" in changes and is_self and changes["role"] != "admin" and agent.role == "admin":
        raise ProblemError(409, "you cannot remove your own admin role")
    if changes.get("email") and await _email_taken(session, changes["email"], exclude=agent.id):
        raise ProblemError(409, f"an agent with email {changes['email']} already exists")
    if "team_ids" in changes:
        team_ids = changes.pop("team_ids") or []
        await _check_teams(session, principal.workspace_id, team_ids)
        await _set_teams(session, agent.id, team_ids)
    if "languages" in changes or "language_proficiency" in changes:
        spoken = changes.get("languages") or (agent.languages if "languages" not in changes else [])
        given = changes.pop("language_proficiency", None)
        if given is None:
            # Languages changed, levels not: keep the levels of the languages still spoken.
            given = {t: v for t, v in (agent.language_proficiency or {}).items() if t in spoken}
        agent.language_proficiency = check_proficiency(spoken, given)
    if "password" in changes:
        password = changes.pop("password")
        if password:
            agent.password_hash = hash_password(password)
    for key, value in changes.items():
        # regions=null is meaningful: every region.
        if value is not None or key == "regions":
            setattr(agent, key, value)
    if set(data.model_dump(exclude_unset=True)) & (ACCESS_FIELDS | {"team_ids"}):
        # Who may see and do what changed: the audit log keeps it (passwords only as "changed").
        await record_by(
            session,
            principal,
            "agent.access_changed",
            target=f"agent:{agent.id}",
            details={
                "fields": sorted(set(data.model_dump(exclude_unset=True))),
                "role": [role_before, agent.role],
            },
        )
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="agent.updated",
        payload={"agent_id": str(agent.id), "fields": sorted(data.model_dump(exclude_unset=True))},
    )
    await session.commit()
    teams = await team_ids_of(session, [agent.id])
    return to_out(agent, teams[agent.id])


async def set_agent_active(
    *, session: AsyncSession, principal: Principal, agent_id: uuid.UUID, active: bool
) -> Agent:
    """agents.access: a deactivated agent cannot sign in (sessions and tokens stop working)
    and is no longer routed to; reactivating restores both."""
    if not principal.can("agents.access"):
        raise Forbidden("this needs the permission agents.access")
    agent = await get_agent(session, workspace_id=principal.workspace_id, agent_id=agent_id)
    if not _may_give(principal, agent.role):
        raise Forbidden("deactivating this agent needs every permission of their role")
    if agent.id == principal.agent_id and not active:
        raise ProblemError(409, "you cannot deactivate yourself")
    agent.deactivated_at = None if active else utcnow()
    if not active:
        agent.availability = "offline"
    await record_by(
        session,
        principal,
        "agent.reactivated" if active else "agent.deactivated",
        target=f"agent:{agent.id}",
        details={},
    )
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="agent.updated",
        payload={"agent_id": str(agent.id), "fields": ["deactivated_at"]},
    )
    await session.commit()
    return agent
