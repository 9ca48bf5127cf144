"""The agent console's pages: sign-in, the inbox, the profile, and the admin entry.

Routes stay thin: they read the form, call one service, and render a template. The
conversation screen lives in ``conversation_routes``.
"""

from __future__ import annotations

import hmac
import secrets
import zoneinfo
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from meridian.agents.languages import format_spoken, read_spoken
from meridian.agents.schemas import AgentOut, AgentUpdate
from meridian.agents.service import get_agent, list_agents, team_ids_of, to_out, update_agent
from meridian.audit.service import record as audit_record
from meridian.auth.deps import Session
from meridian.auth.password_change import change_own_password
from meridian.auth.service import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    authenticate_password,
    end_session,
    start_session,
)
from meridian.config import get_settings
from meridian.console import queries, saved_views
from meridian.console.analytics_routes import router as analytics_router
from meridian.console.collab_routes import router as collab_router
from meridian.console.conversation_routes import router as conversation_router
from meridian.console.deps import AgentsPage, PagePrincipal, safe_next
from meridian.console.i18n import SUPPORTED, negotiate
from meridian.console.kb_routes import router as kb_router
from meridian.console.privacy_routes import router as privacy_router
from meridian.console.render import render
from meridian.console.token_routes import router as token_router
from meridian.console.translation_routes import router as translation_router
from meridian.console.whatsapp_template_routes import router as whatsapp_template_router
from meridian.conversations.service import list_conversations, to_out_many
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.security.console_routes import totp_challenge
from meridian.security.totp import is_enabled as totp_enabled

router = APIRouter(include_in_schema=False)
router.include_router(conversation_router)
router.include_router(collab_router)
router.include_router(translation_router)
router.include_router(whatsapp_template_router)
router.include_router(analytics_router)
router.include_router(kb_router)
router.include_router(privacy_router)
router.include_router(token_router)

STATIC_DIR = Path(__file__).parent / "static"
LOGIN_CSRF_COOKIE = "meridian_login_csrf"
LIST_LIMIT = 50


def _secure_cookies() -> bool:
    return get_settings().public_url.startswith("https://")


def _login_page(
    request: Request, *, token: str, error: str | None, status_code: int, next_url: str
) -> Response:
    response = render(
        request,
        "login.html",
        principal=None,
        status_code=status_code,
        csrf_token=token,
        error=error,
        next_url=next_url,
    )
    # Sign-in has no session yet, so its CSRF token is a double-submit cookie.
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure_cookies())
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    return _login_page(request, token=token, error=None, status_code=200, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    session: Session,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request, token=secrets.token_urlsafe(32), error="csrf", status_code=403, next_url=safe_next(next)
        )
    agent = await authenticate_password(session, email=email, password=password)
    if agent is None:
        return _login_page(
            request, token=expected, error="credentials", status_code=401, next_url=safe_next(next)
        )
    if await totp_enabled(session, agent.id):
        return await totp_challenge(request, session, agent=agent, csrf=expected, next_url=safe_next(next))
    cookie, _ = await start_session(session, agent=agent, user_agent=request.headers.get("user-agent"))
    await audit_record(
        session,
        workspace_id=agent.workspace_id,
        actor_id=agent.id,
        action="agent.signed_in",
        target=f"agent:{agent.id}",
    )
    await session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(principal: PagePrincipal, session: Session) -> Response:
    if principal.session_id is not None:
        await end_session(session, session_id=principal.session_id)
        await session.commit()
    response = RedirectResponse("/login?notice=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def _list_context(
    request: Request, session: Session, principal: PagePrincipal, view: str
) -> dict[str, Any]:
    """The inbox for a view and the query string's filters, or a saved view's (``saved=<id>``)."""
    saved_id = request.query_params.get("saved", "")
    saved = None
    if saved_id:
        ident = parse_id(saved_id)
        if ident is None:
            raise NotFound("saved view")
        saved = await saved_views.get_view(session, principal=principal, view_id=ident)
        query = saved_views.query_of(saved, inbox_view=view)
    else:
        query = queries.InboxQuery.parse(request.query_params, view=view)
    rows, _ = await list_conversations(
        session,
        principal=principal,
        limit=LIST_LIMIT,
        cursor=None,
        filters=query.conversation_filter(principal),
        sort=query.sort,
    )
    extra = {"saved": str(saved.id)} if saved else {}
    return {
        "view": view,
        "query": query,
        "list_query": query.query_string(**extra),
        "saved_view": saved,
        "saved_views": await saved_views.list_views(session, principal=principal),
        "status": query.status,
        "conversations": await to_out_many(session, rows),
        "counts": await queries.view_counts(session, principal=principal, query=query),
        "count_cap": queries.COUNT_CAP,
        "views": queries.views_for(principal),
        "statuses": queries.STATUSES,
        "options": await queries.filter_options(session, workspace_id=principal.workspace_id),
    }


