from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.passwords import hash_password
from meridian.auth.service import Principal, create_api_token
from meridian.conversations.numbers import create_number_sequence
from meridian.core.errors import Forbidden, NotFound
from meridian.events.service import publish
from meridian.workspaces.models import Workspace
from meridian.workspaces.schemas import WorkspaceOut, WorkspaceUpdate


@dataclass(frozen=True)
class Bootstrapped:
    workspace: Workspace
    admin: Agent
    token: str


async def create_workspace(
    session: AsyncSession,
    *,
    name: str,
    default_locale: str = "en",
    languages: list[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> Workspace:
    """A workspace row and what every workspace needs beside it (its conversation-number
    sequence), in the caller's transaction. Every path that makes a workspace calls this."""
    workspace = Workspace(
        name=name, default_locale=default_locale, languages=languages or [], settings=settings or {}
    )
    session.add(workspace)
    await session.flush()
    await create_number_sequence(session, workspace.id)
    return workspace


async def bootstrap_workspace(
    *,
    session: AsyncSession,
    name: str,
    email: str,
    password: str,
    admin_name: str | None = None,
    default_locale: str = "en",
) -> Bootstrapped:
    """Create a workspace, its first admin and an API token for that admin (one transaction)."""
    workspace = await create_workspace(session, name=name, default_locale=default_locale)
    admin = Agent(
        workspace_id=workspace.id,
        email=email.strip(),
        name=admin_name or email.split("@")[0],
        password_hash=hash_password(password),
        role="admin",
        languages=[default_locale],
        locale=default_locale,
    )
    session.add(admin)
    await session.flush()
    token, _ = await create_api_token(session, agent=admin, name="bootstrap")
    await session.commit()
    return Bootstrapped(workspace=workspace, admin=admin, token=token)


def to_out(workspace: Workspace) -> WorkspaceOut:
    return WorkspaceOut(
        id=str(workspace.id),
        name=workspace.name,
        default_locale=workspace.default_locale,
        languages=list(workspace.languages),
        timezone=str((workspace.settings or {}).get("timezone", "UTC")),
        intent_skills=dict((workspace.settings or {}).get("intent_skills") or {}),
    )


async def get_workspace(session: AsyncSession, *, workspace_id: uuid.UUID) -> WorkspaceOut:
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace")
    return to_out(workspace)


async def update_workspace(
    *, session: AsyncSession, principal: Principal, data: WorkspaceUpdate
) -> WorkspaceOut:
    """settings.manage: the workspace's name, default locale, languages and default timezone."""
    if not principal.can("settings.manage"):
        raise Forbidden("only admins can change workspace settings")
    workspace = await session.get(Workspace, principal.workspace_id)
    if workspace is None:
        raise NotFound("workspace")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "timezone" in changes:
        # Kept in the settings document: no column to migrate for one string.
        workspace.settings = {**(workspace.settings or {}), "timezone": changes.pop("timezone")}
    if "intent_skills" in changes:
        # Read by routing (routing/service.py), kept beside the timezone for the same reason.
        intents = {k: list(dict.fromkeys(v)) for k, v in changes.pop("intent_skills").items() if v}
        workspace.settings = {**(workspace.settings or {}), "intent_skills": intents}
    if "languages" in changes:
        changes["languages"] = list(dict.fromkeys(changes["languages"]))
    for key, value in changes.items():
        setattr(workspace, key, value)
    await publish(
        session,
        workspace_id=workspace.id,
        type="settings.updated",
        payload={"section": "workspace", "fields": sorted(data.model_dump(exclude_unset=True))},
    )
    await session.commit()
    return to_out(workspace)
