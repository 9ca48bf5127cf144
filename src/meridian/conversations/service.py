"""Reading conversations, and the named actions that change them."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.service import Principal
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.numbers import next_number as next_number
from meridian.conversations.schemas import ContactSummary, ConversationOut, ConversationUpdate
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.db.arrays import in_ids
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.teams.models import Team
from meridian.vault import service as vault


def visible_to(principal: Principal) -> Any:
    """The rows an agent may see: theirs, their teams', and the unowned queue; a custom
    role's team and inbox limits narrow that further (everything else reads as not found)."""
    clauses: list[Any] = [Conversation.workspace_id == principal.workspace_id]
    if not principal.sees_all:
        clauses.append(
            or_(
                Conversation.assignee_id == principal.agent_id,
                Conversation.team_id.in_(principal.team_ids) if principal.team_ids else false(),
                Conversation.team_id.is_(None),
            )
        )
    if principal.limit_team_ids is not None:
        limit = principal.limit_team_ids
        clauses.append(Conversation.team_id.in_(limit) if limit else false())
    if principal.limit_inbox_ids is not None:
        limit = principal.limit_inbox_ids
        clauses.append(Conversation.inbox_id.in_(limit) if limit else false())
    return and_(*clauses) if len(clauses) > 1 else clauses[0]


async def get_visible(
    session: AsyncSession, *, principal: Principal, conversation_id: uuid.UUID
) -> Conversation:
    conversation = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, visible_to(principal))
    )
    if conversation is None:
        raise NotFound("conversation")
    return conversation


async def to_out_many(session: AsyncSession, rows: Sequence[Conversation]) -> list[ConversationOut]:
    contact_ids = {c.contact_id for c in rows}
    inbox_ids = {c.inbox_id for c in rows}
    # Plain rows of the few columns shown, one array parameter each: building ORM
    # contacts and rendering a placeholder per id was most of a page's CPU.
    contacts = (
        {
            c.id: c
            for c in await session.execute(
                select(Contact.id, Contact.locale, Contact.region, Contact.erased_at).where(
                    in_ids(Contact.id, contact_ids)
                )
            )
        }
        if contact_ids
        else {}
    )
    channels = (
        dict(
            (await session.execute(select(Inbox.id, Inbox.channel).where(in_ids(Inbox.id, inbox_ids)))).all()
        )
        if inbox_ids
        else {}
    )
    pii = await vault.get_contacts(session, [(c.id, c.region) for c in contacts.values()])
    out = []
    for c in rows:
        contact = contacts[c.contact_id]
        p = pii.get(contact.id, vault.EMPTY_CONTACT)
        out.append(
            ConversationOut(
                id=str(c.id),
                number=c.number,
                inbox_id=str(c.inbox_id),
                channel=channels.get(c.inbox_id, ""),
                contact=ContactSummary(
                    id=str(contact.id),
                    name=p.name,
                    email=p.email,
                    phone=p.phone,
                    locale=contact.locale,
                    region=contact.region,
                    erased=contact.erased_at is not None,
                    withheld_region=p.withheld_region,
                ),
                status=c.status,
                priority=c.priority,
                assignee_id=str(c.assignee_id) if c.assignee_id else None,
                team_id=str(c.team_id) if c.team_id else None,
                language=c.language,
                tags=list(c.tags),
                custom_attributes=dict(c.custom_attributes),
                subject=c.subject,
                snoozed_until=c.snoozed_until,
                sla=c.sla,
                routing=c.routing,
                last_activity_at=c.last_activity_at,
                last_incoming_at=c.last_incoming_at,
                first_response_at=c.first_response_at,
                resolved_at=c.resolved_at,
                created_at=c.created_at,
            )
        )
    return out


@dataclass(frozen=True)
class ConversationFilter:
    status: str | None = None
    inbox_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    team_id: uuid.UUID | None = None
    language: str | None = None
    tag: str | None = None
    priority: str | None = None
    q: str | None = None
    # Console-side filters: any of several teams ("My teams"), the inbox's channel, the SLA state.
    team_ids: frozenset[uuid.UUID] | None = None
    channel: str | None = None
    sla_state: str | None = None  # "ok" | "warning" | "breached"


