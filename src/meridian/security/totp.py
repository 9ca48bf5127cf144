"""TOTP two-factor sign-in for agents (RFC 6238, with pyotp).

Enrolment is two steps: ``begin_enrolment`` stores a new secret (Fernet-encrypted,
like inbox secrets) and returns it with its ``otpauth://`` URI for the authenticator
app; ``confirm_enrolment`` turns it on once the agent proves the app produces valid
codes. From then on the console asks for a code after the password. A code is
accepted once: the time step of the last accepted code is kept (RFC 6238 section 5.2).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.audit.service import record
from meridian.core.clock import utcnow
from meridian.core.crypto import decrypt_json, encrypt_json
from meridian.core.errors import ProblemError
from meridian.security.models import AgentTotp

ISSUER = "Meridian"
# One step of clock drift either way (RFC 6238 section 6 recommends allowing one).
VALID_WINDOW = 1
STEP_SECONDS = 30


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str


def _secret(row: AgentTotp) -> str:
    secret: str = decrypt_json(row.secret)["secret"]
    return secret


async def is_enabled(session: AsyncSession, agent_id: uuid.UUID) -> bool:
    row = await session.get(AgentTotp, agent_id)
    return row is not None and row.confirmed_at is not None


async def begin_enrolment(session: AsyncSession, *, agent: Agent) -> Enrolment:
    row = await session.get(AgentTotp, agent.id, with_for_update=True)
    if row is not None and row.confirmed_at is not None:
        raise ProblemError(409, "two-factor sign-in is already on; turn it off first to change the key")
    secret = pyotp.random_base32()
    sealed = encrypt_json({"secret": secret})
    if row is None:
        session.add(AgentTotp(workspace_id=agent.workspace_id, agent_id=agent.id, secret=sealed))
    else:
        row.secret, row.last_step = sealed, None
    await session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=agent.email, issuer_name=ISSUER)
    return Enrolment(secret, uri)


async def check_code(
    session: AsyncSession, *, agent_id: uuid.UUID, code: str, confirmed: bool = True
) -> bool:
    """True when ``code`` is valid now and was not used before (the caller commits)."""
    row = await session.get(AgentTotp, agent_id, with_for_update=True)
    if row is None or (row.confirmed_at is not None) != confirmed:
        return False
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(_secret(row))
    now = utcnow()
    current = int(now.timestamp()) // STEP_SECONDS
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if totp.at(step * STEP_SECONDS) == code:
            if row.last_step is not None and step <= row.last_step:
                return False
            row.last_step = step
            return True
    return False


async def confirm_enrolment(session: AsyncSession, *, agent: Agent, code: str) -> None:
    if not await check_code(session, agent_id=agent.id, code=code, confirmed=False):
        await session.rollback()
        raise ProblemError(
            422,
            "code: not the current code of the key being set up",
            errors=[{"pointer": "/code", "message": "invalid"}],
        )
    row = await session.get(AgentTotp, agent.id)
    assert row is not None
    row.confirmed_at = utcnow()
    await record(
        session,
        workspace_id=agent.workspace_id,
        actor_id=agent.id,
        action="agent.2fa_enabled",
        target=f"agent:{agent.id}",
    )
    await session.commit()


async def disable(session: AsyncSession, *, agent: Agent, code: str) -> None:
    if not await check_code(session, agent_id=agent.id, code=code):
        await session.rollback()
        raise ProblemError(
            422, "code: not a current code", errors=[{"pointer": "/code", "message": "invalid"}]
        )
    row = await session.get(AgentTotp, agent.id)
    assert row is not None
    await session.delete(row)
    await record(
        session,
        workspace_id=agent.workspace_id,
        actor_id=agent.id,
        action="agent.2fa_disabled",
        target=f"agent:{agent.id}",
    )
    await session.commit()
