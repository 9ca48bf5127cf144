"""The conversation screen: the thread, the composer, and the actions on a conversation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console import queries
from meridian.console.deps import PagePrincipal
from meridian.console.render import render
from meridian.conversations.schemas import ConversationUpdate
from meridian.conversations.service import get_visible, to_out_many, update_conversation
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.messages.schemas import ReplyCreate
from meridian.messages.service import list_messages, post_reply
from meridian.translation.service import load_translation

router = APIRouter(prefix="/conversations", include_in_schema=False)


def _not_found(request: Request, principal: Principal) -> Response:
    return render(request, "error.html", principal=principal, status_code=404, error="not_found")


async def _thread_context(
    session: Session, principal: Principal, conversation_id: uuid.UUID
) -> dict[str, Any]:
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    (summary,) = await to_out_many(session, [conversation])
    return {
        "conversation": summary,
        "messages": await list_messages(session, principal=principal, conversation_id=conversation_id),
        "agent_names": await queries.agent_names(session, workspace_id=principal.workspace_id),
    }


@router.get("/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(
    request: Request, principal: PagePrincipal, session: Session, conversation_id: str
) -> Response:
    ident = parse_id(conversation_id)
    try:
        if ident is None:
            raise NotFound("conversation")
        context = await _thread_context(session, principal, ident)
    except NotFound:
        return _not_found(request, principal)
    translation = await load_translation(session, workspace_id=principal.workspace_id)
    return render(
        request,
        "conversation.html",
        principal=principal,
        translation_on=translation.provider is not None,
        **context,
    )


@router.get("/{conversation_id}/thread", response_class=HTMLResponse)
async def thread(
    request: Request, principal: PagePrincipal, session: Session, conversation_id: str
) -> Response:
    ident = parse_id(conversation_id)
    try:
        if ident is None:
            raise NotFound("conversation")
        context = await _thread_context(session, principal, ident)
    except NotFound:
        return _not_found(request, principal)
    return render(request, "_thread.html", principal=principal, **context)


@router.post("/{conversation_id}/messages", response_class=HTMLResponse)
async def reply(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation_id: str,
    body: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "reply",
    translate: Annotated[str, Form()] = "",
    sent_body: Annotated[str, Form()] = "",
) -> Response:
    ident = parse_id(conversation_id)
    if ident is None:
        return _not_found(request, principal)
    error: str | None = None
    try:
        # A note stays with the team: the translation box only concerns replies.
        reply_only = kind != "note"
        data = ReplyCreate(
            body=body.strip(),
            private=not reply_only,
            translate=reply_only and bool(translate) and not sent_body.strip(),
            sent_body=(sent_body.strip() or None) if reply_only and translate else None,
        )
        await post_reply(session=session, principal=principal, conversation_id=ident, data=data)
    except ValidationError:
        error = "empty"
    except NotFound:
        return _not_found(request, principal)
    except ProblemError as exc:
        # A channel rule (reply window, erased contact) the agent must see, not a crash.
        await session.rollback()
        error = exc.detail
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/conversations/{ident}", status_code=303)
    context = await _thread_context(session, principal, ident)
    return render(request, "_thread.html", principal=principal, send_error=error, **context)


async def _update(
    request: Request, principal: Principal, session: Session, conversation_id: str, data: ConversationUpdate
) -> Response:
    ident = parse_id(conversation_id)
    try:
        if ident is None:
            raise NotFound("conversation")
        await update_conversation(session=session, principal=principal, conversation_id=ident, data=data)
    except NotFound:
        return _not_found(request, principal)
    return RedirectResponse(f"/conversations/{ident}?notice=updated", status_code=303)


@router.post("/{conversation_id}/assign")
async def assign(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation_id: str,
    to: Annotated[str, Form()] = "me",
) -> Response:
    data = ConversationUpdate(assignee_id=principal.agent_id if to == "me" else None)
    return await _update(request, principal, session, conversation_id, data)


@router.post("/{conversation_id}/status")
async def set_status(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation_id: str,
    status: Annotated[str, Form()],
) -> Response:
    if status not in ("open", "pending", "resolved"):
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    data = ConversationUpdate.model_validate({"status": status})
    return await _update(request, principal, session, conversation_id, data)


@router.post("/{conversation_id}/priority")
async def set_priority(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation_id: str,
    priority: Annotated[str, Form()],
) -> Response:
    try:
        data = ConversationUpdate.model_validate({"priority": priority})
    except ValidationError:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    return await _update(request, principal, session, conversation_id, data)
