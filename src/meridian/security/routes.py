"""Two-factor sign-in over the API: an agent manages their own TOTP key."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from meridian.agents.models import Agent
from meridian.auth.deps import CurrentPrincipal, Session
from meridian.core.schemas import StrictModel
from meridian.security import totp

router = APIRouter(tags=["security"])


class TwoFactorStatus(BaseModel):
    enabled: bool


class TwoFactorEnrolment(BaseModel):
    secret: str
    otpauth_uri: str


class TwoFactorCode(StrictModel):
    code: str = Field(min_length=6, max_length=8)


async def _agent(session: Session, principal: CurrentPrincipal) -> Agent:
    agent = await session.get(Agent, principal.agent_id)
    assert agent is not None
    return agent


@router.get("/me/2fa", response_model=TwoFactorStatus)
async def status(principal: CurrentPrincipal, session: Session) -> TwoFactorStatus:
    return TwoFactorStatus(enabled=await totp.is_enabled(session, principal.agent_id))


@router.post("/me/2fa", response_model=TwoFactorEnrolment, status_code=201)
async def enrol(principal: CurrentPrincipal, session: Session) -> TwoFactorEnrolment:
    """A new key for the authenticator app; sign-in asks for codes once it is confirmed."""
    enrolment = await totp.begin_enrolment(session, agent=await _agent(session, principal))
    return TwoFactorEnrolment(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post("/me/2fa/confirm", response_model=TwoFactorStatus)
async def confirm(data: TwoFactorCode, principal: CurrentPrincipal, session: Session) -> TwoFactorStatus:
    await totp.confirm_enrolment(session, agent=await _agent(session, principal), code=data.code)
    return TwoFactorStatus(enabled=True)


@router.post("/me/2fa/disable", status_code=204)
async def disable(data: TwoFactorCode, principal: CurrentPrincipal, session: Session) -> Response:
    await totp.disable(session, agent=await _agent(session, principal), code=data.code)
    return Response(status_code=204)
