"""Retention policies and redaction settings: the admin actions, each audited."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.service import record_by
from meridian.auth.service import Principal
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.privacy.models import RetentionPolicy
from meridian.privacy.schemas import RetentionPolicyIn, RetentionPolicyOut, RetentionPolicyUpdate
from meridian.workspaces.models import Workspace

REDACTION_SETTING = "redaction_patterns"


def to_out(row: RetentionPolicy) -> RetentionPolicyOut:
    return RetentionPolicyOut(
        id=str(row.id),
        region=row.region,
        channel=row.channel,
        max_age_days=row.max_age_days,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def list_policies(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[RetentionPolicy]:
    return list(
        await session.scalars(
            select(RetentionPolicy)
            .where(RetentionPolicy.workspace_id == workspace_id)
            .order_by(RetentionPolicy.region.nulls_first(), RetentionPolicy.channel.nulls_first())
        )
    )


async def get_policy(
    session: AsyncSession, *, workspace_id: uuid.UUID, policy_id: uuid.UUID
) -> RetentionPolicy:
    row = await session.scalar(
        select(RetentionPolicy).where(
            RetentionPolicy.id == policy_id, RetentionPolicy.workspace_id == workspace_id
        )
    )
    if row is None:
        raise NotFound("retention policy")
    return row


async def create_policy(
    *, session: AsyncSession, principal: Principal, data: RetentionPolicyIn
) -> RetentionPolicy:
    row = RetentionPolicy(workspace_id=principal.workspace_id, **data.model_dump())
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise ProblemError(
            409, "a policy for this region and channel already exists; change that one"
        ) from None
    await record_by(
        session,
        principal,
        "retention_policy.created",
        target=f"retention_policy:{row.id}",
        details=data.model_dump(),
    )
    await session.commit()
    return row


async def update_policy(
    *, session: AsyncSession, principal: Principal, policy_id: uuid.UUID, data: RetentionPolicyUpdate
) -> RetentionPolicy:
    row = await get_policy(session, workspace_id=principal.workspace_id, policy_id=policy_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await record_by(
        session, principal, "retention_policy.updated", target=f"retention_policy:{row.id}", details=changes
    )
    await session.commit()
    return row


async def delete_policy(*, session: AsyncSession, principal: Principal, policy_id: uuid.UUID) -> None:
    row = await get_policy(session, workspace_id=principal.workspace_id, policy_id=policy_id)
    await session.delete(row)
    await record_by(session, principal, "retention_policy.deleted", target=f"retention_policy:{policy_id}")
    await session.commit()


async def redaction_patterns(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[str]:
    settings = await session.scalar(select(Workspace.settings).where(Workspace.id == workspace_id))
    patterns = (settings or {}).get(REDACTION_SETTING, [])
    return [str(p) for p in patterns]


async def set_redaction_patterns(
    *, session: AsyncSession, principal: Principal, patterns: list[str]
) -> list[str]:
    errors = []
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.append({"pointer": f"/patterns/{index}", "message": f"not a regular expression: {exc}"})
    if errors:
        raise ProblemError(422, "patterns: invalid regular expression", errors=errors)
    workspace = await session.get(Workspace, principal.workspace_id, with_for_update=True)
    assert workspace is not None
    workspace.settings = {**workspace.settings, REDACTION_SETTING: patterns}
    await record_by(session, principal, "settings.redaction_changed", details={"patterns": len(patterns)})
    await session.commit()
    return patterns
