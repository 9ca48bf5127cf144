"""Automation rules: the admin's named actions, running rules on events, dry runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.service import Principal
from meridian.automations.actions import Actor, announce, describe, parse_actions, perform
from meridian.automations.conditions import Context, build_context, evaluate
from meridian.automations.models import Automation
from meridian.automations.schemas import (
    TIME_SINCE,
    Action,
    AssignAgent,
    AssignTeam,
    AutomationCreate,
    AutomationOut,
    AutomationUpdate,
    CallWebhook,
    ConditionResult,
    Conditions,
    DryRunOut,
    Notify,
    SendReply,
    timing_problem,
)
from meridian.automations.timing import looked_at, timing_payload
from meridian.canned.models import CannedResponse
from meridian.conversations.models import Conversation
from meridian.conversations.service import get_visible
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.teams.models import Team


def to_out(rule: Automation) -> AutomationOut:
    return AutomationOut(
        id=str(rule.id),
        name=rule.name,
        event=rule.event,
        conditions=dict(rule.conditions),
        actions=list(rule.actions),
        enabled=rule.enabled,
        position=rule.position,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def _unknown(index: int, field: str, what: str) -> ProblemError:
    pointer = f"/actions/{index}/{field}"
    return ProblemError(
        422,
        f"{pointer}: no such {what} in this workspace",
        errors=[{"pointer": pointer, "message": f"unknown {what}"}],
    )


async def check_references(session: AsyncSession, workspace_id: uuid.UUID, actions: Sequence[Action]) -> None:
    """Every agent, team and inbox an action names exists in the caller's workspace."""

    async def exists(model: type[Agent] | type[Team] | type[Inbox], ident: uuid.UUID) -> bool:
        found = await session.scalar(
            select(model.id).where(model.id == ident, model.workspace_id == workspace_id)
        )
        return found is not None

    for index, action in enumerate(actions):
        if isinstance(action, SendReply) and action.canned_response_id is not None:
            found = await session.scalar(
                select(CannedResponse.id).where(
                    CannedResponse.id == action.canned_response_id,
                    CannedResponse.workspace_id == workspace_id,
                )
            )
            if found is None:
                raise _unknown(index, "canned_response_id", "canned response")
        if isinstance(action, AssignAgent) and not await exists(Agent, action.agent_id):
            raise _unknown(index, "agent_id", "agent")
        if isinstance(action, AssignTeam) and not await exists(Team, action.team_id):
            raise _unknown(index, "team_id", "team")
        if isinstance(action, Notify):
            for agent_id in action.agent_ids:
                if not await exists(Agent, agent_id):
                    raise _unknown(index, "agent_ids", "agent")
        if isinstance(action, CallWebhook):
            inbox = await session.scalar(
                select(Inbox).where(Inbox.id == action.inbox_id, Inbox.workspace_id == workspace_id)
            )
            if inbox is None:
                raise _unknown(index, "inbox_id", "inbox")
            if inbox.channel != "api":
                raise ProblemError(
                    422,
                    f"/actions/{index}/inbox_id: webhooks go to an api inbox's webhook_url",
                    errors=[{"pointer": f"/actions/{index}/inbox_id", "message": "not an api inbox"}],
                )


def dump_actions(actions: Sequence[Action]) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json", exclude_none=True) for a in actions]


async def get_automation(
    session: AsyncSession, *, workspace_id: uuid.UUID, automation_id: uuid.UUID
) -> Automation:
    rule = await session.scalar(
        select(Automation).where(Automation.id == automation_id, Automation.workspace_id == workspace_id)
    )
    if rule is None:
        raise NotFound("automation")
    return rule


async def list_automations(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Automation]:
    return list(
        await session.scalars(
            select(Automation)
            .where(Automation.workspace_id == workspace_id)
            .order_by(Automation.position, Automation.created_at, Automation.id)
        )
    )


async def _changed(session: AsyncSession, principal: Principal, rule: Automation, kind: str) -> Automation:
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type=f"automation.{kind}",
        payload={"automation_id": str(rule.id)},
    )
    await session.commit()
    await session.refresh(rule)
    return rule


async def create_automation(
    *, session: AsyncSession, principal: Principal, data: AutomationCreate
) -> Automation:
    await check_references(session, principal.workspace_id, data.actions)
    rule = Automation(
        workspace_id=principal.workspace_id,
        name=data.name,
        event=data.event,
        conditions=data.conditions.model_dump(mode="json", exclude_none=True),
        actions=dump_actions(data.actions),
        enabled=data.enabled,
        position=data.position,
    )
    session.add(rule)
    await session.flush()
    return await _changed(session, principal, rule, "created")


