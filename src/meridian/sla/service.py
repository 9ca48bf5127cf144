"""SLA policies: reading, the admin's named actions, and choosing a conversation's policy."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.core.errors import NotFound, ProblemError
from meridian.events.service import publish
from meridian.sla.models import SlaPolicy
from meridian.sla.schemas import PolicyConditions, SlaPolicyCreate, SlaPolicyOut, SlaPolicyUpdate

TARGETS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")


def to_out(policy: SlaPolicy) -> SlaPolicyOut:
    return SlaPolicyOut(
        id=str(policy.id),
        name=policy.name,
        priority=policy.priority,
        first_response_minutes=policy.first_response_minutes,
        next_response_minutes=policy.next_response_minutes,
        resolution_minutes=policy.resolution_minutes,
        business_hours=policy.business_hours,
        conditions=dict(policy.conditions),
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


def _conditions_json(conditions: PolicyConditions) -> dict[str, Any]:
    return conditions.model_dump(mode="json", exclude_none=True)


async def get_policy(session: AsyncSession, *, workspace_id: uuid.UUID, policy_id: uuid.UUID) -> SlaPolicy:
    policy = await session.scalar(
        select(SlaPolicy).where(SlaPolicy.id == policy_id, SlaPolicy.workspace_id == workspace_id)
    )
    if policy is None:
        raise NotFound("SLA policy")
    return policy


async def list_policies(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[SlaPolicy]:
    return list(
        await session.scalars(
            select(SlaPolicy)
            .where(SlaPolicy.workspace_id == workspace_id)
            .order_by(SlaPolicy.created_at, SlaPolicy.id)
        )
    )


async def create_policy(*, session: AsyncSession, principal: Principal, data: SlaPolicyCreate) -> SlaPolicy:
    policy = SlaPolicy(
        workspace_id=principal.workspace_id,
        **data.model_dump(exclude={"conditions"}),
        conditions=_conditions_json(data.conditions),
    )
    session.add(policy)
    await session.flush()
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="sla_policy.created",
        payload={"policy_id": str(policy.id)},
    )
    await session.commit()
    await session.refresh(policy)
    return policy


async def update_policy(
    *, session: AsyncSession, principal: Principal, policy_id: uuid.UUID, data: SlaPolicyUpdate
) -> SlaPolicy:
    """Change a policy. Conversations already counting keep their budgets until their
    priority changes; new conversations get the new targets."""
    policy = await get_policy(session, workspace_id=principal.workspace_id, policy_id=policy_id)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if key == "conditions":
            policy.conditions = _conditions_json(data.conditions or PolicyConditions())
        elif key in ("name", "business_hours") and value is None:
            raise ProblemError(
                422, f"{key}: may not be null", errors=[{"pointer": f"/{key}", "message": "null"}]
            )
        else:
            setattr(policy, key, value)
    if not any(getattr(policy, t) for t in TARGETS):
        raise ProblemError(
            422,
            "a policy needs at least one target",
            errors=[{"pointer": "/first_response_minutes", "message": "all targets are empty"}],
        )
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="sla_policy.updated",
        payload={"policy_id": str(policy.id), "fields": sorted(changes)},
    )
    await session.commit()
    await session.refresh(policy)
    return policy


async def delete_policy(*, session: AsyncSession, principal: Principal, policy_id: uuid.UUID) -> None:
    policy = await get_policy(session, workspace_id=principal.workspace_id, policy_id=policy_id)
    await session.delete(policy)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="sla_policy.deleted",
        payload={"policy_id": str(policy_id)},
    )
    await session.commit()


def _matches(values: Any, *candidates: str | None) -> bool:
    if not values:
        return True
    wanted = {str(v).lower() for v in values}
    return any(c is not None and c.lower() in wanted for c in candidates)


def choose_policy(
    policies: Sequence[SlaPolicy],
    *,
    priority: str,
    channel: str,
    inbox_id: uuid.UUID,
    regions: Sequence[str | None],
    tier: str | None,
) -> SlaPolicy | None:
    """The most specific matching policy: a named priority beats "any", then more
    conditions beat fewer, then the older policy wins."""
    best: tuple[int, int, SlaPolicy] | None = None
    for index, policy in enumerate(policies):
        c = policy.conditions
        if policy.priority is not None and policy.priority != priority:
            continue
        if not (
            _matches(c.get("channel"), channel)
            and _matches(c.get("inbox_id"), str(inbox_id))
            and _matches(c.get("region"), *regions)
            and _matches(c.get("tier"), tier)
        ):
            continue
        score = (policy.priority is not None) * 10 + sum(1 for v in c.values() if v)
        if best is None or score > best[0]:
            best = (score, index, policy)
    return best[2] if best else None
