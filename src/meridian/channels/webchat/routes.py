"""The visitor API under /widget/api, and the widget script itself.

Everything here is reachable from any web page, so nothing takes an agent token:
a visitor proves who they are with the token from ``POST .../sessions`` and sees
only their own conversation.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from meridian.attachments.routes import content_disposition
from meridian.auth.deps import Session
from meridian.channels.base import InboundAttachment
from meridian.channels.webchat import files as chat_files
from meridian.channels.webchat import service
from meridian.channels.webchat.adapter import normalize_origin
from meridian.channels.webchat.availability import availability
from meridian.channels.webchat.cors import WidgetRoute, check_origin, listed_by_any_inbox, preflight_headers
from meridian.channels.webchat.deps import Visitor, authenticate, bearer_token, client_ip, rate_limit
from meridian.channels.webchat.schemas import (
    CLIENT_ID_PATTERN,
    SessionCreate,
    SessionOut,
    Thread,
    TypingIn,
    VisitorMessageAccepted,
    VisitorMessageCreate,
)
from meridian.channels.webchat.stream import visitor_stream
from meridian.channels.webchat.tokens import VisitorClaims, issue_token, new_visitor_id, valid_visitor_id
from meridian.core.errors import NotFound, ProblemError, path_id
from meridian.ops import metrics

router = APIRouter(route_class=WidgetRoute, tags=["webchat"])
router.add_api_route("/widget/api/stream", visitor_stream, methods=["GET"], include_in_schema=True)

TOKEN_PATHS = {
    "messages": "GET, POST, OPTIONS",
    "attachments": "POST, OPTIONS",
    "typing": "POST, OPTIONS",
    "stream": "GET, OPTIONS",
}


async def current_visitor(request: Request, session: Session) -> Visitor:
    return await authenticate(request, session, bearer_token(request))


CurrentVisitor = Annotated[Visitor, Depends(current_visitor)]


@lru_cache(maxsize=1)
def _script() -> bytes:
    return (files("meridian.channels.webchat") / "static" / "meridian-chat.js").read_bytes()


@router.get("/widget/meridian-chat.js", include_in_schema=False)
async def widget_script() -> Response:
    return Response(
        _script(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.post("/widget/api/{inbox_id}/sessions", status_code=201, response_model=SessionOut)
async def create_session(
    inbox_id: str, data: SessionCreate, request: Request, session: Session
) -> SessionOut:
    rate_limit(request, "session", client_ip(request))
    inbox = await service.webchat_inbox(session, path_id(inbox_id, "inbox"))
    origin = check_origin(request, inbox)
    if data.visitor_id is None:
        visitor_id = new_visitor_id(inbox.id)
    elif valid_visitor_id(inbox.id, data.visitor_id):
        visitor_id = data.visitor_id
    else:
        raise ProblemError(403, "this visitor id was not issued for this inbox")
    locale = service.known_locale(data.locale)
    if data.name or data.email or data.consent is not None:
        await service.save_prechat(
            session,
            inbox=inbox,
            visitor_id=visitor_id,
            name=data.name,
            email=data.email,
            consent=data.consent,
            locale=locale,
        )
        await session.commit()
    contact = await service.find_visitor(session, inbox=inbox, visitor_id=visitor_id)
    has_conversation = contact is not None and bool(
        await service.conversation_ids(session, inbox=inbox, contact=contact)
    )
    token, expires_at = issue_token(VisitorClaims(inbox.id, visitor_id, origin, locale))
    return SessionOut(
        token=token,
        visitor_id=visitor_id,
        expires_at=expires_at,
        has_conversation=has_conversation,
        settings=service.widget_settings(inbox),
        availability=await availability(session, inbox=inbox),
    )


@router.post("/widget/api/messages", status_code=201, response_model=VisitorMessageAccepted)
async def post_message(
    data: VisitorMessageCreate,
    visitor: CurrentVisitor,
    request: Request,
    session: Session,
    response: Response,
) -> VisitorMessageAccepted:
    rate_limit(request, "message", visitor.id)
    result = await service.receive(
        session,
        inbox=visitor.inbox,
        visitor_id=visitor.id,
        locale=visitor.claims.locale,
        body=data.body,
        client_message_id=data.client_message_id,
    )
    # Committed before we answer: a 2xx means the message is stored.
    await session.commit()
    metrics.INBOUND.labels(channel="webchat", outcome="created" if result.created else "duplicate").inc()
    if not result.created:
        response.status_code = 200
    return VisitorMessageAccepted(
        message_id=str(result.message_id),
        conversation_id=str(result.conversation_id),
        duplicate=not result.created,
    )


@router.post("/widget/api/attachments", status_code=201, response_model=VisitorMessageAccepted)
async def post_attachment(
    visitor: CurrentVisitor,
    request: Request,
    session: Session,
    response: Response,
    file: Annotated[UploadFile, File()],
    client_message_id: Annotated[str, Form(pattern=CLIENT_ID_PATTERN)],
    body: Annotated[str, Form(max_length=10_000)] = "",
) -> VisitorMessageAccepted:
    """A visitor's file (multipart/form-data), with an optional caption: one message."""
    # A file costs more of the visitor's budget than a line of text.
    rate_limit(request, "message", visitor.id, cost=3)
    data = await file.read(chat_files.MAX_FILE_BYTES + 1)
    upload = chat_files.check_upload(filename=file.filename, data=data)
    result = await service.receive(
        session,
        inbox=visitor.inbox,
        visitor_id=visitor.id,
        locale=visitor.claims.locale,
        body=body.strip(),
        client_message_id=client_message_id,
        attachments=[InboundAttachment(upload.filename, upload.content_type, data=upload.data)],
    )
    await session.commit()
    metrics.INBOUND.labels(channel="webchat", outcome="created" if result.created else "duplicate").inc()
    if not result.created:
        response.status_code = 200
    return VisitorMessageAccepted(
        message_id=str(result.message_id),
        conversation_id=str(result.conversation_id),
        duplicate=not result.created,
    )


