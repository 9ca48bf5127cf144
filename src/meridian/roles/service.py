"""Custom roles: reads and the named actions that change them or give them to agents.

A custom role replaces the built-in "agent" permission set of the agents who hold it
(auth/service.py builds the principal). Only agents whose base role is "agent" may
hold one: admin and supervisor keep their built-in powers.

``roles.manage`` is not a way to every other permission: a holder may only create,
change or hand out roles within their own permissions and their own team/inbox limits
(``_within``), and only act on agents whose present powers are within them too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.audit.service import record_by
from meridian.auth.permissions import BUILTIN, PERMISSIONS, builtin_permissions
from meridian.auth.service import Principal
from meridian.core.errors import Forbidden, NotFound, ProblemError
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.roles.models import Role
from meridian.roles.schemas import (
    AgentRoleOut,
    BuiltinRole,
    PermissionOut,
    RoleCreate,
    RoleList,
    RoleOut,
    RoleUpdate,
)
from meridian.teams.models import Team


def _within(
    principal: Principal,
    *,
    permissions: Sequence[str],
    team_ids: Sequence[str] | None,
    inbox_ids: Sequence[str] | None,
) -> bool:
    if not principal.holds_all(permissions):
        return False
    for mine, theirs in ((principal.limit_team_ids, team_ids), (principal.limit_inbox_ids, inbox_ids)):
        # A limited holder's roles carry the same limit or a narrower one.
        if mine is not None and (theirs is None or not {uuid.UUID(i) for i in theirs} <= mine):
            return False
    return True


def _check_within(principal: Principal, role: Role) -> None:
    if not _within(principal, permissions=role.permissions, team_ids=role.team_ids, inbox_ids=role.inbox_ids):
        raise Forbidden("a role can only hold your own permissions, within your own team and inbox limits")


def _invalid(pointer: str, message: str) -> ProblemError:
    return ProblemError(422, message, errors=[{"pointer": pointer, "message": message}])


def _check_permissions(permissions: Sequence[str]) -> list[str]:
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise _invalid("/permissions", f"unknown permission(s): {', '.join(unknown)}")
    return sorted(set(permissions))


async def _check_ids(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    model: type[Team] | type[Inbox],
    ids: Sequence[uuid.UUID] | None,
    pointer: str,
) -> list[str] | None:
    # An empty list would mean "nothing at all"; a role that sees nothing is a mistake,
    # so it is stored as no limit, like null.
    if not ids:
        return None
    found = set(
        await session.scalars(select(model.id).where(model.workspace_id == workspace_id, model.id.in_(ids)))
    )
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise _invalid(pointer, f"unknown id(s): {', '.join(missing)}")
    return sorted({str(i) for i in ids})


async def _check_name(
    session: AsyncSession, *, workspace_id: uuid.UUID, name: str, exclude: uuid.UUID | None
) -> None:
    if name.lower() in BUILTIN:
        raise _invalid("/name", f"{name!r} is a built-in role")
    stmt = select(func.count()).select_from(Role).where(Role.workspace_id == workspace_id, Role.name == name)
    if exclude is not None:
        stmt = stmt.where(Role.id != exclude)
    if await session.scalar(stmt):
        raise ProblemError(409, f"a role named {name!r} already exists")


async def _agent_counts(session: AsyncSession, role_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not role_ids:
        return {}
    rows = await session.execute(
        select(Agent.role_id, func.count()).where(Agent.role_id.in_(role_ids)).group_by(Agent.role_id)
    )
    return {role_id: int(n) for role_id, n in rows if role_id is not None}


def to_out(role: Role, agent_count: int) -> RoleOut:
    return RoleOut(
        id=str(role.id),
        name=role.name,
        description=role.description,
        permissions=list(role.permissions),
        team_ids=role.team_ids,
        inbox_ids=role.inbox_ids,
        agent_count=agent_count,
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


async def list_roles(session: AsyncSession, *, workspace_id: uuid.UUID) -> RoleList:
    roles = list(
        await session.scalars(select(Role).where(Role.workspace_id == workspace_id).order_by(Role.name))
    )
    counts = await _agent_counts(session, [r.id for r in roles])
    return RoleList(
        items=[to_out(r, counts.get(r.id, 0)) for r in roles],
        builtin=[BuiltinRole(name=name, permissions=sorted(perms)) for name, perms in BUILTIN.items()],
        catalog=[PermissionOut(name=name, description=text) for name, text in PERMISSIONS.items()],
    )


async def get_role(session: AsyncSession, *, workspace_id: uuid.UUID, role_id: uuid.UUID) -> Role:
    role = await session.scalar(select(Role).where(Role.id == role_id, Role.workspace_id == workspace_id))
    if role is None:
        raise NotFound("role")
    return role


async def role_out(session: AsyncSession, role: Role) -> RoleOut:
    return to_out(role, (await _agent_counts(session, [role.id])).get(role.id, 0))


def _snapshot(role: Role) -> dict[str, Any]:
    return {
        "name": role.name,
        "permissions": list(role.permissions),
        "team_ids": role.team_ids,
        "inbox_ids": role.inbox_ids,
    }


async def create_role(*, session: AsyncSession, principal: Principal, data: RoleCreate) -> RoleOut:
    await _check_name(session, workspace_id=principal.workspace_id, name=data.name, exclude=None)
    role = Role(
        workspace_id=principal.workspace_id,
        name=data.name,
        description=data.description,
        permissions=_check_permissions(data.permissions),
        team_ids=await _check_ids(
            session, workspace_id=principal.workspace_id, model=Team, ids=data.team_ids, pointer="/team_ids"
        ),
        inbox_ids=await _check_ids(
            session,
            workspace_id=principal.workspace_id,
            model=Inbox,
            ids=data.inbox_ids,
            pointer="/inbox_ids",
        ),
    )
    _check_within(principal, role)
    session.add(role)
    await session.flush()
    await record_by(session, principal, "role.created", target=f"role:{role.id}", details=_snapshot(role))
    await session.commit()
    await session.refresh(role)
    return to_out(role, 0)


async def update_role(
    *, session: AsyncSession, principal: Principal, role_id: uuid.UUID, data: RoleUpdate
) -> RoleOut:
    role = await get_role(session, workspace_id=principal.workspace_id, role_id=role_id)
    _check_within(principal, role)
    changes = data.model_dump(exclude_unset=True)
    before = _snapshot(role)
    if changes.get("name") is not None:
        await _check_name(session, workspace_id=principal.workspace_id, name=changes["name"], exclude=role.id)
        role.name = changes["name"]
    if changes.get("description") is not None:
        role.description = changes["description"]
    if changes.get("permissions") is not None:
        role.permissions = _check_permissions(changes["permissions"])
    # null is meaningful for limits: it lifts them.
    if "team_ids" in changes:
        role.team_ids = await _check_ids(
            session, workspace_id=principal.workspace_id, model=Team, ids=data.team_ids, pointer="/team_ids"
        )
    if "inbox_ids" in changes:
        role.inbox_ids = await _check_ids(
            session,
            workspace_id=principal.workspace_id,
            model=Inbox,
            ids=data.inbox_ids,
            pointer="/inbox_ids",
        )
    _check_within(principal, role)
    await record_by(
        session,
        principal,
        "role.updated",
        target=f"role:{role.id}",
        details={"before": before, "after": _snapshot(role)},
    )
    await session.commit()
    await session.refresh(role)
    return await role_out(session, role)


async def delete_role(*, session: AsyncSession, principal: Principal, role_id: uuid.UUID) -> None:
    role = await get_role(session, workspace_id=principal.workspace_id, role_id=role_id)
    # Deleting a role in use would silently hand its agents the built-in agent set,
    # which may be more or less than they had: the admin reassigns them first.
    in_use = (await _agent_counts(session, [role.id])).get(role.id, 0)
    if in_use:
        raise ProblemError(
            409,
            f"the role is given to {in_use} agent(s); give them another role first",
            code="role_in_use",
            params={"agents": in_use},
        )
    await record_by(session, principal, "role.deleted", target=f"role:{role.id}", details=_snapshot(role))
    await session.delete(role)
    await session.commit()


async def set_agent_role(
    *, session: AsyncSession, principal: Principal, agent_id: uuid.UUID, role_id: uuid.UUID | None
) -> AgentRoleOut:
    agent = await session.scalar(
        select(Agent).where(Agent.id == agent_id, Agent.workspace_id == principal.workspace_id)
    )
    if agent is None:
        raise NotFound("agent")
    role = None
    if role_id is not None:
        role = await get_role(session, workspace_id=principal.workspace_id, role_id=role_id)
        if agent.role != "agent":
            raise ProblemError(
                409, f"custom roles are for agents with the role 'agent'; this one is {agent.role!r}"
            )
    # Both what the agent has now and what they get must be within the caller's powers.
    for held in (agent.role_id, role_id):
        current = (
            await session.scalar(
                select(Role).where(Role.id == held, Role.workspace_id == principal.workspace_id)
            )
            if held is not None
            else None
        )
        if current is not None:
            _check_within(principal, current)
        elif not _within(
            principal, permissions=sorted(builtin_permissions(agent.role)), team_ids=None, inbox_ids=None
        ):
            raise Forbidden("this agent's role is beyond your own permissions")
    before = agent.role_id
    agent.role_id = role_id
    await record_by(
        session,
        principal,
        "agent.role_changed",
        target=f"agent:{agent.id}",
        details={
            "role_id": [str(before) if before else None, str(role_id) if role_id else None],
            "role_name": role.name if role else None,
        },
    )
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="agent.updated",
        payload={"agent_id": str(agent.id), "fields": ["role_id"]},
    )
    await session.commit()
    permissions = role.permissions if role else sorted(builtin_permissions(agent.role))
    return AgentRoleOut(
        agent_id=str(agent.id),
        role=agent.role,
        role_id=str(role_id) if role_id else None,
        permissions=list(permissions),
    )
