"""The conversation screen: the thread, the composer, and the actions on a conversation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from meridian.attachments.uploads import ACCEPT, MAX_FILE_BYTES, MAX_FILES, NewFile
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.canned.service import list_canned, render_canned
from meridian.channels.registry import get_adapter
from meridian.config import get_settings
from meridian.console import queries
from meridian.console.contact_panel import contact_panel
from meridian.console.deps import AssignPage, MergePage, PagePrincipal, ReplyPage, VisibleConversation
from meridian.console.notifications import notify_mentions
from meridian.console.render import render
from meridian.contacts.merge import merge_contacts
from meridian.contacts.service import find_by_identity
from meridian.conversations.schemas import ConversationUpdate
from meridian.conversations.service import get_visible, to_out_many, update_conversation
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.messages.schemas import ReplyCreate
from meridian.messages.service import list_messages, post_reply
from meridian.translation.incoming import for_reader
from meridian.translation.service import load_translation

router = APIRouter(prefix="/conversations", include_in_schema=False)
PICKER_SIZE = 6


def _not_found(request: Request, principal: Principal) -> Response:
    return render(request, "error.html", principal=principal, status_code=404, error="not_found")


async def _thread_context(
    session: Session, principal: Principal, conversation_id: uuid.UUID
) -> dict[str, Any]:
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    (summary,) = await to_out_many(session, [conversation])
    messages, untranslated = await for_reader(
        session,
        workspace_id=principal.workspace_id,
        agent_id=principal.agent_id,
        messages=await list_messages(session, principal=principal, conversation_id=conversation_id),
    )
    return {
        "conversation": summary,
        "messages": messages,
        "untranslated": untranslated,
        "agent_names": await queries.agent_names(session, workspace_id=principal.workspace_id),
    }


def reply_window(channel: str, last_incoming_at: datetime | None) -> dict[str, Any] | None:
    """The channel's free-form reply window as the composer shows it, or None when it has none.

    The same rule ``messages.service`` enforces on send, surfaced before the agent types.
    """
    try:
        window = get_adapter(channel).reply_window
    except LookupError:
        return None
    if window is None:
        return None
    closes_at = last_incoming_at + window if last_incoming_at else None
    return {
        "hours": int(window.total_seconds() // 3600),
        "closes_at": closes_at,
        "open": closes_at is not None and closes_at > utcnow(),
    }


async def _page_context(session: Session, principal: Principal, summary: Any) -> dict[str, Any]:
    options = await queries.filter_options(session, workspace_id=principal.workspace_id)
    conversation = await get_visible(session, principal=principal, conversation_id=uuid.UUID(summary.id))
    return {
        **await contact_panel(session, principal=principal, conversation=conversation),
        "agents": await queries.active_agents(session, workspace_id=principal.workspace_id),
        "teams": options["teams"],
        "window": reply_window(summary.channel, summary.last_incoming_at),
        "uploads": {
            "accept": ACCEPT,
            "max_files": MAX_FILES,
            "max_bytes": MAX_FILE_BYTES,
            # The whole form must pass the body-size limit, which answers before any route;
            # the margin is for the text fields.
            "max_total": get_settings().max_body_bytes - 64 * 1024,
        },
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
        **await _page_context(session, principal, context["conversation"]),
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


@router.post("/{conversation_id}/merge-contact")
async def merge_contact(
    request: Request,
    principal: MergePage,
    session: Session,
    conversation: VisibleConversation,
    kind: Annotated[str, Form()],
    identifier: Annotated[str, Form()],
) -> Response:
    """Merge the contact known by ``kind``/``identifier`` into this conversation's contact."""
    ident = conversation.id
    other = await find_by_identity(
        session, workspace_id=principal.workspace_id, kind=kind[:16], identifier=identifier[:320]
    )
    if other is None or other.id == conversation.contact_id:
        return RedirectResponse(f"/conversations/{ident}?notice=merge_unknown", status_code=303)
    try:
        await merge_contacts(
            session=session,
            principal=principal,
            contact_id=conversation.contact_id,
            other_contact_id=other.id,
        )
    except ProblemError as exc:
        await session.rollback()
        return render(
            request,
            "error.html",
            principal=principal,
            status_code=exc.status,
            error="invalid",
            detail=exc.detail,
        )
    return RedirectResponse(f"/conversations/{ident}?notice=merged", status_code=303)


@router.get("/{conversation_id}/canned", response_class=HTMLResponse)
async def canned_picker(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    conversation: VisibleConversation,
    q: str = "",
) -> Response:
    """Canned responses whose shortcut matches what follows "/", rendered for this customer."""
    ident = conversation.id
    needle = q.strip().lstrip("/").lower()[:64]
    rows = await list_canned(session, workspace_id=principal.workspace_id)
    matches = sorted(
        (r for r in rows if needle in r.shortcut.lower()),
        key=lambda r: (not r.shortcut.lower().startswith(needle), r.shortcut.lower()),
    )[:PICKER_SIZE]
    options = []
    for row in matches:
        try:
            rendered = await render_canned(
                session, principal=principal, canned_id=uuid.UUID(row.id), conversation_id=ident
            )
        except ProblemError:
            continue  # a broken template is the admin's to fix; the picker skips it
        options.append(
            {"shortcut": row.shortcut, "title": row.title, "body": rendered.body, "locale": rendered.locale}
        )
    return render(request, "_canned_picker.html", principal=principal, options=options, q=needle)


