"""The demo's promise to customers: business-hours SLAs, and an escalation when one breaks."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.automations.models import Automation
from meridian.sla.models import SlaPolicy

# (name, priority, first response, next response, resolution) in business minutes of the
# owning team's calendar; the urgent policy wins for urgent conversations.
POLICIES = [
    ("Standard (business hours)", None, 120, 240, 3 * 9 * 60),
    ("Urgent (business hours)", "urgent", 30, 60, 9 * 60),
]
ESCALATION = "Escalate SLA breaches"


async def seed_demo_sla(
    session: AsyncSession, *, workspace_id: uuid.UUID, supervisor_ids: list[uuid.UUID]
) -> bool:
    """Add the policies and the escalation rule once (by name); the caller commits."""
    existing = await session.scalar(
        select(Automation.id).where(Automation.workspace_id == workspace_id, Automation.name == ESCALATION)
    )
    if existing is not None:
        return False
    for name, priority, first, following, resolution in POLICIES:
        session.add(
            SlaPolicy(
                workspace_id=workspace_id,
                name=name,
                priority=priority,
                first_response_minutes=first,
                next_response_minutes=following,
                resolution_minutes=resolution,
                business_hours=True,
                conditions={},
            )
        )
    session.add(
        Automation(
            workspace_id=workspace_id,
            name=ESCALATION,
            event="sla.breached",
            conditions={},
            actions=[
                {"type": "raise_priority"},
                {"type": "add_tag", "tag": "sla-breached"},
                {
                    "type": "notify",
                    "message": "SLA breached: this conversation needs a supervisor's attention",
                    "agent_ids": [str(a) for a in supervisor_ids],
                },
            ],
            enabled=True,
            position=0,
        )
    )
    return True
