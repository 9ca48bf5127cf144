"""Inbound HTTP for every channel: vendor webhooks and the API channel's endpoint."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from meridian.auth.deps import CurrentPrincipal, Session
from meridian.channels.base import InboundContact, InboundMessage, WebhookAuthError, WebhookRequest
from meridian.channels.ingest import apply_status, ingest_message
from meridian.channels.registry import get_adapter
from meridian.channels.schemas import IncomingAccepted, IncomingMessage
from meridian.config import get_settings
from meridian.core.errors import NotFound, ProblemError, path_id
from meridian.core.ids import new_id, parse_id
from meridian.inboxes.models import Inbox
from meridian.inboxes.service import channel_config, get_inbox
from meridian.ops import metrics

log = logging.getLogger(__name__)

api_router = APIRouter(tags=["channels"])
webhook_router = APIRouter(tags=["webhooks"])


@api_router.post("/inboxes/{inbox_id}/incoming", status_code=202, response_model=IncomingAccepted)
async def api_incoming(
    inbox_id: str, data: IncomingMessage, principal: CurrentPrincipal, session: Session, response: Response
) -> IncomingAccepted:
    inbox = await get_inbox(session, workspace_id=principal.workspace_id, inbox_id=path_id(inbox_id, "inbox"))
    if inbox.channel != "api":
        raise ProblemError(
            409, f"inbox {inbox.id} is a {inbox.channel} inbox; only api inboxes take /incoming"
        )
    msg = InboundMessage(
        external_id=data.external_id or f"api_{new_id()}",
        contact=InboundContact(
            identifier=data.contact.identifier,
            name=data.contact.name,
            email=data.contact.email,
            phone=data.contact.phone,
            locale=data.contact.locale,
        ),
        body=data.body,
    )
    result = await ingest_message(session, inbox=inbox, msg=msg)
    await session.commit()
    metrics.INBOUND.labels(channel="api", outcome="created" if result.created else "duplicate").inc()
    return IncomingAccepted(
        conversation_id=str(result.conversation_id),
        message_id=str(result.message_id),
        duplicate=not result.created,
    )


async def _webhook_inbox(session: Session, channel: str, inbox_id: str) -> Inbox:
    parsed = parse_id(inbox_id)
    if parsed is None:
        raise NotFound("inbox")
    inbox = await session.scalar(select(Inbox).where(Inbox.id == parsed, Inbox.channel == channel))
    if inbox is None:
        raise NotFound("inbox")
    return inbox


def _webhook_request(request: Request, body: bytes) -> WebhookRequest:
    # Vendors that sign the URL (Twilio) signed the public one, not what the proxy forwarded.
    public = get_settings().public_url.rstrip("/") + request.url.path
    if request.url.query:
        public += "?" + request.url.query
    return WebhookRequest(
        method=request.method,
        public_url=public,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=body,
    )


@webhook_router.get("/webhooks/{channel}/{inbox_id}")
async def webhook_handshake(channel: str, inbox_id: str, request: Request, session: Session) -> Response:
    try:
        adapter = get_adapter(channel)
    except LookupError:
        raise NotFound("channel") from None
    inbox = await _webhook_inbox(session, channel, inbox_id)
    answer = adapter.handshake(channel_config(inbox), _webhook_request(request, b""))
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type)


@webhook_router.post("/webhooks/{channel}/{inbox_id}")
async def webhook_receive(channel: str, inbox_id: str, request: Request, session: Session) -> Response:
    try:
        adapter = get_adapter(channel)
    except LookupError:
        raise NotFound("channel") from None
    if not adapter.receives_webhooks:
        raise NotFound("webhook")
    inbox = await _webhook_inbox(session, channel, inbox_id)
    body = await request.body()
    hook = _webhook_request(request, body)
    config = channel_config(inbox)
    try:
        adapter.authenticate(config, hook)
    except WebhookAuthError as exc:
        metrics.INBOUND.labels(channel=channel, outcome="rejected").inc()
        raise ProblemError(exc.status, str(exc)) from None
    try:
        parsed = adapter.parse(config, hook)
    except ValueError as exc:
        raise ProblemError(400, f"the payload could not be read: {exc}") from None
    created = 0
    for msg in parsed.messages:
        result = await ingest_message(session, inbox=inbox, msg=msg)
        created += int(result.created)
        metrics.INBOUND.labels(channel=channel, outcome="created" if result.created else "duplicate").inc()
    for status in parsed.statuses:
        await apply_status(session, inbox=inbox, status=status)
    await session.commit()
    if parsed.ignored:
        # Acknowledged on purpose: a vendor retries anything else for days.
        log.info(
            "webhook shapes ignored",
            extra={"channel": channel, "inbox_id": str(inbox.id), "ignored": parsed.ignored[:20]},
        )
    return Response(status_code=200, content="ok", media_type="text/plain")
