"""Factories: real rows through the same named actions the product uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from meridian.agents.models import Agent
from meridian.agents.schemas import AgentCreate
from meridian.agents.service import create_agent
from meridian.auth.service import Principal, create_api_token, principal_from_token
from meridian.db.engine import Database
from meridian.inboxes.schemas import InboxCreate
from meridian.inboxes.service import create_inbox
from meridian.teams.schemas import TeamCreate
from meridian.teams.service import create_team
from meridian.workspaces.service import bootstrap_workspace


@dataclass
class Tenant:
    workspace_id: uuid.UUID
    admin_id: uuid.UUID
    token: str
    principal: Principal

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class AgentHandle:
    id: uuid.UUID
    token: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def tenant(self, name: str = "Acme") -> Tenant:
        email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
        async with self.db.session() as session:
            result = await bootstrap_workspace(
                session=session, name=name, email=email, password="correct horse 1"
            )
            principal = await principal_from_token(session, result.token)
        assert principal is not None
        return Tenant(result.workspace.id, result.admin.id, result.token, principal)

    async def agent(self, tenant: Tenant, *, role: str = "agent", **fields: Any) -> AgentHandle:
        email = fields.pop("email", f"agent-{uuid.uuid4().hex[:8]}@example.com")
        async with self.db.session() as session:
            out = await create_agent(
                session=session,
                principal=tenant.principal,
                data=AgentCreate(
                    email=email,
                    name=fields.pop("name", "Agent"),
                    role=role,
                    password="password123",
                    **fields,
                ),
            )
            agent = await session.get(Agent, uuid.UUID(out.id))
            assert agent is not None
            token, _ = await create_api_token(session, agent=agent)
            await session.commit()
        return AgentHandle(uuid.UUID(out.id), token, email)

    async def team(self, tenant: Tenant, **fields: Any) -> uuid.UUID:
        async with self.db.session() as session:
            out = await create_team(
                session=session,
                principal=tenant.principal,
                data=TeamCreate(name=fields.pop("name", "Team"), **fields),
            )
        return uuid.UUID(out.id)

    async def inbox(
        self, tenant: Tenant, channel: str = "api", **fields: Any
    ) -> tuple[uuid.UUID, dict[str, Any]]:
        async with self.db.session() as session:
            out = await create_inbox(
                session=session,
                principal=tenant.principal,
                data=InboxCreate(
                    name=fields.pop("name", f"{channel} inbox"),
                    channel=channel,
                    config=fields.pop("config", {}),
                    **fields,
                ),
            )
        return uuid.UUID(out.id), out.model_dump()
