"""Who is looking at a console page: the session cookie's principal, or a trip to /login."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from meridian.auth.deps import Session, optional_principal
from meridian.auth.permissions import PERMISSIONS
from meridian.auth.service import Principal
from meridian.console.admin_pages import DOOR, may_open
from meridian.console.errors import PageForbidden, PageNotFound
from meridian.conversations.models import Conversation
from meridian.conversations.service import get_visible
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id

LOGIN_PATH = "/login"


async def page_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    if principal is not None:
        return principal
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = f"{LOGIN_PATH}?next={quote(target, safe='')}"
    if request.headers.get("hx-request"):
        # htmx follows a 303 inside its XHR and would paste the login form into the
        # list; HX-Redirect makes it navigate the whole page instead.
        raise ProblemError(401, "sign in first", headers={"HX-Redirect": location})
    raise ProblemError(303, "sign in first", headers={"Location": location})


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def admin_page(*permissions: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """An admin screen's gate (console/admin_pages.py): ``console.admin`` and any one of
    ``permissions``. Anyone else gets the 403 page, on GET and POST alike, before any
    form is read or anything is loaded."""
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown or not permissions:
        raise ValueError(f"unknown permission(s) {unknown!r}")

    async def dependency(principal: PagePrincipal) -> Principal:
        if not may_open(principal, permissions):
            raise PageForbidden(principal)
        return principal

    return dependency


def page_permission(*permissions: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A console action outside the admin area that needs a permission (replying,
    changing a conversation, merging contacts), like its API route: the 403 page."""
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown or not permissions:
        raise ValueError(f"unknown permission(s) {unknown!r}")

    async def dependency(principal: PagePrincipal) -> Principal:
        if not any(principal.can(p) for p in permissions):
            raise PageForbidden(principal)
        return principal

    return dependency


ReplyPage = Annotated[Principal, Depends(page_permission("conversations.reply"))]
AssignPage = Annotated[Principal, Depends(page_permission("conversations.assign"))]
MergePage = Annotated[Principal, Depends(page_permission("contacts.merge"))]
KbEditPage = Annotated[Principal, Depends(page_permission("kb.edit"))]


# The door alone: for dependencies shared by several screens (admin_common.path_entity);
# each route's own gate, declared before them, has already checked its permission.
AdminDoor = Annotated[Principal, Depends(admin_page(DOOR))]
SettingsPage = Annotated[Principal, Depends(admin_page("settings.manage"))]
AgentsPage = Annotated[Principal, Depends(admin_page("agents.manage", "agents.access"))]
RolesPage = Annotated[Principal, Depends(admin_page("roles.manage"))]
CannedPage = Annotated[Principal, Depends(admin_page("canned.manage"))]
AutomationsPage = Annotated[Principal, Depends(admin_page("automations.manage"))]
PrivacyRequestsPage = Annotated[Principal, Depends(admin_page("contacts.erase", "contacts.export"))]
ErasePage = Annotated[Principal, Depends(admin_page("contacts.erase"))]
ExportPage = Annotated[Principal, Depends(admin_page("contacts.export"))]
PrivacyManagePage = Annotated[Principal, Depends(admin_page("privacy.manage"))]
RegionsPage = Annotated[Principal, Depends(admin_page("agents.access"))]
AuditPage = Annotated[Principal, Depends(admin_page("audit.view"))]


async def visible_conversation(request: Request, principal: PagePrincipal, session: Session) -> Conversation:
    """The conversation the path's ``conversation_id`` names, if this person may see it.

    A malformed id, another workspace's conversation and one outside the person's teams
    or inboxes are all the same 404 page: nobody learns which ids exist."""
    ident = parse_id(str(request.path_params.get("conversation_id", "")))
    if ident is not None:
        try:
            return await get_visible(session, principal=principal, conversation_id=ident)
        except NotFound:
            pass
    raise PageNotFound(principal)


VisibleConversation = Annotated[Conversation, Depends(visible_conversation)]


def safe_next(value: str | None) -> str:
    """Only same-site paths: an open redirect after sign-in is a phishing tool."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"
