"""Running (or, for a dry run, describing) automation and macro actions."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.automations.conditions import Context
from meridian.automations.schemas import (
    Action,
    AddNote,
    AddTag,
    AssignAgent,
    AssignTeam,
    CallWebhook,
    Notify,
    RaisePriority,
    Reassign,
    RemoveTag,
    SendReply,
    SetPriority,
    SetStatus,
)
from meridian.canned.models import CannedResponse
from meridian.canned.service import render_for_customer
from meridian.conversations.models import PRIORITIES
from meridian.conversations.service import assign_conversation, event_scope
from meridian.core.clock import utcnow
from meridian.core.ids import new_id
from meridian.deliveries.service import enqueue_webhook
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.messages.system import post_system_message
from meridian.routing.engine import primary
from meridian.routing.service import route_conversation
from meridian.teams.models import Team

log = logging.getLogger(__name__)

ACTIONS: TypeAdapter[list[Action]] = TypeAdapter(list[Action])


@dataclass(frozen=True)
class Actor:
    """Who acts: a rule (``automation``) or an agent applying a macro (``macro``)."""

    kind: str
    name: str
    id: uuid.UUID
    agent_id: uuid.UUID | None = None


def parse_actions(raw: list[dict[str, Any]]) -> list[Action]:
    return ACTIONS.validate_python(raw)


def pick_body(action: SendReply, language: str | None) -> tuple[str, str | None]:
    """The reply text for the customer's language: exact tag, same primary language, else ``body``."""
    if language and language in action.bodies:
        return action.bodies[language], language
    wanted = primary(language)
    for tag, text in action.bodies.items():
        if primary(tag) == wanted:
            return text, tag
    if action.body:
        return action.body, None
    tag, text = next(iter(action.bodies.items()))
    return text, tag


async def reply_text(session: AsyncSession, ctx: Context, action: SendReply) -> tuple[str, str | None] | None:
    """The reply for this customer, rendered in their locale and time zone (Babel), and
    its language; None when it cannot be written (its canned response was deleted, or a
    template fails), which skips the reply rather than failing the whole rule."""
    conv, contact = ctx.conversation, ctx.contact
    if action.canned_response_id is not None:
        canned = await session.get(CannedResponse, action.canned_response_id)
        if canned is None or canned.workspace_id != conv.workspace_id:
            return None
        variants = dict(canned.variants)
    else:
        text, tag = pick_body(action, conv.language or contact.locale)
        # ``body`` is the rule's wording for any other language: rendered, but not
        # claiming a language it may not be in.
        variants = {tag or "und": text}
    try:
        out = await render_for_customer(session, variants=variants, conversation=conv, contact=contact)
    except (TemplateError, ValueError, TypeError, ArithmeticError) as exc:
        log.warning("automation reply not rendered: %s", exc)
        return None
    return out.body, (None if out.variant == "und" else out.variant)


async def _name(session: AsyncSession, model: type[Agent] | type[Team], ident: uuid.UUID) -> str:
    name = await session.scalar(select(model.name).where(model.id == ident))
    return name if name is not None else str(ident)


async def describe(session: AsyncSession, ctx: Context, action: Action) -> str:
    conv = ctx.conversation
    match action:
        case AssignAgent(agent_id=agent_id):
            return f"assign to {await _name(session, Agent, agent_id)}"
        case AssignTeam(team_id=team_id):
            return f"move to team {await _name(session, Team, team_id)} and route there"
        case Reassign():
            return "route again, away from the current agent"
        case AddTag(tag=tag):
            return f"add tag {tag!r}"
        case RemoveTag(tag=tag):
            return f"remove tag {tag!r}"
        case SetPriority(priority=priority):
            return f"set priority {priority} (now {conv.priority})"
        case RaisePriority():
            return f"raise priority to {_raised(conv.priority)} (now {conv.priority})"
        case SetStatus(status=status):
            return f"set status {status} (now {conv.status})"
        case SendReply():
            written = await reply_text(session, ctx, action)
            if written is None:
                return "send reply: nothing to send (the canned response is gone or does not render)"
            text, lang = written
            skipped = "" if ctx.auto_reply_ok else " (skipped: the customer's message came from a robot)"
            return f"send reply{f' in {lang}' if lang else ''}: {text[:80]!r}{skipped}"
        case AddNote(body=body):
            return f"add private note: {body[:80]!r}"
        case CallWebhook(inbox_id=inbox_id):
            inbox = await session.get(Inbox, inbox_id)
            return f"POST the event to the webhook of inbox {inbox.name if inbox else inbox_id}"
        case Notify(message=message):
            return f"notify: {message[:80]!r}"
    raise AssertionError(action)