async def update_automation(
    *, session: AsyncSession, principal: Principal, automation_id: uuid.UUID, data: AutomationUpdate
) -> Automation:
    rule = await get_automation(session, workspace_id=principal.workspace_id, automation_id=automation_id)
    if data.actions is not None:
        await check_references(session, principal.workspace_id, data.actions)
        rule.actions = dump_actions(data.actions)
    if "conditions" in data.model_fields_set:
        rule.conditions = (data.conditions or Conditions()).model_dump(mode="json", exclude_none=True)
    for key in ("name", "event", "enabled", "position"):
        if (value := getattr(data, key)) is not None:
            setattr(rule, key, value)
    # The event and the timing conditions may arrive in separate updates: check the result.
    if (problem := timing_problem(rule.event, Conditions.model_validate(rule.conditions))) is not None:
        raise ProblemError(422, problem, errors=[{"pointer": "/conditions", "message": problem}])
    return await _changed(session, principal, rule, "updated")


async def delete_automation(*, session: AsyncSession, principal: Principal, automation_id: uuid.UUID) -> None:
    rule = await get_automation(session, workspace_id=principal.workspace_id, automation_id=automation_id)
    await session.delete(rule)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="automation.deleted",
        payload={"automation_id": str(rule.id)},
    )
    await session.commit()


async def has_rules(session: AsyncSession, *, workspace_id: uuid.UUID, event: str) -> bool:
    """Whether any enabled rule of the workspace runs on ``event``."""
    found = await session.scalar(
        select(Automation.id)
        .where(
            Automation.workspace_id == workspace_id,
            Automation.event == event,
            Automation.enabled.is_(True),
        )
        .limit(1)
    )
    return found is not None


async def run_rules(session: AsyncSession, *, ctx: Context) -> list[str]:
    """Run every enabled rule for ``ctx.event`` whose conditions hold; returns their names."""
    rules = await session.scalars(
        select(Automation)
        .where(
            Automation.workspace_id == ctx.conversation.workspace_id,
            Automation.event == ctx.event,
            Automation.enabled.is_(True),
        )
        .order_by(Automation.position, Automation.created_at, Automation.id)
    )
    ran: list[str] = []
    for rule in list(rules):
        if not all(r.passed for r in evaluate(Conditions.model_validate(rule.conditions), ctx)):
            continue
        await apply_rule(session, ctx=ctx, rule=rule)
        ran.append(rule.name)
    return ran


async def apply_rule(session: AsyncSession, *, ctx: Context, rule: Automation) -> list[str]:
    """Perform the rule's actions in order and announce what they changed; returns the
    action types."""
    actor = Actor("automation", rule.name, rule.id)
    fields: set[str] = set()
    actions = parse_actions(rule.actions)
    for action in actions:
        fields |= await perform(session, ctx, action, actor)
    await announce(session, ctx, fields, actor)
    return [action.type for action in actions]


async def dry_run(
    *, session: AsyncSession, principal: Principal, automation_id: uuid.UUID, conversation_id: uuid.UUID
) -> DryRunOut:
    """What the rule would do to this conversation now; changes nothing."""
    rule = await get_automation(session, workspace_id=principal.workspace_id, automation_id=automation_id)
    conversation: Conversation = await get_visible(
        session, principal=principal, conversation_id=conversation_id
    )
    at = utcnow()
    ctx = await build_context(session, conversation, event=rule.event, payload={}, at=at)
    conditions = Conditions.model_validate(rule.conditions)
    if rule.event == TIME_SINCE:
        ctx.payload = await timing_payload(
            session, conversation=conversation, team=ctx.team, conditions=conditions, at=at
        )
    results = evaluate(conditions, ctx)
    if rule.event == TIME_SINCE and isinstance(since_at := ctx.payload.get("since_at"), str):
        # The pass looks once per episode: a look already taken will not be taken again.
        done = await looked_at(
            session,
            automation_id=rule.id,
            conversation_id=conversation.id,
            since_at=datetime.fromisoformat(since_at),
        )
        results.append(
            ConditionResult(
                name="episode",
                passed=not done,
                detail="already looked at since that moment" if done else "not looked at since that moment",
            )
        )
    matched = all(r.passed for r in results)
    return DryRunOut(
        automation_id=str(rule.id),
        conversation_id=str(conversation.id),
        event=rule.event,
        matched=matched,
        conditions=results,
        actions=[await describe(session, ctx, a) for a in parse_actions(rule.actions)] if matched else [],
    )