SORTS = ("activity", "sla_due")
# The earliest open SLA deadline; RFC 3339 UTC strings order like the times they name.
# Indexed by migration 0011_console_saved_views (keep the expression identical).
SLA_DUE = func.least(
    Conversation.sla["first_response_due_at"].astext,
    Conversation.sla["next_response_due_at"].astext,
    Conversation.sla["resolution_due_at"].astext,
)


async def filter_clauses(
    session: AsyncSession, *, principal: Principal, filters: ConversationFilter
) -> list[Any]:
    """The WHERE clauses of a filtered listing (visibility included), shared by lists and counts."""
    clauses: list[Any] = [visible_to(principal)]
    if filters.status:
        clauses.append(Conversation.status == filters.status)
    if filters.inbox_id:
        clauses.append(Conversation.inbox_id == filters.inbox_id)
    if filters.unassigned:
        clauses.append(Conversation.assignee_id.is_(None))
    elif filters.assignee_id:
        clauses.append(Conversation.assignee_id == filters.assignee_id)
    if filters.team_id:
        clauses.append(Conversation.team_id == filters.team_id)
    if filters.team_ids is not None:
        clauses.append(Conversation.team_id.in_(filters.team_ids) if filters.team_ids else false())
    if filters.channel:
        clauses.append(
            Conversation.inbox_id.in_(
                select(Inbox.id).where(
                    Inbox.workspace_id == principal.workspace_id, Inbox.channel == filters.channel
                )
            )
        )
    if filters.sla_state in ("warning", "breached"):
        clauses.append(Conversation.sla["status"].astext == filters.sla_state)
    elif filters.sla_state == "ok":
        clauses.append(
            or_(Conversation.sla.is_(None), Conversation.sla["status"].astext.not_in(("warning", "breached")))
        )
    if filters.language:
        clauses.append(
            or_(
                Conversation.language == filters.language, Conversation.language.like(filters.language + "-%")
            )
        )
    if filters.priority:
        clauses.append(Conversation.priority == filters.priority)
    if filters.tag:
        clauses.append(Conversation.tags.contains([filters.tag]))
    if filters.q:
        # Every region the reader may read (the vault knows the databases); asking the
        # contacts which regions exist scanned them all on every search.
        ids = await vault.search_conversations(
            session, workspace_id=principal.workspace_id, query=filters.q, limit=1000
        )
        # Up to 1,000 ids: one array parameter, not 1,000 placeholders to render and parse.
        clauses.append(in_ids(Conversation.id, ids))
    return clauses


def encode_cursor(row: Conversation) -> str:
    raw = f"{row.last_activity_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _sla_due_of(row: Conversation) -> str | None:
    sla = row.sla or {}
    dues = [sla.get(k) for k in ("first_response_due_at", "next_response_due_at", "resolution_due_at")]
    present = [d for d in dues if d]
    return min(present) if present else None


def encode_sla_cursor(row: Conversation) -> str:
    raw = f"sla|{_sla_due_of(row) or ''}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_sla_cursor(cursor: str) -> tuple[str | None, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, due, ident = raw.split("|")
        if kind != "sla":
            raise ValueError("kind")
        return due or None, uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise ProblemError(422, "cursor: not a cursor returned by this endpoint") from None


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts, _, ident = raw.partition("|")
        when = datetime.fromisoformat(ts)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise ProblemError(422, "cursor: not a cursor returned by this endpoint") from None


async def list_conversations(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: ConversationFilter,
    limit: int,
    cursor: str | None,
    sort: str = "activity",
) -> tuple[list[Conversation], str | None]:
    """One keyset page: newest activity first, or (``sort="sla_due"``) nearest SLA deadline first."""
    stmt = select(Conversation).where(*await filter_clauses(session, principal=principal, filters=filters))
    if sort == "sla_due":
        due_at = SLA_DUE
        if cursor:
            due, ident = decode_sla_cursor(cursor)
            if due is None:
                stmt = stmt.where(due_at.is_(None), Conversation.id > ident)
            else:
                stmt = stmt.where(
                    or_(due_at > due, and_(due_at == due, Conversation.id > ident), due_at.is_(None))
                )
        stmt = stmt.order_by(due_at.asc().nulls_last(), Conversation.id.asc()).limit(limit + 1)
        rows = list(await session.scalars(stmt))
        next_cursor = encode_sla_cursor(rows[limit - 1]) if len(rows) > limit else None
        return rows[:limit], next_cursor
    if cursor:
        when, ident = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                Conversation.last_activity_at < when,
                and_(Conversation.last_activity_at == when, Conversation.id < ident),
            )
        )
    stmt = stmt.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(stmt))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def event_scope(conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": conversation.id,
        "team_id": conversation.team_id,
        "assignee_id": conversation.assignee_id,
    }


