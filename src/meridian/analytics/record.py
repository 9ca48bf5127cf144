"""Turning domain events into report events, and keeping facts and rollups in step.

For each domain event about a conversation: take the conversation's current
dimensions, decide what happened in reporting terms (first response, reply, resolved,
reopened, handoff, CSAT, SLA outcome...), append those report events, fold them into
the conversation's fact and append the fact's rollup delta. All of it runs in the
dispatcher's transaction, so it takes effect exactly once per domain event.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from meridian.analytics import csat, rollups
from meridian.analytics.dimensions import Snapshot, conversation_start, hour_of_week, snapshot
from meridian.analytics.facts import Fact, fold
from meridian.analytics.models import DIMENSIONS, ReportEvent, ReportFact
from meridian.conversations.models import Conversation
from meridian.core.ids import parse_id
from meridian.events.models import DomainEvent

# A Python-clock timestamp on the conversation later than this after the event's own
# time belongs to a later change, not to this event.
CLOCK_SLACK = timedelta(seconds=60)


def _parse(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def event_time(event: DomainEvent, conversation: Conversation) -> datetime:
    """When it happened, on the application's clock where the publisher left one.

    The event row's own time is the database's (the transaction's start); actions stamp
    the conversation with ``utcnow()``, which is what tests move with time-machine.
    A stamp later than the event (plus slack) belongs to a later change and is ignored.
    """
    for key in ("at", "created_at"):
        stamped = _parse(event.payload.get(key))
        if stamped is not None:
            return stamped
    candidate: datetime | None = None
    if event.type == "conversation.updated":
        resolving = event.payload.get("status") == "resolved" and conversation.status == "resolved"
        candidate = conversation.resolved_at if resolving else conversation.updated_at
    elif event.type == "conversation.assigned":
        candidate = _parse((conversation.routing or {}).get("at")) or conversation.updated_at
    if candidate is not None and candidate <= event.created_at + CLOCK_SLACK:
        return candidate
    return event.created_at


# Built once, the values passed as parameters: a statement with its ~40 values inlined
# had SQLAlchemy walk every bound value to build the cache key on each execution (the
# largest Python cost of recording, about 10 ms per inbound message).
@cache
def _event_insert() -> ReturningInsert[tuple[int]]:
    table = ReportEvent.__table__
    return insert(table).on_conflict_do_nothing().returning(table.c.id)  # type: ignore[arg-type]


@cache
def _fact_upsert() -> Insert:
    table = ReportFact.__table__
    stmt = insert(table)  # type: ignore[arg-type]
    names = [f.name for f in fields(Fact) if f.name != "conversation_id"]
    return stmt.on_conflict_do_update(
        index_elements=[table.c.conversation_id], set_={name: stmt.excluded[name] for name in names}
    )


class Recording:
    """The report events one domain event produces for one conversation."""

    def __init__(
        self, session: AsyncSession, event: DomainEvent, conversation: Conversation, dims: Snapshot
    ) -> None:
        self.session = session
        self.event = event
        self.conversation = conversation
        self.dims = dims
        self.before: Fact | None = None
        self.fact: Fact | None = None
        self.emitted: list[str] = []
        self.when = event_time(event, conversation)

    async def load(self) -> None:
        workspace_id = self.conversation.workspace_id
        # A running rebuild of the workspace holds this one exclusively: wait for it.
        rebuilding = rollups.key_hash(workspace_id, ("rebuild", "", date.min, ()))
        # One recorder per conversation at a time: facts are read, folded and written back.
        lock = rollups.key_hash(workspace_id, ("fact", "", date.min, (self.conversation.id,)))
        # Both in one round trip, in this order (PostgreSQL evaluates a select list left
        # to right); the fact is read by the next statement, after both are held.
        await self.session.execute(
            select(func.pg_advisory_xact_lock_shared(rebuilding), func.pg_advisory_xact_lock(lock))
        )
        row = await self.session.scalar(
            select(ReportFact)
            .where(ReportFact.conversation_id == self.conversation.id)
            .execution_options(populate_existing=True)
        )
        self.before = Fact.from_row(row) if row is not None else None
        self.fact = self.before

    async def emit(
        self,
        kind: str,
        at: datetime,
        *,
        calendar_s: float | None = None,
        business_s: float | None = None,
        value: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "workspace_id": self.conversation.workspace_id,
            "conversation_id": self.conversation.id,
            "source_event_id": self.event.id,
            "kind": kind,
            "at": at,
            "calendar_s": calendar_s,
            "business_s": business_s,
            "value": value,
            "data": data or {},
            **self.dims.columns(),
        }
        new_id = await self.session.scalar(_event_insert(), values)
        if new_id is None:
            # Recorded before (a replay): fold what was recorded then, so the fact stays
            # what the log says and later events are measured against it.
            recorded = await self.session.scalar(
                select(ReportEvent).where(
                    ReportEvent.source_event_id == self.event.id,
                    ReportEvent.conversation_id == self.conversation.id,
                    ReportEvent.kind == kind,
                )
            )
            if recorded is not None:
                self.fact = fold(self.fact, recorded)
            return
        self.fact = fold(self.fact, ReportEvent(id=new_id, **values))
        self.emitted.append(kind)

    def current(self) -> Fact:
        assert self.fact is not None
        return self.fact

    async def ensure_created(self) -> Fact:
        if self.fact is None:
            start = await conversation_start(self.session, self.conversation)
            await self.emit(
                "conversation_created",
                start,
                data={
                    "number": self.conversation.number,
                    "local_how": hour_of_week(start, self.dims.customer_zone),
                },
            )
        assert self.fact is not None
        return self.fact

    async def save(self) -> None:
        if self.fact is None or self.fact == self.before:
            return
        await self.session.execute(_fact_upsert(), self.fact.values())
        await rollups.record_change(self.session, self.before, self.fact)

    def dims_changed(self) -> bool:
        if self.fact is None:
            return False
        current = self.dims.columns()
        return self.fact.dims() != tuple(current[name] for name in DIMENSIONS) or self.fact.tags != sorted(
            current["tags"]
        )


async def record(session: AsyncSession, event: DomainEvent) -> list[str]:
    """Record what ``event`` means for reports; returns the report event kinds written."""
    raw_id = event.conversation_id or parse_id(str(event.payload.get("conversation_id") or ""))
    if raw_id is None:
        return []
    conversation = await session.get(Conversation, raw_id, populate_existing=True)
    if conversation is None or conversation.workspace_id != event.workspace_id:
        return []
    rec = Recording(session, event, conversation, await snapshot(session, conversation))
    await rec.load()
    if rec.fact is not None:
        await _handoff(rec)
    handler = HANDLERS.get(event.type)
    if handler is not None:
        await handler(rec)
    if rec.fact is not None and not rec.emitted and rec.dims_changed():
        await rec.emit("updated", rec.when)
    await rec.save()
    return rec.emitted


async def _handoff(rec: Recording) -> None:
    """A move to a team in another region is a handoff (follow-the-sun, escalation)."""
    before = rec.fact
    assert before is not None
    if (
        before.team_id != rec.dims.team_id
        and before.region
        and rec.dims.region
        and before.region != rec.dims.region
    ):
        await rec.emit("handoff", rec.when, data={"from_region": before.region})


async def _created(rec: Recording) -> None:
    await rec.ensure_created()


async def _message(rec: Recording) -> None:
    payload = rec.event.payload
    direction, author = payload.get("direction"), payload.get("author_kind")
    at = rec.when
    if direction == "incoming" and author == "customer":
        message_id = parse_id(str(payload.get("message_id") or ""))
        survey = await csat.rating_reply(rec.session, message_id=message_id) if message_id else None
        fact = await rec.ensure_created()
        if survey is not None:
            if survey.conversation_id != rec.conversation.id and fact.human_replies == fact.bot_replies == 0:
                # A conversation opened only to carry a rating is not a request for help.
                await rec.emit("excluded", at)
            return
        if fact.status == "resolved":
            await rec.emit("reopened", at, data={"by": "customer"})
        await rec.emit("customer_message", at)
        return
    if direction != "outgoing" or author not in ("human", "bot"):
        return
    fact = await rec.ensure_created()
    if fact.status == "resolved" and rec.conversation.status != "resolved":
        # An agent replying to a parked conversation picks it up again.
        await rec.emit("reopened", at, data={"by": "agent"})
        fact = rec.current()
    if author == "bot":
        await rec.emit("reply", at, data={"author": "bot"})
    elif fact.first_response_at is None:
        await rec.emit(
            "first_response",
            at,
            calendar_s=max(0.0, (at - fact.created_at).total_seconds()),
            business_s=rec.dims.business_seconds(fact.created_at, at),
        )
    elif fact.waiting_since is not None:
        await rec.emit(
            "reply",
            at,
            calendar_s=max(0.0, (at - fact.waiting_since).total_seconds()),
            business_s=rec.dims.business_seconds(fact.waiting_since, at),
            data={"author": "human"},
        )
    else:
        await rec.emit("reply", at, data={"author": "human"})


async def _updated(rec: Recording) -> None:
    status = rec.event.payload.get("status")
    fact = await rec.ensure_created()
    if status == "resolved" and fact.status != "resolved":
        at = rec.when
        await rec.emit(
            "resolved",
            at,
            calendar_s=max(0.0, (at - fact.created_at).total_seconds()),
            business_s=rec.dims.business_seconds(fact.created_at, at),
        )
        fact = rec.current()
        if fact.bot_replies and not fact.human_replies:
            await rec.emit("bot_resolved", at)
        sla = rec.conversation.sla or {}
        if sla.get("policy_id") and fact.sla == "none":
            breached = "breach" in str(sla.get("status") or "")
            await rec.emit("sla_breached" if breached else "sla_met", at, data={"metric": "resolution"})
    elif status in ("open", "pending", "snoozed") and fact.status == "resolved":
        last_incoming = rec.conversation.last_incoming_at
        if last_incoming is not None and fact.resolved_at is not None and last_incoming > fact.resolved_at:
            return  # the customer's message reopened it; recorded with that message
        await rec.emit("reopened", rec.when, data={"by": "agent"})


async def _assigned(rec: Recording) -> None:
    await rec.ensure_created()
    if rec.event.payload.get("assignee_id"):
        await rec.emit("assigned", rec.when, data={"reason": rec.event.payload.get("reason")})


async def _sla(rec: Recording) -> None:
    await rec.ensure_created()
    kind = "sla_breached" if rec.event.type == "sla.breached" else "sla_met"
    await rec.emit(kind, rec.when, data={"metric": rec.event.payload.get("metric")})


async def _csat_requested(rec: Recording) -> None:
    await rec.ensure_created()
    await rec.emit("csat_sent", rec.when)


async def _csat_recorded(rec: Recording) -> None:
    rating = rec.event.payload.get("rating")
    if isinstance(rating, int):
        await rec.ensure_created()
        await rec.emit("csat", rec.when, value=rating)


HANDLERS = {
    "conversation.created": _created,
    "message.created": _message,
    "conversation.updated": _updated,
    "conversation.assigned": _assigned,
    "sla.met": _sla,
    "sla.breached": _sla,
    "csat.requested": _csat_requested,
    "csat.recorded": _csat_recorded,
}
EVENT_TYPES = tuple(HANDLERS)
