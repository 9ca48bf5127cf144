"""What a rule looks at, and whether its conditions hold."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.automations.schemas import ConditionResult, Conditions
from meridian.automations.timing import SINCE_LABELS
from meridian.channels.ingest import should_auto_reply
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.routing.directory import calendar_of
from meridian.routing.engine import primary
from meridian.teams.models import Team
from meridian.vault import service as vault


@dataclass
class Context:
    """A conversation as one event left it, with what the conditions read."""

    conversation: Conversation
    contact: Contact
    inbox: Inbox
    team: Team | None
    event: str
    payload: dict[str, Any]
    text: str | None
    at: datetime
    # The domain event that triggered the rule (None for macros and dry runs).
    event_id: int | None = None
    # False when the customer's message came from a robot (out-of-office mail):
    # rules then send no replies, so two robots never answer each other.
    auto_reply_ok: bool = True


async def build_context(
    session: AsyncSession,
    conversation: Conversation,
    *,
    event: str,
    payload: dict[str, Any],
    at: datetime,
    message_id: uuid.UUID | None = None,
    event_id: int | None = None,
) -> Context:
    contact = await session.get(Contact, conversation.contact_id)
    inbox = await session.get(Inbox, conversation.inbox_id)
    assert contact is not None and inbox is not None
    team_id = conversation.team_id or inbox.team_id
    team = await session.get(Team, team_id) if team_id else None
    if message_id is None:
        # Outside a message event (dry run, status change, SLA): the customer's latest words.
        message_id = await session.scalar(
            select(Message.id)
            .where(Message.conversation_id == conversation.id, Message.direction == "incoming")
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(1)
        )
    text, auto_reply_ok = None, True
    if message_id is not None:
        content = await vault.get_messages(session, [(message_id, contact.region)])
        text = content[message_id].body if message_id in content else None
        message = await session.get(Message, message_id)
        auto_reply_ok = message is None or should_auto_reply(message)
    return Context(conversation, contact, inbox, team, event, payload, text, at, event_id, auto_reply_ok)


def _any(values: list[Any], candidates: list[Any]) -> bool:
    return any(v in candidates for v in values)


def evaluate(conditions: Conditions, ctx: Context) -> list[ConditionResult]:
    """One result per present condition, in a stable order."""
    c, conv = conditions, ctx.conversation
    out: list[ConditionResult] = []

    def add(name: str, passed: bool, detail: str) -> None:
        out.append(ConditionResult(name=name, passed=passed, detail=detail))

    if c.channel is not None:
        add("channel", ctx.inbox.channel in c.channel, f"channel is {ctx.inbox.channel}")
    if c.inbox_id is not None:
        add("inbox_id", ctx.inbox.id in c.inbox_id, f"inbox is {ctx.inbox.name}")
    if c.language is not None:
        language = ctx.payload.get("language") or conv.language or ctx.contact.locale
        wanted = {primary(tag) for tag in c.language}
        add("language", primary(language) in wanted, f"language is {language or 'unknown'}")
    tags = set(conv.tags)
    shown = ", ".join(sorted(tags)) or "none"
    if c.tags_any is not None:
        add("tags_any", bool(tags & set(c.tags_any)), f"tags: {shown}")
    if c.tags_all is not None:
        add("tags_all", set(c.tags_all) <= tags, f"tags: {shown}")
    if c.tags_none is not None:
        add("tags_none", not tags & set(c.tags_none), f"tags: {shown}")
    if c.text_contains is not None:
        text = (ctx.text or "").casefold()
        found = [n for n in c.text_contains if n.casefold() in text]
        add("text_contains", bool(found), f"found {found[0]!r}" if found else "no listed text in the message")
    if c.contact_tier is not None:
        add("contact_tier", ctx.contact.tier in c.contact_tier, f"tier is {ctx.contact.tier or 'none'}")
    if c.contact_attributes is not None:
        attrs = ctx.contact.attributes or {}
        differing = sorted(k for k, v in c.contact_attributes.items() if attrs.get(k) != v)
        add(
            "contact_attributes",
            not differing,
            "all match" if not differing else "differs: " + ", ".join(differing),
        )
    if c.business_hours is not None:
        is_open = ctx.team is None or calendar_of(ctx.team).is_open(ctx.at)
        where = f"team {ctx.team.name}" if ctx.team else "no team (always open)"
        add(
            "business_hours",
            is_open == (c.business_hours == "open"),
            f"{where} is {'open' if is_open else 'closed'}",
        )
    if c.status is not None:
        add("status", _any([conv.status], list(c.status)), f"status is {conv.status}")
    if c.priority is not None:
        add("priority", _any([conv.priority], list(c.priority)), f"priority is {conv.priority}")
    if c.sla_metric is not None:
        metric = ctx.payload.get("metric")
        add("sla_metric", metric in c.sla_metric, f"SLA metric is {metric or 'none'}")
    if c.assigned is not None:
        add(
            "assigned",
            (conv.assignee_id is not None) == c.assigned,
            "assigned" if conv.assignee_id is not None else "unassigned",
        )
    if c.since is not None and c.after_minutes is not None:
        add("time_since", *_time_since(c, ctx))
    return out


def _span(minutes: float) -> str:
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def _time_since(c: Conditions, ctx: Context) -> tuple[bool, str]:
    """Reads what ``timing_payload`` put in the context (the periodic pass, a dry run)."""
    label = SINCE_LABELS[c.since or ""]
    elapsed = ctx.payload.get("elapsed_minutes")
    if not isinstance(elapsed, int | float):
        return False, f"{label}: has not happened"
    clock = f"business time of team {ctx.team.name}" if c.business_time and ctx.team else "calendar time"
    needed = c.after_minutes or 0
    return elapsed >= needed, f"{_span(elapsed)} since {label} ({clock}; needs {_span(needed)})"
