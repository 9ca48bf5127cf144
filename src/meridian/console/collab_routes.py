"""Working together and help at hand: presence, @mentions, notifications, suggested articles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from meridian.agents.models import Agent
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console import notifications, presence
from meridian.console.deps import PagePrincipal, VisibleConversation
from meridian.console.render import render
from meridian.contacts.models import Contact
from meridian.core.errors import NotFound
from meridian.core.ids import parse_id
from meridian.kb.search import search as kb_search
from meridian.kb.sites import get_site, help_url
from meridian.messages.models import Message
from meridian.vault import service as vault

router = APIRouter(include_in_schema=False)

MENTION_OPTIONS = 8
SUGGESTIONS = 3


def _not_found(request: Request, principal: Principal) -> Response:
    return render(request, "error.html", principal=principal, status_code=404, error="not_found")


@router.post("/conversations/{conversation_id}/presence")
async def post_presence(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation_id: str,
    state: Annotated[str, Form()] = "viewing",
) -> Response:
    ident = parse_id(conversation_id)
    if state not in presence.STATES:
        return Response(status_code=422)
    try:
        if ident is None:
            raise NotFound("conversation")
        await presence.ping(session, principal=principal, conversation_id=ident, state=state)
    except NotFound:
        return _not_found(request, principal)
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/presence", response_class=HTMLResponse)
async def get_presence(
    request: Request, principal: PagePrincipal, session: Session, conversation_id: str
) -> Response:
    ident = parse_id(conversation_id)
    try:
        if ident is None:
            raise NotFound("conversation")
        others = await presence.colleagues_in(session, principal=principal, conversation_id=ident)
    except NotFound:
        return _not_found(request, principal)
    return render(
        request, "_presence.html", principal=principal, conversation_id=str(ident), colleagues=others
    )


@router.get("/conversations/{conversation_id}/mentions", response_class=HTMLResponse)
async def mention_picker(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation: VisibleConversation,
    q: str = "",
) -> Response:
    """Colleagues whose name matches what follows "@" in a note."""
    needle = q.strip().lstrip("@").casefold()[:64]
    names = await session.scalars(
        select(Agent.name)
        .where(
            Agent.workspace_id == principal.workspace_id,
            Agent.deactivated_at.is_(None),
            Agent.id != principal.agent_id,
        )
        .order_by(Agent.name)
    )
    matches = [n for n in names if needle in n.casefold()][:MENTION_OPTIONS]
    return render(request, "_mention_picker.html", principal=principal, names=matches, q=needle)


@router.get("/conversations/{conversation_id}/suggestions", response_class=HTMLResponse)
async def suggestions(
    request: Request, principal: PagePrincipal, session: Session, conversation: VisibleConversation
) -> Response:
    """Top knowledge-base articles for the customer's last message, in the customer's language."""
    ident = conversation.id
    last = await session.scalar(
        select(Message)
        .where(Message.conversation_id == ident, Message.direction == "incoming")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    articles: list[dict[str, str]] = []
    if last is not None:
        region = await session.scalar(select(Contact.region).where(Contact.id == conversation.contact_id))
        contents = await vault.get_messages(session, [(last.id, region or "default")])
        body = contents.get(last.id, vault.EMPTY_MESSAGE).body or ""
        if body.strip():
            hits = await kb_search(
                session,
                workspace_id=principal.workspace_id,
                query=body[:500],
                locale=conversation.language,
                limit=SUGGESTIONS,
            )
            if hits:
                site = await get_site(session, workspace_id=principal.workspace_id)
                articles = [
                    {
                        "title": h.title,
                        "locale": h.locale,
                        "snippet": h.snippet,
                        "url": (url := help_url(site, h.locale, f"/articles/{h.slug}")),
                        # A suggested reply: the passage that matched, in the language
                        # shown (the customer's where a variant exists), and its link.
                        "reply": f"{h.passage}\n\n{url}",
                    }
                    for h in hits
                ]
    return render(request, "_suggestions.html", principal=principal, articles=articles)


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(request: Request, principal: PagePrincipal, session: Session) -> Response:
    items = await notifications.list_notifications(session, principal=principal)
    return render(request, "notifications.html", principal=principal, items=items)


@router.post("/notifications/read")
async def notifications_read(principal: PagePrincipal, session: Session) -> Response:
    await notifications.mark_all_read(session, principal=principal)
    return RedirectResponse("/notifications", status_code=303)


@router.get("/notifications/badge", response_class=HTMLResponse)
async def notifications_badge(request: Request, principal: PagePrincipal, session: Session) -> Response:
    unread = await notifications.unread_count(session, principal=principal)
    return render(request, "_notifications_badge.html", principal=principal, unread=unread)
