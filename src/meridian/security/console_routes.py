"""Console pages for two-factor sign-in: the code step after the password, and the
agent's own set-up page (``/profile/2fa``)."""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.audit.service import record
from meridian.auth.deps import Session
from meridian.auth.service import SESSION_COOKIE, SESSION_LIFETIME, start_session
from meridian.config import get_settings
from meridian.console.deps import PagePrincipal, safe_next
from meridian.console.render import render
from meridian.core.errors import ProblemError
from meridian.security import totp

router = APIRouter(include_in_schema=False)

# The console's sign-in CSRF cookie (double submit), shared with ``console.routes``.
LOGIN_CSRF_COOKIE = "meridian_login_csrf"
# Between the password and the code: long enough to open the app, short enough to be useless later.
PENDING_SECONDS = 300


def _pending() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key(), salt="meridian-2fa-pending")


def _secure() -> bool:
    return get_settings().public_url.startswith("https://")


def _page(
    request: Request, *, pending: str, csrf: str, next_url: str, error: str | None, status: int
) -> Response:
    return render(
        request,
        "login_totp.html",
        principal=None,
        status_code=status,
        pending=pending,
        csrf_token=csrf,
        next_url=next_url,
        error=error,
    )


async def totp_challenge(
    request: Request, session: AsyncSession, *, agent: Agent, csrf: str, next_url: str
) -> Response:
    """The password was right; ask for the code instead of starting the session."""
    await session.commit()
    pending = _pending().dumps(str(agent.id))
    return _page(request, pending=pending, csrf=csrf, next_url=next_url, error=None, status=200)


@router.post("/login/totp", response_class=HTMLResponse)
async def login_totp(
    request: Request,
    session: Session,
    pending: Annotated[str, Form()],
    code: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_url = safe_next(next)
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return RedirectResponse("/login", status_code=303)
    try:
        agent_id = uuid.UUID(str(_pending().loads(pending, max_age=PENDING_SECONDS)))
    except (BadSignature, ValueError):
        return _page(request, pending="", csrf=expected, next_url=next_url, error="expired", status=401)
    agent = await session.get(Agent, agent_id)
    if agent is None or agent.deactivated_at is not None:
        return RedirectResponse("/login", status_code=303)
    if not await totp.check_code(session, agent_id=agent.id, code=code):
        await session.rollback()
        return _page(request, pending=pending, csrf=expected, next_url=next_url, error="code", status=401)
    cookie, _ = await start_session(session, agent=agent, user_agent=request.headers.get("user-agent"))
    await record(
        session,
        workspace_id=agent.workspace_id,
        actor_id=agent.id,
        action="agent.signed_in",
        target=f"agent:{agent.id}",
        details={"two_factor": True},
    )
    await session.commit()
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


async def _me(session: AsyncSession, principal: PagePrincipal) -> Agent:
    agent = await session.get(Agent, principal.agent_id)
    assert agent is not None
    return agent


def _setup_page(
    request: Request,
    principal: PagePrincipal,
    *,
    enabled: bool,
    enrolment: totp.Enrolment | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "two_factor.html",
        principal=principal,
        status_code=status,
        enabled=enabled,
        enrolment=enrolment,
        error=error,
    )


@router.get("/profile/2fa", response_class=HTMLResponse)
async def two_factor(request: Request, principal: PagePrincipal, session: Session) -> Response:
    return _setup_page(request, principal, enabled=await totp.is_enabled(session, principal.agent_id))


@router.post("/profile/2fa", response_class=HTMLResponse)
async def start_two_factor(request: Request, principal: PagePrincipal, session: Session) -> Response:
    try:
        enrolment = await totp.begin_enrolment(session, agent=await _me(session, principal))
    except ProblemError:
        return RedirectResponse("/profile/2fa", status_code=303)
    return _setup_page(request, principal, enabled=False, enrolment=enrolment)


@router.post("/profile/2fa/confirm", response_class=HTMLResponse)
async def confirm_two_factor(
    request: Request, principal: PagePrincipal, session: Session, code: Annotated[str, Form()]
) -> Response:
    try:
        await totp.confirm_enrolment(session, agent=await _me(session, principal), code=code)
    except ProblemError:
        return _setup_page(request, principal, enabled=False, error="code", status=422)
    return RedirectResponse("/profile/2fa?notice=saved", status_code=303)


@router.post("/profile/2fa/disable", response_class=HTMLResponse)
async def disable_two_factor(
    request: Request, principal: PagePrincipal, session: Session, code: Annotated[str, Form()]
) -> Response:
    try:
        await totp.disable(session, agent=await _me(session, principal), code=code)
    except ProblemError:
        return _setup_page(request, principal, enabled=True, error="code", status=422)
    return RedirectResponse("/profile/2fa?notice=saved", status_code=303)