def _raised(priority: str) -> str:
    index = PRIORITIES.index(priority) if priority in PRIORITIES else 1
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]


async def perform(session: AsyncSession, ctx: Context, action: Action, actor: Actor) -> set[str]:
    """Do one action inside the caller's transaction; returns conversation fields changed
    (published together as one ``conversation.updated`` by ``announce``)."""
    conv = ctx.conversation
    reason = f"{actor.kind} {actor.name!r}"
    match action:
        case AssignAgent(agent_id=agent_id):
            agent = await session.get(Agent, agent_id)
            if agent is None or agent.deactivated_at is not None or agent.workspace_id != conv.workspace_id:
                return set()  # deactivated since the rule was saved: leave the owner as is
            await assign_conversation(
                session=session, conversation=conv, agent_id=agent_id, reason=reason, actor_id=actor.agent_id
            )
        case AssignTeam(team_id=team_id):
            decision = await route_conversation(
                session=session,
                conversation_id=conv.id,
                trigger=reason,
                reassign=True,
                within_team_id=team_id,
            )
            if decision is None:  # not open: just file it with the team
                conv.team_id = team_id
                return {"team_id"}
        case Reassign():
            await route_conversation(session=session, conversation_id=conv.id, trigger=reason, reassign=True)
        case AddTag(tag=tag) if tag not in conv.tags:
            conv.tags = sorted({*conv.tags, tag})
            return {"tags"}
        case RemoveTag(tag=tag) if tag in conv.tags:
            conv.tags = [t for t in conv.tags if t != tag]
            return {"tags"}
        case SetPriority(priority=priority) if priority != conv.priority:
            conv.priority = priority
            return {"priority"}
        case RaisePriority() if _raised(conv.priority) != conv.priority:
            conv.priority = _raised(conv.priority)
            return {"priority"}
        case SetStatus(status=status) if status != conv.status:
            conv.status = status
            conv.resolved_at = utcnow() if status == "resolved" else None
            conv.snoozed_until = None
            return {"status"}
        case SendReply() if ctx.auto_reply_ok or actor.kind == "macro":
            written = await reply_text(session, ctx, action)
            if written is None:
                return set()
            text, lang = written
            await post_system_message(
                session,
                conversation=conv,
                body=text,
                kind="reply",
                author_kind="human" if actor.kind == "macro" else "automation",
                author_agent_id=actor.agent_id,
                language=lang,
                meta={actor.kind: str(actor.id)},
            )
        case AddNote(body=body):
            await post_system_message(
                session,
                conversation=conv,
                body=body,
                kind="note",
                author_kind="human" if actor.kind == "macro" else "automation",
                author_agent_id=actor.agent_id,
                meta={actor.kind: str(actor.id)},
            )
        case CallWebhook(inbox_id=inbox_id):
            await _webhook(session, ctx, inbox_id, actor)
        case Notify(message=message, agent_ids=agent_ids):
            await publish(
                session,
                workspace_id=conv.workspace_id,
                type="automation.notification",
                payload={
                    "conversation_id": str(conv.id),
                    "message": message,
                    "agent_ids": [str(a) for a in agent_ids],
                    actor.kind + "_id": str(actor.id),
                    "event": ctx.event,
                },
                **event_scope(conv),
            )
    return set()


async def _webhook(session: AsyncSession, ctx: Context, inbox_id: uuid.UUID, actor: Actor) -> None:
    inbox = await session.scalar(
        select(Inbox).where(Inbox.id == inbox_id, Inbox.workspace_id == ctx.conversation.workspace_id)
    )
    if inbox is None or inbox.channel != "api":
        return  # the inbox was deleted or changed since the rule was saved
    event = {
        "type": ctx.event,
        "data": {
            **ctx.payload,
            "conversation_id": str(ctx.conversation.id),
            actor.kind + "_id": str(actor.id),
        },
    }
    await enqueue_webhook(
        session,
        workspace_id=ctx.conversation.workspace_id,
        inbox=inbox,
        # One POST per rule, event and target, however often the dispatcher retries.
        idempotency_key=f"{actor.kind}_{actor.id}_{ctx.event_id or new_id()}_{inbox.id}",
        event=event,
    )


async def announce(session: AsyncSession, ctx: Context, fields: set[str], actor: Actor) -> None:
    if not fields:
        return
    conv = ctx.conversation
    conv.updated_at = utcnow()
    await publish(
        session,
        workspace_id=conv.workspace_id,
        type="conversation.updated",
        payload={
            "conversation_id": str(conv.id),
            "fields": sorted(fields),
            "status": conv.status,
            "priority": conv.priority,
            # Rules never react to their own changes, which keeps two rules from looping.
            "source": actor.kind,
            actor.kind + "_id": str(actor.id),
        },
        **event_scope(conv),
    )