async def _inbox(
    request: Request, principal: PagePrincipal, session: Session, view: str, template: str
) -> Response:
    if view not in queries.views_for(principal):
        return render(request, "error.html", principal=principal, status_code=403, error="forbidden")
    try:
        context = await _list_context(request, session, principal, view)
    except NotFound:
        return render(request, "error.html", principal=principal, status_code=404, error="not_found")
    return render(request, template, principal=principal, **context)


@router.get("/", response_class=HTMLResponse)
async def inbox(request: Request, principal: PagePrincipal, session: Session, view: str = "mine") -> Response:
    return await _inbox(request, principal, session, view, "inbox.html")


@router.get("/inbox/list", response_class=HTMLResponse)
async def inbox_list(
    request: Request, principal: PagePrincipal, session: Session, view: str = "mine"
) -> Response:
    return await _inbox(request, principal, session, view, "_inbox_list.html")


@router.post("/inbox/views")
async def create_saved_view(request: Request, principal: PagePrincipal, session: Session) -> Response:
    """Save the inbox's current filters under a name (the filter form's fields plus ``name``)."""
    form = await request.form()
    params = {k: str(v) for k, v in form.items()}
    query = queries.InboxQuery.parse(params)
    try:
        saved = await saved_views.save_view(
            session, principal=principal, name=params.get("name", ""), query=query
        )
    except ProblemError:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    return RedirectResponse(f"/?view={query.view}&saved={saved.id}", status_code=303)


@router.post("/inbox/views/{view_id}/delete")
async def delete_saved_view(
    principal: PagePrincipal, session: Session, request: Request, view_id: str
) -> Response:
    ident = parse_id(view_id)
    try:
        if ident is None:
            raise NotFound("saved view")
        await saved_views.delete_view(session, principal=principal, view_id=ident)
    except NotFound:
        return render(request, "error.html", principal=principal, status_code=404, error="not_found")
    return RedirectResponse("/?notice=saved", status_code=303)


def _profile_page(
    request: Request, principal: PagePrincipal, *, agent: AgentOut, error: str | None, status_code: int = 200
) -> Response:
    return render(
        request,
        "profile.html",
        principal=principal,
        status_code=status_code,
        agent=agent,
        spoken=format_spoken(agent.languages, agent.language_proficiency),
        error=error,
        locales=SUPPORTED,
        current_locale=negotiate(principal.locale),
        timezones=sorted(zoneinfo.available_timezones()),
    )


async def _me(session: Session, principal: PagePrincipal) -> AgentOut:
    agent = await get_agent(session, workspace_id=principal.workspace_id, agent_id=principal.agent_id)
    return to_out(agent, (await team_ids_of(session, [agent.id]))[agent.id])


@router.get("/profile", response_class=HTMLResponse)
async def profile(request: Request, principal: PagePrincipal, session: Session) -> Response:
    return _profile_page(request, principal, agent=await _me(session, principal), error=None)


@router.post("/profile", response_class=HTMLResponse)
async def save_profile(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    locale: Annotated[str, Form()],
    timezone: Annotated[str, Form()],
    languages: Annotated[str, Form()] = "",
) -> Response:
    # "es:native, en": languages with optional levels (agents/languages.py).
    spoken, levels = read_spoken(languages)
    try:
        # Stored as BCP 47 (hyphens); catalog directories use CLDR underscores.
        data = AgentUpdate.model_validate(
            {
                "locale": locale.replace("_", "-"),
                "timezone": timezone,
                "languages": spoken,
                "language_proficiency": levels,
            }
        )
    except ValidationError:
        return _profile_page(
            request, principal, agent=await _me(session, principal), error="invalid", status_code=422
        )
    await update_agent(session=session, principal=principal, agent_id=principal.agent_id, data=data)
    return RedirectResponse("/profile?notice=saved", status_code=303)


@router.post("/profile/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    error: str | None = None
    if new_password != confirm_password:
        error = "password_mismatch"
    else:
        try:
            await change_own_password(
                session, principal=principal, current_password=current_password, new_password=new_password
            )
        except ProblemError as exc:
            await session.rollback()
            error = "password_wrong" if exc.status == 403 else "password_invalid"
    if error is not None:
        return _profile_page(
            request, principal, agent=await _me(session, principal), error=error, status_code=422
        )
    return RedirectResponse("/profile?notice=password_changed", status_code=303)


@router.get("/admin/agents", response_class=HTMLResponse)
async def admin_agents(request: Request, principal: AgentsPage, session: Session) -> Response:
    agents = await list_agents(session, workspace_id=principal.workspace_id)
    return render(request, "admin_agents.html", principal=principal, agents=agents)
