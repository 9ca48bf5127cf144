"""Routing actions: give a conversation an owner (or a place in a queue), drain queues
when capacity frees up, and move an absent agent's work on.

Every action runs inside the caller's transaction (a subscriber's or a periodic
task's) and never commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.canned.system import render_system
from meridian.channels.ingest import should_auto_reply
from meridian.contacts.models import Contact
from meridian.conversations.locks import lock_conversation
from meridian.conversations.models import Conversation
from meridian.conversations.service import assign_conversation, event_scope
from meridian.core.clock import utcnow
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.messages.system import post_system_message
from meridian.routing import directory
from meridian.routing.engine import Decision, Need, decide
from meridian.routing.models import RoutingAgentState
from meridian.routing.notice import customer_zone, notice_values
from meridian.teams.models import Team
from meridian.workspaces.models import Workspace

SKILL_TAG = "skill:"
# Skills a contact keeps asking for: once a conversation of theirs needed one, the
# next ones do too ("asked for a senior agent before").
LEARNED_SKILLS = ("senior",)
# Customer tiers that jump the queue when capacity frees up.
VIP_TIERS = ("vip", "premium", "platinum", "enterprise")
PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
# How often a decision may find its chosen agent taken before it locks them all.
CLAIM_TRIES = 5


async def _intent_skills(
    session: AsyncSession, conversation: Conversation, known: set[str]
) -> list[tuple[str, set[str]]]:
    """(intent, skills it adds) for each intent the bot detected in the customer's
    messages (``meta.signals.intent``) that the workspace's ``intent_skills`` map names.

    A map, not the intent names themselves: an intent nobody configured asks for
    nothing, so routing never waits on a skill no agent was ever given.
    """
    workspace = await session.get(Workspace, conversation.workspace_id)
    mapping: dict[str, list[str]] = dict(
        ((workspace.settings or {}) if workspace else {}).get("intent_skills") or {}
    )
    if not mapping:
        return []
    intent = Message.meta["signals"]["intent"].astext
    detected = await session.scalars(
        select(intent)
        .where(
            Message.conversation_id == conversation.id,
            Message.direction == "incoming",
            intent.in_(list(mapping)),
        )
        .distinct()
    )
    out: list[tuple[str, set[str]]] = []
    for name in sorted(detected):
        if wanted := set(mapping[name]) - known:
            out.append((name, wanted))
            known = known | wanted
    return out


async def _need(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    *,
    language: str | None,
    exclude_agent_ids: frozenset[uuid.UUID],
    exclude_team_ids: frozenset[uuid.UUID],
    only_team_ids: frozenset[uuid.UUID],
) -> Need:
    skills = {t[len(SKILL_TAG) :] for t in conversation.tags if t.startswith(SKILL_TAG)}
    notes: list[str] = []
    others = (Conversation.contact_id == contact.id, Conversation.id != conversation.id)
    for skill in LEARNED_SKILLS:
        if skill in skills:
            continue
        asked = await session.scalar(
            select(Conversation.id).where(*others, Conversation.tags.contains([SKILL_TAG + skill])).limit(1)
        )
        if asked is not None:
            skills.add(skill)
            notes.append(f"asked for a {skill} agent before")
    for intent, wanted in await _intent_skills(session, conversation, skills):
        skills |= wanted
        notes.append(f"detected intent {intent}")
    sticky = await session.scalar(
        select(Conversation.assignee_id)
        .where(*others, Conversation.assignee_id.is_not(None))
        .order_by(Conversation.last_activity_at.desc())
        .limit(1)
    )
    channel = await session.scalar(select(Inbox.channel).where(Inbox.id == conversation.inbox_id))
    return Need(
        language=language or conversation.language or contact.locale,
        channel=channel,
        skills=frozenset(skills),
        notes=tuple(notes),
        preferred_team_id=conversation.team_id,
        sticky_agent_id=sticky,
        exclude_agent_ids=exclude_agent_ids,
        exclude_team_ids=exclude_team_ids,
        only_team_ids=only_team_ids,
    )


async def route_conversation(
    *,
    session: AsyncSession,
    conversation_id: uuid.UUID,
    trigger: str,
    language: str | None = None,
    reassign: bool = False,
    from_agent_id: uuid.UUID | None = None,
    from_team_id: uuid.UUID | None = None,
    within_team_id: uuid.UUID | None = None,
    only_if_assigned: bool = False,
    notify: bool = True,
    at: datetime | None = None,
    skip_locked: bool = False,
) -> Decision | None:
    """Decide and apply who owns ``conversation_id``; None when it needs no routing.

    Without ``reassign`` only an open, unowned conversation is routed, so two
    triggers for the same conversation (its row is locked first) assign it once.
    ``from_agent_id`` / ``from_team_id`` move it away from that agent / team, and
    only while it is still theirs (someone may have taken it meanwhile).

    Locks, in the one order (conversations/locks.py): the contact, the conversation,
    then the one agent it goes to (``_decide_and_claim``), never the others.
    """
    at = at or utcnow()
    # Contact, then conversation: the one lock order (conversations/locks.py).
    conversation = await lock_conversation(session, conversation_id, skip_locked=skip_locked)
    if conversation is None or conversation.status != "open":
        return None
    if from_agent_id is not None and conversation.assignee_id != from_agent_id:
        return None
    if from_team_id is not None and conversation.team_id != from_team_id:
        return None
    reassign = reassign or from_agent_id is not None or from_team_id is not None
    if conversation.assignee_id is not None and not reassign:
        return None
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    # Moving to a team may keep an agent who is in it; any other reassignment moves away.
    moving_away = reassign and conversation.assignee_id is not None and within_team_id is None
    exclude_agent_ids = frozenset(
        {conversation.assignee_id} if moving_away and conversation.assignee_id else ()
    )
    exclude_team_ids = frozenset({from_team_id} if from_team_id else ())
    need = await _need(
        session,
        conversation,
        contact,
        language=language,
        exclude_agent_ids=exclude_agent_ids,
        exclude_team_ids=exclude_team_ids,
        only_team_ids=frozenset({within_team_id} if within_team_id else ()),
    )
    decision = await _decide_and_claim(session, conversation.workspace_id, need, at)
    if only_if_assigned and decision.outcome != "assigned":
        return decision
    await _apply(session, conversation, contact, decision, trigger=trigger, at=at, notify=notify)
    return decision


async def _decide_and_claim(
    session: AsyncSession, workspace_id: uuid.UUID, need: Need, at: datetime
) -> Decision:
    """Decide on agents read without locks, then lock the chosen agent and decide again
    with its fresh numbers; the decision stands once the locked agent still wins.

    Locking every candidate for every decision made all routing in a workspace take
    turns (and deadlock under load); now two decisions wait on each other only when
    they want the same agent. ``directory.lock_agent`` says why the recount under the
    lock cannot oversubscribe anyone.

    An agent that lost (someone took its last slot, it went offline, or its fresh load
    ranks it below another) is let go at once: its lock is taken in a savepoint rolled
    back before the next try, so a decision holds one agent lock at a time and two
    deciders never hold one agent each while waiting for the other's.
    """
    teams = await directory.teams_of(session, workspace_id)
    views = {a.id: a for a in await directory.agents_of(session, workspace_id)}
    decision = decide(need, teams, list(views.values()), at)
    for _ in range(CLAIM_TRIES):
        if decision.agent_id is None:
            return decision
        chosen = views[decision.agent_id]
        savepoint = await session.begin_nested()
        fresh = await directory.lock_agent(session, chosen)
        if fresh is None:
            del views[chosen.id]
        else:
            views[chosen.id] = fresh
        again = decide(need, teams, list(views.values()), at)
        if fresh is not None and again.agent_id == chosen.id:
            await savepoint.commit()  # RELEASE SAVEPOINT: the lock stays until our commit
            return again
        await savepoint.rollback()
        decision = again
    if decision.agent_id is None:
        return decision
    # Lost the race CLAIM_TRIES times in a row: a burst is assigning in this workspace
    # right now. Queueing would strand a customer for up to a minute while agents may
    # have room, so decide the old way instead: lock every candidate (in id order) and
    # count under the locks. Slow, but rare and always right.
    agents = await directory.agents_of(session, workspace_id, lock=True)
    return decide(need, teams, agents, at)


async def _apply(
    session: AsyncSession,
    conversation: Conversation,
    contact: Contact,
    decision: Decision,
    *,
    trigger: str,
    at: datetime,
    notify: bool,
) -> None:
    previous: dict[str, Any] = dict(conversation.routing or {})
    extra: dict[str, Any] = {
        "state": decision.outcome,
        "trigger": trigger,
        "wait_until": decision.wait_until.isoformat() if decision.wait_until else None,
        "load": decision.load,
        "capacity": decision.capacity,
    }
    unchanged = (
        decision.outcome == "queued"
        and previous.get("state") == "queued"
        and previous.get("reason") == decision.reason
        and conversation.team_id == decision.team_id
        and conversation.assignee_id is None
    )
    if previous.get("state") == "queued" and previous.get("notice_for"):
        extra["notice_for"] = previous["notice_for"]
    if unchanged:
        pass  # no event, no rewrite: queues are re-examined every minute
    elif decision.outcome == "assigned" or conversation.assignee_id is not None:
        await assign_conversation(
            session=session,
            conversation=conversation,
            agent_id=decision.agent_id,
            team_id=decision.team_id,
            reason=decision.reason,
            actor_id=None,
        )
        conversation.routing = {**(conversation.routing or {}), **extra}
    else:
        conversation.team_id = decision.team_id
        conversation.routing = {
            "assignee_id": None,
            "team_id": str(decision.team_id) if decision.team_id else None,
            "reason": decision.reason,
            "by": "system",
            "at": at.isoformat(),
            **extra,
        }
        await publish(
            session,
            workspace_id=conversation.workspace_id,
            type="conversation.updated",
            payload={
                "conversation_id": str(conversation.id),
                "fields": ["routing", "team_id"],
                "status": conversation.status,
                "priority": conversation.priority,
                "source": "routing",
            },
            **event_scope(conversation),
        )
    if decision.agent_id is not None:
        await session.execute(
            insert(RoutingAgentState)
            .values(agent_id=decision.agent_id, workspace_id=conversation.workspace_id, last_assigned_at=at)
            .on_conflict_do_update(index_elements=["agent_id"], set_={"last_assigned_at": at})
        )
    if notify and decision.wait_until is not None:
        await _send_notice(session, conversation, contact, decision.wait_until, at)


async def _send_notice(
    session: AsyncSession, conversation: Conversation, contact: Contact, opening: datetime, at: datetime
) -> None:
    """Tell the customer when we will answer, once per expected opening."""
    routing = dict(conversation.routing or {})
    if routing.get("notice_for") == opening.isoformat():
        return
    last = await session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.direction == "incoming")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    if last is not None and not should_auto_reply(last):
        return  # never answer a robot (an out-of-office reply) with another automatic message
    team = await session.get(Team, conversation.team_id) if conversation.team_id else None
    zone, known = customer_zone(
        contact_timezone=contact.timezone,
        country=contact.country,
        team_timezone=team.timezone if team else "UTC",
        at=opening,
    )
    # The workspace's wording when an admin changed it (system template), else ours.
    notice = await render_system(
        session,
        key="routing_notice",
        conversation=conversation,
        contact=contact,
        language=None,
        locale_values=notice_values(opening=opening, now=at, zone=zone, zone_is_customers=known),
        timezone=zone.key,
    )
    sent = await post_system_message(
        session,
        conversation=conversation,
        body=notice.body,
        kind="reply",
        language=notice.locale,
        meta={"routing_notice": {"opening": opening.isoformat(), "timezone": zone.key}},
    )
    if sent is not None:
        conversation.routing = {**routing, "notice_for": opening.isoformat()}


def queue_order() -> list[Any]:
    """VIP tiers first, then urgent before low, then who has waited longest."""
    return [
        case((Contact.tier.in_(VIP_TIERS), 0), else_=1),
        case(PRIORITY_ORDER, value=Conversation.priority, else_=2),
        Conversation.last_activity_at,
        Conversation.id,
    ]


async def drain_queue(
    *, session: AsyncSession, workspace_id: uuid.UUID, limit: int = 50, at: datetime | None = None
) -> int:
    """Route waiting (open, unowned) conversations in queue order; returns how many got
    an agent."""
    ids = list(
        await session.scalars(
            select(Conversation.id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(
                Conversation.workspace_id == workspace_id,
                Conversation.status == "open",
                Conversation.assignee_id.is_(None),
            )
            .order_by(*queue_order())
            .limit(limit)
        )
    )
    assigned = 0
    for conversation_id in ids:
        # skip_locked: each assignment keeps its agent locked until our commit, so
        # waiting here for a customer someone else holds (ingest, a subscriber that may
        # want one of those agents) could deadlock. Such a conversation is being worked
        # on right now; its own event or the next pass routes it.
        decision = await route_conversation(
            session=session,
            conversation_id=conversation_id,
            trigger="queue",
            notify=False,
            at=at,
            skip_locked=True,
        )
        assigned += decision is not None and decision.outcome == "assigned"
    return assigned


async def reroute_agent(
    *, session: AsyncSession, agent_id: uuid.UUID, trigger: str, at: datetime | None = None
) -> int:
    """Move an agent's open conversations on (they went offline or away)."""
    ids = list(
        await session.scalars(
            select(Conversation.id)
            .where(Conversation.assignee_id == agent_id, Conversation.status == "open")
            .order_by(Conversation.last_activity_at)
        )
    )
    for conversation_id in ids:
        await route_conversation(
            session=session,
            conversation_id=conversation_id,
            trigger=trigger,
            from_agent_id=agent_id,
            notify=False,
            at=at,
        )
    return len(ids)
