"""An agent's own API tokens: list, mint, revoke.

Only a token's SHA-256 is stored (auth/service.py); the secret exists in the answer that
mints it and nowhere else. A token acts as its agent with the agent's current role and
permissions, so it needs no scopes of its own to be safe: deactivating the agent or
changing their role applies to every token at once. Minting and revoking are audited.
A token that expires mints only tokens expiring no later than itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.audit.service import record_by
from meridian.auth.models import ApiToken
from meridian.auth.schemas import TokenCreate, TokenCreated, TokenList, TokenOut, TokenStatus
from meridian.auth.service import Principal, create_api_token
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError

# Past this a forgotten token is a liability, not a convenience.
MAX_LIFETIME = timedelta(days=3650)
# Per agent: enough for every script one person runs, few enough to review on one page.
MAX_ACTIVE = 50
LIST_LIMIT = 200


def status_of(row: ApiToken, now: datetime) -> TokenStatus:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def to_out(row: ApiToken, now: datetime) -> TokenOut:
    return TokenOut(
        id=str(row.id),
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        status=status_of(row, now),
    )


async def list_tokens(session: AsyncSession, *, principal: Principal) -> TokenList:
    """The caller's own tokens, newest first, revoked ones included (with when)."""
    rows = await session.scalars(
        select(ApiToken)
        .where(ApiToken.workspace_id == principal.workspace_id, ApiToken.agent_id == principal.agent_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        .limit(LIST_LIMIT)
    )
    now = utcnow()
    return TokenList(items=[to_out(r, now) for r in rows])


def _invalid(pointer: str, message: str, code: str) -> ProblemError:
    return ProblemError(422, message, errors=[{"pointer": pointer, "message": message}], code=code)


async def mint_token(*, session: AsyncSession, principal: Principal, data: TokenCreate) -> TokenCreated:
    """Create a token for the caller; the answer is the only place its secret appears."""
    now = utcnow()
    if data.expires_at is not None and data.expires_at <= now:
        raise _invalid("/expires_at", "expires_at must be in the future", "token_expiry_past")
    if data.expires_at is not None and data.expires_at > now + MAX_LIFETIME:
        raise _invalid("/expires_at", "expires_at must be within ten years", "token_expiry_far")
    limit = principal.token_expires_at
    if limit is not None and (data.expires_at is None or data.expires_at > limit):
        # A token that expires must not be a way to one that does not (or lives longer):
        # what it mints ends no later than it does. Signed-in (session) callers have no limit.
        raise ProblemError(
            403,
            "a token can only mint tokens that expire no later than itself",
            errors=[
                {"pointer": "/expires_at", "message": "must be no later than the calling token's expiry"}
            ],
            code="token_outlives_caller",
            params={"max_expires_at": limit.isoformat()},
        )
    agent = await session.scalar(
        select(Agent)
        .where(Agent.id == principal.agent_id, Agent.workspace_id == principal.workspace_id)
        # Serializes concurrent mints by one agent, so the count below holds.
        .with_for_update()
    )
    if agent is None or agent.deactivated_at is not None:
        raise NotFound("agent")
    active = await session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.agent_id == agent.id,
            ApiToken.revoked_at.is_(None),
            (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now),
        )
    )
    if (active or 0) >= MAX_ACTIVE:
        raise ProblemError(
            409,
            f"you already have {MAX_ACTIVE} active tokens; revoke one first",
            code="token_limit",
            params={"max": MAX_ACTIVE},
        )
    secret, row = await create_api_token(session, agent=agent, name=data.name, expires_at=data.expires_at)
    await record_by(
        session,
        principal,
        "api_token.created",
        target=f"api_token:{row.id}",
        details={"name": row.name, "prefix": row.prefix, "expires_at": row.expires_at},
    )
    await session.commit()
    await session.refresh(row)
    return TokenCreated(**to_out(row, now).model_dump(), token=secret)


async def revoke_token(*, session: AsyncSession, principal: Principal, token_id: uuid.UUID) -> TokenOut:
    """Revoke one of the caller's tokens; it stops working at once. Revoking twice is a no-op."""
    row = await session.scalar(
        select(ApiToken)
        .where(
            ApiToken.id == token_id,
            ApiToken.workspace_id == principal.workspace_id,
            # Another agent's token is not found, not forbidden: its existence is not ours to know.
            ApiToken.agent_id == principal.agent_id,
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound("token")
    now = utcnow()
    if row.revoked_at is None:
        row.revoked_at = now
        await record_by(
            session,
            principal,
            "api_token.revoked",
            target=f"api_token:{row.id}",
            details={"name": row.name, "prefix": row.prefix},
        )
        await session.commit()
    return to_out(row, now)
