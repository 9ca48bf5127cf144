"""Who is looking at a console page: the session cookie's principal, or a trip to /login."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from meridian.auth.deps import Session, optional_principal
from meridian.auth.service import Principal
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


async def require_admin_page(principal: PagePrincipal) -> Principal:
    """Admin screens: agents and supervisors get the 403 page, on GET and POST alike,
    before any form is read or anything is loaded."""
    if not principal.is_admin:
        raise PageForbidden(principal)
    return principal


AdminPage = Annotated[Principal, Depends(require_admin_page)]


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
