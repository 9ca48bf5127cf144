"""FastAPI dependencies: the database session and the calling principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth import tenancy
from meridian.auth.permissions import PERMISSIONS
from meridian.auth.service import (
    SESSION_COOKIE,
    Principal,
    principal_from_cookie,
    principal_from_token,
)
from meridian.core.clock import utcnow
from meridian.core.errors import Forbidden, ProblemError
from meridian.db.engine import get_database
from meridian.routing import presence
from meridian.vault import access

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def db_session() -> AsyncIterator[AsyncSession]:
    async with get_database().session() as session:
        yield session


Session = Annotated[AsyncSession, Depends(db_session)]


async def optional_principal(request: Request, session: Session) -> Principal | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ProblemError(
                401, "use 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"}
            )
        principal = await principal_from_token(session, token.strip())
        if principal is None:
            raise ProblemError(
                401, "the API token is invalid or revoked", headers={"WWW-Authenticate": "Bearer"}
            )
        await _seen(session, principal)
        await session.commit()
        return await _reading_as(session, principal)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    principal = await principal_from_cookie(session, cookie)
    if principal is None:
        return None
    # A cookie rides along on cross-site requests; a state change needs the CSRF token too.
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
        import hmac

        if not sent or not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
            raise ProblemError(403, "missing or wrong CSRF token")
    if await _seen(session, principal):
        await session.commit()
    return await _reading_as(session, principal)


async def _seen(session: AsyncSession, principal: Principal) -> bool:
    """Requests are activity: auto-away (routing/presence.py) measures from them."""
    return await presence.seen(session, agent_id=principal.agent_id, at=utcnow())


async def _reading_as(session: AsyncSession, principal: Principal) -> Principal:
    """Name the caller to the vault for this request, so content obeys region grants,
    and to PostgreSQL, so row-level security confines the session to its workspace."""
    await tenancy.bind_workspace(session, principal.workspace_id)
    access.set_reader(
        access.Reader(
            workspace_id=principal.workspace_id,
            agent_id=principal.agent_id,
            home_region=principal.region,
            regions=principal.regions,
        )
    )
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise ProblemError(401, "sign in or send an API token", headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_permission(*permissions: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """Guard a route by catalog permissions (auth/permissions.py; any one of them suffices),
    so custom roles apply."""
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown or not permissions:
        raise ValueError(f"unknown permission(s) {unknown!r}")

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not any(principal.can(p) for p in permissions):
            raise Forbidden(f"this needs the permission {' or '.join(permissions)}")
        return principal

    return dependency


# One alias per guarded capability. Routes check permissions, never the built-in role
# name, so a custom role (roles/) reaches everything its permissions name.
ErasePrincipal = Annotated[Principal, Depends(require_permission("contacts.erase"))]
ExportPrincipal = Annotated[Principal, Depends(require_permission("contacts.export"))]
PrivacyPrincipal = Annotated[Principal, Depends(require_permission("contacts.erase", "contacts.export"))]
AuditPrincipal = Annotated[Principal, Depends(require_permission("audit.view"))]
AnalyticsPrincipal = Annotated[Principal, Depends(require_permission("analytics.view"))]
KbEditPrincipal = Annotated[Principal, Depends(require_permission("kb.edit"))]
SettingsPrincipal = Annotated[Principal, Depends(require_permission("settings.manage"))]
AgentsPrincipal = Annotated[Principal, Depends(require_permission("agents.manage"))]
MergePrincipal = Annotated[Principal, Depends(require_permission("contacts.merge"))]
ReplyPrincipal = Annotated[Principal, Depends(require_permission("conversations.reply"))]
AssignPrincipal = Annotated[Principal, Depends(require_permission("conversations.assign"))]
ContactsPrincipal = Annotated[Principal, Depends(require_permission("contacts.manage"))]
KbManagePrincipal = Annotated[Principal, Depends(require_permission("kb.manage"))]
CannedPrincipal = Annotated[Principal, Depends(require_permission("canned.manage"))]
AutomationsPrincipal = Annotated[Principal, Depends(require_permission("automations.manage"))]
GlossaryPrincipal = Annotated[Principal, Depends(require_permission("translation.glossary"))]
PrivacyViewPrincipal = Annotated[Principal, Depends(require_permission("privacy.view", "privacy.manage"))]
PrivacyManagePrincipal = Annotated[Principal, Depends(require_permission("privacy.manage"))]
ResidencyPrincipal = Annotated[Principal, Depends(require_permission("residency.manage"))]
RolesPrincipal = Annotated[Principal, Depends(require_permission("roles.manage"))]
