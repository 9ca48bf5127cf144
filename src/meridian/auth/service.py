"""Sign-in, sessions and API tokens."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent, AgentTeam
from meridian.auth.models import AgentSession, ApiToken
from meridian.auth.passwords import hash_password, needs_rehash, verify_password
from meridian.auth.permissions import builtin_permissions
from meridian.config import get_settings
from meridian.core.clock import utcnow
from meridian.core.crypto import sha256_hex
from meridian.roles.models import Role

SESSION_COOKIE = "meridian_session"
SESSION_LIFETIME = timedelta(days=14)
TOKEN_PREFIX = "mrd_"  # noqa: S105 - a public prefix that makes leaked tokens easy to scan for
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved once per request, passed to every service call."""

    agent_id: uuid.UUID
    workspace_id: uuid.UUID
    role: str
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    locale: str = "en"
    timezone: str = "UTC"
    name: str = ""
    session_id: uuid.UUID | None = None
    csrf_token: str | None = None
    # Data residency: home region and readable regions (None: all); see vault/access.py.
    region: str = "default"
    regions: frozenset[str] | None = None
    # What the caller may do: the built-in set of ``role``, or their custom role's
    # (auth/permissions.py). None: the built-in set, for principals built by hand.
    permissions: frozenset[str] | None = None
    custom_role_id: uuid.UUID | None = None
    # Attribute limits from a custom role: only conversations of these teams / inboxes
    # (None: no limit). Conversations outside them are not found, see conversations.service.
    limit_team_ids: frozenset[uuid.UUID] | None = None
    limit_inbox_ids: frozenset[uuid.UUID] | None = None
    # Set when the caller came with an API token that expires: a token may not mint one
    # that outlives it, or a short-lived token would be a way to a permanent one.
    token_expires_at: datetime | None = None

    @property
    def sees_all(self) -> bool:
        return self.can("conversations.view_all")

    @property
    def limited(self) -> bool:
        return self.limit_team_ids is not None or self.limit_inbox_ids is not None

    @property
    def granted(self) -> frozenset[str]:
        return self.permissions if self.permissions is not None else builtin_permissions(self.role)

    def can(self, permission: str) -> bool:
        return permission in self.granted

    def holds_all(self, permissions: Iterable[str]) -> bool:
        """Whether this caller has every one of ``permissions``: nobody hands out (to a
        role, an agent or an invitation) more than they hold themselves."""
        return self.granted.issuperset(permissions)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key(), salt="meridian-session")


async def _principal_for(
    session: AsyncSession, agent: Agent, *, session_row: AgentSession | None = None
) -> Principal:
    team_ids = await session.scalars(select(AgentTeam.team_id).where(AgentTeam.agent_id == agent.id))
    permissions = builtin_permissions(agent.role)
    limit_team_ids: frozenset[uuid.UUID] | None = None
    limit_inbox_ids: frozenset[uuid.UUID] | None = None
    custom = None
    # Custom roles apply to the "agent" base role only (roles/service.py refuses others):
    # admins and supervisors keep their built-in powers, so role checks stay sound.
    if agent.role_id is not None and agent.role == "agent":
        custom = await session.get(Role, agent.role_id)
    if custom is not None:
        permissions = frozenset(custom.permissions)
        if custom.team_ids is not None:
            limit_team_ids = frozenset(uuid.UUID(t) for t in custom.team_ids)
        if custom.inbox_ids is not None:
            limit_inbox_ids = frozenset(uuid.UUID(i) for i in custom.inbox_ids)
    return Principal(
        agent_id=agent.id,
        workspace_id=agent.workspace_id,
        role=agent.role,
        team_ids=frozenset(team_ids),
        locale=agent.locale,
        timezone=agent.timezone,
        name=agent.name,
        session_id=session_row.id if session_row else None,
        csrf_token=session_row.csrf_token if session_row else None,
        region=agent.region,
        regions=None if agent.regions is None else frozenset(agent.regions),
        permissions=permissions,
        custom_role_id=custom.id if custom is not None else None,
        limit_team_ids=limit_team_ids,
        limit_inbox_ids=limit_inbox_ids,
    )


async def authenticate_password(session: AsyncSession, *, email: str, password: str) -> Agent | None:
    agent = await session.scalar(select(Agent).where(func.lower(Agent.email) == email.strip().lower()))
    ok = verify_password(agent.password_hash if agent else None, password)
    if not ok or agent is None or agent.deactivated_at is not None:
        return None
    if agent.password_hash and needs_rehash(agent.password_hash):
        agent.password_hash = hash_password(password)
    return agent


async def start_session(
    session: AsyncSession, *, agent: Agent, user_agent: str | None
) -> tuple[str, AgentSession]:
    """Create a console session and return (cookie value, row). Caller commits."""
    row = AgentSession(
        workspace_id=agent.workspace_id,
        agent_id=agent.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + SESSION_LIFETIME,
        user_agent=(user_agent or "")[:400],
    )
    session.add(row)
    await session.flush()
    return _serializer().dumps(str(row.id)), row


async def end_session(session: AsyncSession, *, session_id: uuid.UUID) -> None:
    await session.execute(update(AgentSession).where(AgentSession.id == session_id).values(ended_at=utcnow()))


async def principal_from_cookie(session: AsyncSession, cookie: str) -> Principal | None:
    try:
        raw = _serializer().loads(cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
        session_id = uuid.UUID(str(raw))
    except (BadSignature, ValueError):
        return None
    row = await session.get(AgentSession, session_id)
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        return None
    agent = await session.get(Agent, row.agent_id)
    if agent is None or agent.deactivated_at is not None:
        return None
    return await _principal_for(session, agent, session_row=row)


async def create_api_token(
    session: AsyncSession, *, agent: Agent, name: str = "default", expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """Return (token shown once, row). Only its SHA-256 is stored. Caller commits."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        workspace_id=agent.workspace_id,
        agent_id=agent.id,
        name=name,
        token_hash=sha256_hex(token),
        prefix=token[:12],
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return token, row


async def principal_from_token(session: AsyncSession, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    agent = await session.get(Agent, row.agent_id)
    if agent is None or agent.deactivated_at is not None:
        return None
    # "Last used" to the minute is what an agent needs to spot a dead token; writing the
    # row on every request of a busy script would not tell them more. The caller commits.
    if row.last_used_at is None or row.last_used_at <= now - LAST_USED_PRECISION:
        row.last_used_at = now
    return replace(await _principal_for(session, agent), token_expires_at=row.expires_at)