async def _read_uploads(request: Request) -> list[NewFile]:
    """The chosen files. Read from the parsed form rather than declared as a ``File()``
    parameter: an untouched file input sends one nameless, empty part, which arrives as
    an empty string or an empty file depending on the client, and means no file at all."""
    out = []
    parts = (await request.form()).getlist("attachments")
    uploads = [p for p in parts if isinstance(p, StarletteUploadFile) and (p.filename or p.size)]
    for upload in uploads[: MAX_FILES + 1]:
        # One byte past the cap is enough for check_files to refuse it by size.
        data = await upload.read(MAX_FILE_BYTES + 1)
        out.append(NewFile(upload.filename or "file", upload.content_type or "", data))
    return out


@router.post("/{conversation_id}/messages", response_class=HTMLResponse)
async def reply(
    request: Request,
    principal: ReplyPage,
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
    problem: ProblemError | None = None
    status_code = 200
    try:
        files = await _read_uploads(request)
        # A note stays with the team: the translation box only concerns replies.
        reply_only = kind != "note"
        data = ReplyCreate.model_validate(
            {
                "body": body.strip(),
                "private": not reply_only,
                "translate": reply_only and bool(translate) and not sent_body.strip(),
                "sent_body": (sent_body.strip() or None) if reply_only and translate else None,
            },
            context={"uploads": len(files)},
        )
        posted = await post_reply(
            session=session, principal=principal, conversation_id=ident, data=data, files=files
        )
        if data.private:
            await notify_mentions(
                session,
                principal=principal,
                conversation_id=ident,
                message_id=uuid.UUID(posted.id),
                body=data.body,
            )
    except ValidationError:
        error = "empty"
        status_code = 422
    except NotFound:
        return _not_found(request, principal)
    except ProblemError as exc:
        # A channel rule (reply window, erased contact) or a refused file the agent must
        # see, not a crash; the 4xx status keeps the composer's text and files for a retry.
        await session.rollback()
        error, problem = exc.detail, exc
        status_code = exc.status
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/conversations/{ident}", status_code=303)
    context = await _thread_context(session, principal, ident)
    response = render(
        request,
        "_thread.html",
        principal=principal,
        send_error=error,
        # The template says known problems in the agent's language (_send_problem.html).
        send_code=problem.code if problem else None,
        send_params=problem.params if problem else {},
        **context,
    )
    response.status_code = status_code
    return response


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
    except ProblemError:
        # An unknown agent or team: nothing changed, say so.
        await session.rollback()
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    return RedirectResponse(f"/conversations/{ident}?notice=updated", status_code=303)


@router.post("/{conversation_id}/assign")
async def assign(
    request: Request,
    principal: AssignPage,
    session: Session,
    conversation_id: str,
    to: Annotated[str, Form()] = "",
    assignee: Annotated[str | None, Form()] = None,
    team: Annotated[str | None, Form()] = None,
) -> Response:
    """``to=me|none`` (the quick buttons), or ``assignee``/``team`` ids from the assign form ("" = nobody)."""
    fields: dict[str, Any] = {}
    if to in ("me", "none"):
        fields["assignee_id"] = principal.agent_id if to == "me" else None
    if assignee is not None:
        fields["assignee_id"] = assignee or None
    if team is not None:
        fields["team_id"] = team or None
    try:
        data = ConversationUpdate.model_validate(fields)
    except ValidationError:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    return await _update(request, principal, session, conversation_id, data)


def _local_datetime(value: str, timezone: str) -> datetime | None:
    """A ``datetime-local`` field (no offset) read as wall time in the agent's time zone."""
    try:
        naive = datetime.fromisoformat(value.strip())
        zone = ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zone)


@router.post("/{conversation_id}/status")
async def set_status(
    request: Request,
    principal: AssignPage,
    session: Session,
    conversation_id: str,
    status: Annotated[str, Form()],
    snoozed_until: Annotated[str, Form()] = "",
) -> Response:
    if status not in queries.STATUSES:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    fields: dict[str, Any] = {"status": status}
    if status == "snoozed":
        until = _local_datetime(snoozed_until, principal.timezone)
        if until is None or until <= utcnow():
            return render(request, "error.html", principal=principal, status_code=422, error="invalid")
        fields["snoozed_until"] = until
    data = ConversationUpdate.model_validate(fields)
    return await _update(request, principal, session, conversation_id, data)


@router.post("/{conversation_id}/tags")
async def change_tags(
    request: Request,
    principal: AssignPage,
    session: Session,
    current: VisibleConversation,
    add: Annotated[str, Form()] = "",
    remove: Annotated[str, Form()] = "",
) -> Response:
    tags = [t for t in current.tags if t != remove.strip()]
    tags += [t.strip() for t in add.split(",") if t.strip()]
    try:
        data = ConversationUpdate.model_validate({"tags": tags})
    except ValidationError:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    return await _update(request, principal, session, str(current.id), data)


@router.post("/{conversation_id}/priority")
async def set_priority(
    request: Request,
    principal: AssignPage,
    session: Session,
    conversation_id: str,
    priority: Annotated[str, Form()],
) -> Response:
    try:
        data = ConversationUpdate.model_validate({"priority": priority})
    except ValidationError:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    return await _update(request, principal, session, conversation_id, data)
