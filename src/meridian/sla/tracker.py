"""Keeping each conversation's SLA clock in step with what happens to it.

Rules (see docs/routing-and-sla.md):

* first response: from the customer's first message to the first reply a person
  writes (automatic notices and bots do not count).
* next response: a customer message arriving when no cycle is running (after a
  reply) starts one; it ends with the next human reply. Further customer messages
  in the same cycle do not move the due time.
* resolution: from the first message to resolved; a reopened conversation starts a
  new resolution cycle.
* pending and snoozed pause every running clock; open resumes them.
* counted in the owning team's business hours when the policy says so (calendar
  time when the conversation has no team), re-counted from now when the team changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.routing.directory import calendar_of
from meridian.sla.clock import Meter, Metric, start
from meridian.sla.models import METRICS, SlaClock, SlaEvent, SlaPolicy
from meridian.sla.service import choose_policy, list_policies
from meridian.teams.models import Team

PAUSING = ("pending", "snoozed")


def budgets(policy: SlaPolicy) -> dict[str, float]:
    minutes = {
        "first_response": policy.first_response_minutes,
        "next_response": policy.next_response_minutes,
        "resolution": policy.resolution_minutes,
    }
    return {name: m * 60.0 for name, m in minutes.items() if m}


async def meter_for(session: AsyncSession, *, business_hours: bool, team_id: uuid.UUID | None) -> Meter:
    team = await session.get(Team, team_id) if business_hours and team_id else None
    return Meter(calendar_of(team) if team else None)


async def policy_for(session: AsyncSession, conversation: Conversation) -> SlaPolicy | None:
    policies = await list_policies(session, workspace_id=conversation.workspace_id)
    if not policies:
        return None
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    team = await session.get(Team, conversation.team_id) if conversation.team_id else None
    assert inbox is not None and contact is not None
    return choose_policy(
        policies,
        priority=conversation.priority,
        channel=inbox.channel,
        inbox_id=inbox.id,
        regions=[contact.region, team.region if team else None],
        tier=contact.tier,
    )


class Tracker:
    """One conversation's clock for the length of one change (the caller holds the
    conversation's row lock)."""

    def __init__(
        self, session: AsyncSession, conversation: Conversation, clock: SlaClock, meter: Meter
    ) -> None:
        self.session = session
        self.conversation = conversation
        self.clock = clock
        self.meter = meter
        self.metrics = {name: Metric.from_json(data) for name, data in (clock.metrics or {}).items()}
        self.budgets: dict[str, float] = {}

    @classmethod
    async def load(cls, session: AsyncSession, conversation: Conversation) -> Tracker | None:
        clock = await session.scalar(
            select(SlaClock).where(SlaClock.conversation_id == conversation.id).with_for_update()
        )
        if clock is None:
            return None
        meter = await meter_for(session, business_hours=clock.business_hours, team_id=clock.team_id)
        tracker = cls(session, conversation, clock, meter)
        policy = await session.get(SlaPolicy, clock.policy_id) if clock.policy_id else None
        tracker.budgets = budgets(policy) if policy else {n: m.budget_s for n, m in tracker.metrics.items()}
        return tracker

    @classmethod
    async def begin(
        cls, session: AsyncSession, conversation: Conversation, policy: SlaPolicy, started_at: datetime
    ) -> Tracker:
        clock = SlaClock(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            policy_id=policy.id,
            business_hours=policy.business_hours,
            team_id=conversation.team_id,
            metrics={},
        )
        session.add(clock)
        meter = await meter_for(session, business_hours=policy.business_hours, team_id=conversation.team_id)
        tracker = cls(session, conversation, clock, meter)
        tracker.budgets = budgets(policy)
        running = conversation.status == "open"
        for name in ("first_response", "resolution"):
            if name in tracker.budgets and not (name == "first_response" and conversation.first_response_at):
                tracker.metrics[name] = start(meter, tracker.budgets[name], started_at, running=running)
        return tracker

    # -- what happened ---------------------------------------------------------
    async def follow_team(self, at: datetime) -> None:
        if self.conversation.team_id == self.clock.team_id:
            return
        new = await meter_for(
            self.session, business_hours=self.clock.business_hours, team_id=self.conversation.team_id
        )
        for metric in self.metrics.values():
            metric.rebase(self.meter, new, at)
        self.meter, self.clock.team_id = new, self.conversation.team_id

    async def switch_policy(self, policy: SlaPolicy, at: datetime) -> None:
        """A new priority chose another policy: same consumed time, new budgets."""
        if policy.id == self.clock.policy_id:
            return
        new = await meter_for(self.session, business_hours=policy.business_hours, team_id=self.clock.team_id)
        self.budgets = budgets(policy)
        for name in list(self.metrics):
            metric = self.metrics[name]
            if name not in self.budgets:
                if metric.state != "done":
                    del self.metrics[name]
                continue
            metric.rebase(self.meter, new, at, budget_s=self.budgets[name])
        self.meter, self.clock.policy_id, self.clock.business_hours = new, policy.id, policy.business_hours

    async def customer_wrote(self, at: datetime) -> None:
        current = self.metrics.get("next_response")
        if self.conversation.first_response_at is None or "next_response" not in self.budgets:
            return
        if current is None or current.state == "done":
            self.metrics["next_response"] = start(
                self.meter, self.budgets["next_response"], at, running=self.conversation.status == "open"
            )

    async def agent_replied(self, at: datetime) -> None:
        for name in ("first_response", "next_response"):
            metric = self.metrics.get(name)
            if metric is not None and metric.state != "done":
                outcome = metric.complete(at)
                await self._record(name, metric, outcome)

    async def status_changed(self, status: str, at: datetime) -> None:
        resolution = self.metrics.get("resolution")
        if status == "resolved" and resolution is not None and resolution.state != "done":
            await self._record("resolution", resolution, resolution.complete(at))
        if status in PAUSING or status == "resolved":
            for metric in self.metrics.values():
                metric.pause(self.meter, at)
        if status == "open":
            for name in list(self.metrics):
                current = self.metrics[name]
                if name == "resolution" and current.state == "done" and "resolution" in self.budgets:
                    self.metrics[name] = start(self.meter, self.budgets["resolution"], at)
                else:
                    current.resume(self.meter, at)

    def settle(self, status: str, at: datetime) -> None:
        """Clocks run exactly while the conversation is open, whichever path changed
        its status (a reply to a pending conversation reopens it without an event)."""
        for metric in self.metrics.values():
            if status == "open":
                metric.resume(self.meter, at)
            else:
                metric.pause(self.meter, at)

    async def check(self, at: datetime) -> None:
        for name, metric in self.metrics.items():
            for happened in metric.check(at):
                if happened == "breached":
                    await self._record(name, metric, "breached")
                else:
                    await self._publish("sla.warning", name, metric)

    # -- bookkeeping -------------------------------------------------------------
    async def _record(self, name: str, metric: Metric, outcome: str) -> None:
        values: dict[str, Any] = {
            "outcome": outcome,
            "due_at": metric.due_at,
            "breached_at": metric.breached_at,
            "completed_at": metric.completed_at,
        }
        await self.session.execute(
            insert(SlaEvent)
            .values(
                id=uuid.uuid4(),
                workspace_id=self.conversation.workspace_id,
                conversation_id=self.conversation.id,
                policy_id=self.clock.policy_id,
                team_id=self.clock.team_id,
                metric=name,
                business_hours=self.clock.business_hours and self.meter.calendar is not None,
                started_at=metric.started_at,
                **values,
            )
            .on_conflict_do_update(constraint="uq_sla_events_conversation_id_metric_started_at", set_=values)
        )
        if outcome == "met":
            await self._publish("sla.met", name, metric)
        elif not metric.breach_published:
            # Once per cycle, whether the periodic check or a late answer noticed first.
            metric.breach_published = True
            await self._publish("sla.breached", name, metric)

    async def _publish(self, type: str, name: str, metric: Metric) -> None:
        await publish(
            self.session,
            workspace_id=self.conversation.workspace_id,
            type=type,
            payload={
                "conversation_id": str(self.conversation.id),
                "policy_id": str(self.clock.policy_id) if self.clock.policy_id else None,
                "metric": name,
                "due_at": metric.due_at.isoformat() if metric.due_at else None,
                "started_at": metric.started_at.isoformat(),
            },
            **event_scope(self.conversation),
        )

    def save(self) -> None:
        self.clock.metrics = {name: m.to_json() for name, m in self.metrics.items()}
        self.clock.next_check_at = min(
            (c for m in self.metrics.values() if (c := m.next_check())), default=None
        )
        self.conversation.sla = summary(self.clock.policy_id, self.metrics)


def summary(policy_id: uuid.UUID | None, metrics: dict[str, Metric]) -> dict[str, Any]:
    """The contract's ``sla`` object, plus per-metric detail."""

    def due(name: str) -> str | None:
        metric = metrics.get(name)
        return metric.due_at.isoformat() if metric and metric.due_at and metric.state != "done" else None

    states = [m.state for m in metrics.values()]
    if any(m.breached_at for m in metrics.values()):
        status = "breached"
    elif all(s == "done" for s in states):
        status = "met"
    elif "running" in states:
        status = "warning" if any(m.warned and m.state == "running" for m in metrics.values()) else "active"
    else:
        status = "paused"
    return {
        "policy_id": str(policy_id) if policy_id else None,
        "first_response_due_at": due("first_response"),
        "next_response_due_at": due("next_response"),
        "resolution_due_at": due("resolution"),
        "status": status,
        "metrics": {
            name: {
                "state": m.state,
                "due_at": m.due_at.isoformat() if m.due_at else None,
                "breached_at": m.breached_at.isoformat() if m.breached_at else None,
                "completed_at": m.completed_at.isoformat() if m.completed_at else None,
            }
            for name, m in metrics.items()
            if name in METRICS
        },
    }
