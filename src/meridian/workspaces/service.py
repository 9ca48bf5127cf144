from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.passwords import hash_password
from meridian.auth.service import create_api_token
from meridian.workspaces.models import Workspace


@dataclass(frozen=True)
class Bootstrapped:
    workspace: Workspace
    admin: Agent
    token: str


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
    workspace = Workspace(name=name, default_locale=default_locale, languages=[], settings={})
    session.add(workspace)
    await session.flush()
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