@router.get("/widget/api/attachments/{attachment_id}", response_class=Response)
async def get_attachment(
    attachment_id: str, visitor: CurrentVisitor, request: Request, session: Session
) -> Response:
    rate_limit(request, "read", visitor.id)
    contact = await service.find_visitor(session, inbox=visitor.inbox, visitor_id=visitor.id)
    found = await chat_files.read_visitor_file(
        session, inbox=visitor.inbox, contact=contact, attachment_id=path_id(attachment_id, "attachment")
    )
    row = found.attachment
    return Response(
        content=found.data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": content_disposition(
                "inline" if found.inline else "attachment", row.filename
            ),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/widget/api/messages", response_model=Thread)
async def get_thread(visitor: CurrentVisitor, request: Request, session: Session) -> Thread:
    rate_limit(request, "read", visitor.id)
    contact = await service.find_visitor(session, inbox=visitor.inbox, visitor_id=visitor.id)
    if contact is None:
        return Thread(items=[])
    return Thread(items=await service.thread(session, inbox=visitor.inbox, contact=contact))


@router.post("/widget/api/typing", status_code=204)
async def typing(data: TypingIn, visitor: CurrentVisitor, request: Request, session: Session) -> Response:
    rate_limit(request, "typing", visitor.id)
    contact = await service.find_visitor(session, inbox=visitor.inbox, visitor_id=visitor.id)
    if contact is not None and await service.publish_typing(
        session, inbox=visitor.inbox, contact=contact, typing=data.typing
    ):
        await session.commit()
    return Response(status_code=204)


@router.options("/widget/api/{inbox_id}/sessions", include_in_schema=False)
async def sessions_preflight(inbox_id: str, request: Request, session: Session) -> Response:
    inbox = await service.webchat_inbox(session, path_id(inbox_id, "inbox"))
    origin = request.headers.get("origin")
    if origin is None or check_origin(request, inbox) is None:
        return Response(status_code=204)
    return Response(status_code=204, headers=preflight_headers(origin, "POST, OPTIONS"))


@router.options("/widget/api/attachments/{attachment_id}", include_in_schema=False)
async def attachment_preflight(attachment_id: str, request: Request, session: Session) -> Response:
    return await _token_preflight("GET, OPTIONS", request, session)


@router.options("/widget/api/{name}", include_in_schema=False)
async def token_preflight(name: str, request: Request, session: Session) -> Response:
    methods = TOKEN_PATHS.get(name)
    if methods is None:
        raise NotFound("endpoint")
    return await _token_preflight(methods, request, session)


async def _token_preflight(methods: str, request: Request, session: Session) -> Response:
    origin = request.headers.get("origin")
    if origin is None:
        return Response(status_code=204)
    try:
        listed = await listed_by_any_inbox(session, normalize_origin(origin))
    except ValueError:
        listed = False
    if not listed:
        raise ProblemError(403, f"origin {origin} is not allowed to use web chat here")
    return Response(status_code=204, headers=preflight_headers(origin, methods))
