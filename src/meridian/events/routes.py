"""``GET /api/v1/events``: the caller's domain events as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from meridian.auth.deps import CurrentPrincipal, Session
from meridian.auth.service import Principal
from meridian.db.engine import get_database
from meridian.events.models import DomainEvent
from meridian.events.service import event_envelope
from meridian.ops import metrics

router = APIRouter(tags=["events"])

HEARTBEAT_SECONDS = 15.0
REPLAY_LIMIT = 1000


def visible(principal: Principal, event: DomainEvent) -> bool:
    if event.workspace_id != principal.workspace_id:
        return False
    if principal.limited and event.conversation_id is not None and event.assignee_id != principal.agent_id:
        # Events carry a team but not an inbox: under a custom role's limits, conversation
        # events come only for what is assigned to the agent or in a permitted team.
        if principal.limit_inbox_ids is not None:
            return False
        if event.team_id is None or event.team_id not in (principal.limit_team_ids or ()):
            return False
    if principal.sees_all:
        return True
    if event.assignee_id == principal.agent_id:
        return True
    if event.team_id is not None:
        return event.team_id in principal.team_ids
    # Workspace-wide events and the unowned queue are everyone's.
    return event.assignee_id is None


def _frame(event: DomainEvent) -> bytes:
    data = json.dumps(event_envelope(event), ensure_ascii=False, default=str)
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n".encode()


@router.get("/events", response_class=StreamingResponse)
async def events(
    request: Request,
    principal: CurrentPrincipal,
    session: Session,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    # The request's session (the one that authenticated the caller) would otherwise stay
    # open, holding a pooled connection, for as long as the stream: 20 clients emptied
    # the pool (docs/performance.md). The stream reads through its own short sessions.
    await session.close()
    hub = request.app.state.event_hub
    resume_from = int(last_event_id) if last_event_id and last_event_id.isdigit() else None

    async def stream() -> AsyncIterator[bytes]:
        async with hub.subscribe(lambda e: visible(principal, e)) as sub:
            metrics.SSE_CLIENTS.inc()
            try:
                yield b"retry: 3000\n: connected\n\n"
                seen = 0
                if resume_from is not None:
                    async with get_database().session() as session:
                        missed = await session.scalars(
                            select(DomainEvent)
                            .where(
                                DomainEvent.workspace_id == principal.workspace_id,
                                DomainEvent.id > resume_from,
                            )
                            .order_by(DomainEvent.id)
                            .limit(REPLAY_LIMIT)
                        )
                        for event in missed:
                            if visible(principal, event):
                                seen = max(seen, event.id)
                                yield _frame(event)
                while not sub.overflowed:
                    try:
                        event = await asyncio.wait_for(sub.queue.get(), timeout=HEARTBEAT_SECONDS)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield b": keep-alive\n\n"
                        continue
                    if event.id > seen:
                        yield _frame(event)
            finally:
                metrics.SSE_CLIENTS.dec()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
