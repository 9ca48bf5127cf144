from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from meridian.core.schemas import StrictModel

RoleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=500)]
# Checked against the catalog by the service, so an unknown name gets a 422 naming it.
Permission = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RoleCreate(StrictModel):
    name: RoleName
    description: Description = ""
    permissions: list[Permission] = Field(default_factory=list, max_length=64)
    # None or []: no limit. Otherwise only conversations of these teams / inboxes.
    team_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    inbox_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)


class RoleUpdate(StrictModel):
    name: RoleName | None = None
    description: Description | None = None
    permissions: list[Permission] | None = Field(default=None, max_length=64)
    team_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    inbox_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)


class RoleOut(BaseModel):
    id: str
    name: str
    description: str
    permissions: list[str]
    team_ids: list[str] | None
    inbox_ids: list[str] | None
    agent_count: int
    created_at: datetime
    updated_at: datetime


class BuiltinRole(BaseModel):
    name: str
    permissions: list[str]


class PermissionOut(BaseModel):
    name: str
    description: str


class RoleList(BaseModel):
    items: list[RoleOut]
    builtin: list[BuiltinRole]
    catalog: list[PermissionOut]


class AgentRoleIn(StrictModel):
    # None: back to the built-in permission set of the agent's role.
    role_id: uuid.UUID | None


class AgentRoleOut(BaseModel):
    agent_id: str
    role: str
    role_id: str | None
    permissions: list[str]
