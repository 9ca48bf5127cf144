"""An agent changing their own password: the current one proves it is them."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.audit.service import record_by
from meridian.auth.models import AgentSession
from meridian.auth.passwords import hash_password, verify_password
from meridian.auth.service import Principal
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError

MIN_LENGTH = 8
MAX_LENGTH = 200


async def change_own_password(
    session: AsyncSession, *, principal: Principal, current_password: str, new_password: str
) -> None:
    """Check the current password, store the new one (argon2), end the agent's other sessions, audit.

    Raises ``ProblemError`` 403 for a wrong current password and 422 for an unacceptable new one;
    nothing changes then.
    """
    agent = await session.get(Agent, principal.agent_id)
    if agent is None or agent.workspace_id != principal.workspace_id:
        raise NotFound("agent")
    if not verify_password(agent.password_hash, current_password):
        raise ProblemError(403, "current_password: wrong password")
    if not MIN_LENGTH <= len(new_password) <= MAX_LENGTH:
        raise ProblemError(
            422,
            f"new_password: {MIN_LENGTH} to {MAX_LENGTH} characters",
            errors=[{"pointer": "/new_password", "message": "length"}],
        )
    if new_password == current_password:
        raise ProblemError(
            422,
            "new_password: same as the current one",
            errors=[{"pointer": "/new_password", "message": "same"}],
        )
    agent.password_hash = hash_password(new_password)
    # A stolen session must not survive the password change that was meant to lock it out.
    others = update(AgentSession).where(AgentSession.agent_id == agent.id, AgentSession.ended_at.is_(None))
    if principal.session_id is not None:
        others = others.where(AgentSession.id != principal.session_id)
    await session.execute(others.values(ended_at=utcnow()))
    await record_by(session, principal, "agent.password_changed", target=f"agent:{agent.id}")
    await session.commit()
