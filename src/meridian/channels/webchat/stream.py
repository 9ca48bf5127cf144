"""``GET /widget/api/stream``: agent replies to one visitor, live, as Server-Sent Events.

EventSource cannot set headers, so this one endpoint takes the visitor token as
``?token=``. The app's EventHub offers every domain event; the filter keeps only
message events of this visitor's conversations (plus new conversations in the
inbox, to follow the visitor into one), and each candidate is re-read from the
database and sent only if it is an outgoing message: notes never leave.

An agent typing in one of those conversations (the console's ``presence.changed``)
becomes an ``event: typing`` frame saying only ``{"typing": true|false}``: no agent
id or name leaves. It carries no ``id:``, so it does not move the replay position,
and it is not replayed: a stale "typing" is worse than none.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.webchat import service
from meridian.channels.webchat.deps import authenticate, rate_limit
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.db.engine import get_database
from meridian.events.models import DomainEvent
from meridian.inboxes.models import Inbox

HEARTBEAT_SECONDS = 15.0
REPLAY_LIMIT = 500
MESSAGE_EVENTS = frozenset({"message.created", "message.updated"})
PRESENCE_EVENT = "presence.changed"


class _Watch:
    """The visitor's conversations, as they are known to this stream."""

    def __init__(self, inbox: Inbox, visitor_id: str) -> None:
        self.inbox = inbox
        self.visitor_id = visitor_id
        self.contact_id: uuid.UUID | None = None
        self.region = "default"
        self.conversations: set[uuid.UUID] = set()

    def accepts(self, event: DomainEvent) -> bool:
        # Runs in the hub for every event in the process: no I/O, just cheap checks.
        if event.workspace_id != self.inbox.workspace_id:
            return False
        if event.type == "conversation.created":
            return event.payload.get("inbox_id") == str(self.inbox.id)
        if event.type == PRESENCE_EVENT:
            return event.conversation_id in self.conversations
        return (
            event.type in MESSAGE_EVENTS
            and event.conversation_id in self.conversations
            # message.updated carries no direction; the database check below decides.
            and event.payload.get("direction", "outgoing") == "outgoing"
        )

    async def _find_contact(self, session: AsyncSession) -> None:
        if self.contact_id is None:
            contact = await service.find_visitor(session, inbox=self.inbox, visitor_id=self.visitor_id)
            if contact is not None:
                self.contact_id, self.region = contact.id, contact.region

    async def load(self, session: AsyncSession) -> None:
        await self._find_contact(session)
        if self.contact_id is not None:
            rows = await session.scalars(
                select(Conversation.id).where(
                    Conversation.inbox_id == self.inbox.id, Conversation.contact_id == self.contact_id
                )
            )
            self.conversations.update(rows)

    async def frames(self, session: AsyncSession, events: Sequence[DomainEvent]) -> list[bytes]:
        wanted: dict[uuid.UUID, int] = {}
        typing: list[bytes] = []
        for event in events:
            if event.type == "conversation.created":
                await self._adopt(session, event)
                continue
            if event.type == PRESENCE_EVENT:
                state = {"typing": event.payload.get("state") == "typing"}
                typing.append(f"event: typing\ndata: {json.dumps(state)}\n\n".encode())
                continue
            try:
                wanted[uuid.UUID(str(event.payload.get("message_id")))] = event.id
            except ValueError:
                continue
        views = await service.visible_replies(
            session, message_ids=wanted, conversations=self.conversations, region=self.region
        )
        return typing + [
            f"id: {wanted[uuid.UUID(v.id)]}\nevent: message\ndata: {v.model_dump_json()}\n\n".encode()
            for v in views
        ]

    async def _adopt(self, session: AsyncSession, event: DomainEvent) -> None:
        await self._find_contact(session)
        if event.conversation_id is None or self.contact_id is None:
            return
        conversation = await session.get(Conversation, event.conversation_id)
        if conversation is not None and conversation.contact_id == self.contact_id:
            self.conversations.add(conversation.id)

    async def missed(self, session: AsyncSession, after: int) -> list[bytes]:
        if not self.conversations:
            return []
        events = await session.scalars(
            select(DomainEvent)
            .where(
                DomainEvent.workspace_id == self.inbox.workspace_id,
                DomainEvent.id > after,
                DomainEvent.conversation_id.in_(self.conversations),
                DomainEvent.type.in_(MESSAGE_EVENTS),
            )
            .order_by(DomainEvent.id)
            .limit(REPLAY_LIMIT)
        )
        return await self.frames(session, list(events))


async def visitor_stream(
    request: Request,
    token: Annotated[str, Query(min_length=1, max_length=4096)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    db = get_database()
    # Not the request-scoped session: the stream outlives it, and holds no connection
    # while it waits for events.
    async with db.session() as session:
        visitor = await authenticate(request, session, token)
    rate_limit(request, "read", visitor.id)
    expires_at = visitor.claims.expires_at
    resume_from = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    watch = _Watch(visitor.inbox, visitor.id)
    hub = request.app.state.event_hub

    async def stream() -> AsyncIterator[bytes]:
        # Subscribe first, then read what exists, so nothing falls between the two.
        async with hub.subscribe(watch.accepts) as sub:
            async with db.session() as session:
                await watch.load(session)
                replay = await watch.missed(session, resume_from) if resume_from is not None else []
            yield b"retry: 3000\n: connected\n\n"
            for frame in replay:
                yield frame
            while not sub.overflowed and (expires_at is None or utcnow() < expires_at):
                try:
                    event = await asyncio.wait_for(sub.queue.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                    continue
                if resume_from is not None and event.id <= resume_from:
                    continue
                async with db.session() as session:
                    for frame in await watch.frames(session, [event]):
                        yield frame

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