async def _check_assignee(session: AsyncSession, workspace_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
    agent = await session.scalar(
        select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id)
    )
    if agent is None or agent.deactivated_at is not None:
        raise ProblemError(
            422,
            "assignee_id: no such active agent in this workspace",
            errors=[{"pointer": "/assignee_id", "message": "unknown agent"}],
        )
    return agent


async def assign_conversation(
    *,
    session: AsyncSession,
    conversation: Conversation,
    agent_id: uuid.UUID | None,
    team_id: uuid.UUID | object | None = ...,
    reason: str,
    actor_id: uuid.UUID | None,
) -> None:
    """Change owner (and optionally team) inside the caller's transaction, with events."""
    previous = conversation.assignee_id
    conversation.assignee_id = agent_id
    if team_id is not ...:
        conversation.team_id = team_id  # type: ignore[assignment]
    conversation.routing = {
        "assignee_id": str(agent_id) if agent_id else None,
        "team_id": str(conversation.team_id) if conversation.team_id else None,
        "reason": reason,
        "by": str(actor_id) if actor_id else "system",
        "at": utcnow().isoformat(),
    }
    if previous != agent_id:
        await publish(
            session,
            workspace_id=conversation.workspace_id,
            type="conversation.assigned",
            payload={
                "conversation_id": str(conversation.id),
                "assignee_id": str(agent_id) if agent_id else None,
                "previous_assignee_id": str(previous) if previous else None,
                "reason": reason,
            },
            **event_scope(conversation),
        )


async def update_conversation(
    *, session: AsyncSession, principal: Principal, conversation_id: uuid.UUID, data: ConversationUpdate
) -> Conversation:
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    changes = data.model_dump(exclude_unset=True)
    if "team_id" in changes and data.team_id is not None:
        team = await session.scalar(
            select(Team).where(Team.id == data.team_id, Team.workspace_id == principal.workspace_id)
        )
        if team is None:
            raise ProblemError(
                422,
                "team_id: no such team in this workspace",
                errors=[{"pointer": "/team_id", "message": "unknown team"}],
            )
    if "assignee_id" in changes:
        if data.assignee_id is not None:
            await _check_assignee(session, principal.workspace_id, data.assignee_id)
        await assign_conversation(
            session=session,
            conversation=conversation,
            agent_id=data.assignee_id,
            team_id=data.team_id if "team_id" in changes else ...,
            reason="assigned by hand",
            actor_id=principal.agent_id,
        )
    elif "team_id" in changes:
        conversation.team_id = data.team_id
    if data.status is not None and data.status != conversation.status:
        if data.status == "snoozed" and data.snoozed_until is None:
            raise ProblemError(
                422,
                "snoozed_until: required when status is snoozed",
                errors=[{"pointer": "/snoozed_until", "message": "required"}],
            )
        conversation.status = data.status
        conversation.resolved_at = utcnow() if data.status == "resolved" else None
        conversation.snoozed_until = data.snoozed_until if data.status == "snoozed" else None
    if data.snoozed_until is not None and data.snoozed_until.tzinfo is None:
        raise ProblemError(422, "snoozed_until: needs a UTC offset (RFC 3339)")
    if data.priority is not None:
        conversation.priority = data.priority
    if data.tags is not None:
        conversation.tags = sorted(dict.fromkeys(data.tags))
    if data.custom_attributes is not None:
        conversation.custom_attributes = data.custom_attributes
    conversation.updated_at = utcnow()
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="conversation.updated",
        payload={
            "conversation_id": str(conversation.id),
            "fields": sorted(changes),
            "status": conversation.status,
            "priority": conversation.priority,
        },
        **event_scope(conversation),
    )
    await session.commit()
    return conversation


async def count_by_status(session: AsyncSession, *, principal: Principal) -> dict[str, int]:
    rows = await session.execute(
        select(Conversation.status, func.count()).where(visible_to(principal)).group_by(Conversation.status)
    )
    return {status: int(n) for status, n in rows}
