"""Macros: named action lists an agent applies to a conversation in one click."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.automations.actions import Actor, announce, describe, parse_actions, perform
from meridian.automations.conditions import build_context
from meridian.automations.models import Macro
from meridian.automations.schemas import MacroApplied, MacroCreate, MacroOut, MacroUpdate
from meridian.automations.service import check_references, dump_actions
from meridian.conversations.service import get_visible
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound
from meridian.events.service import publish


def to_out(macro: Macro) -> MacroOut:
    return MacroOut(
        id=str(macro.id),
        name=macro.name,
        description=macro.description,
        actions=list(macro.actions),
        created_at=macro.created_at,
        updated_at=macro.updated_at,
    )


async def get_macro(session: AsyncSession, *, workspace_id: uuid.UUID, macro_id: uuid.UUID) -> Macro:
    macro = await session.scalar(
        select(Macro).where(Macro.id == macro_id, Macro.workspace_id == workspace_id)
    )
    if macro is None:
        raise NotFound("macro")
    return macro


async def list_macros(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Macro]:
    return list(
        await session.scalars(
            select(Macro).where(Macro.workspace_id == workspace_id).order_by(Macro.name, Macro.id)
        )
    )


async def _changed(session: AsyncSession, principal: Principal, macro: Macro, kind: str) -> Macro:
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type=f"macro.{kind}",
        payload={"macro_id": str(macro.id)},
    )
    await session.commit()
    await session.refresh(macro)
    return macro


async def create_macro(*, session: AsyncSession, principal: Principal, data: MacroCreate) -> Macro:
    await check_references(session, principal.workspace_id, data.actions)
    macro = Macro(
        workspace_id=principal.workspace_id,
        name=data.name,
        description=data.description,
        actions=dump_actions(data.actions),
    )
    session.add(macro)
    await session.flush()
    return await _changed(session, principal, macro, "created")


async def update_macro(
    *, session: AsyncSession, principal: Principal, macro_id: uuid.UUID, data: MacroUpdate
) -> Macro:
    macro = await get_macro(session, workspace_id=principal.workspace_id, macro_id=macro_id)
    if data.actions is not None:
        await check_references(session, principal.workspace_id, data.actions)
        macro.actions = dump_actions(data.actions)
    if data.name is not None:
        macro.name = data.name
    if "description" in data.model_fields_set:
        macro.description = data.description
    return await _changed(session, principal, macro, "updated")


async def delete_macro(*, session: AsyncSession, principal: Principal, macro_id: uuid.UUID) -> None:
    macro = await get_macro(session, workspace_id=principal.workspace_id, macro_id=macro_id)
    await session.delete(macro)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="macro.deleted",
        payload={"macro_id": str(macro.id)},
    )
    await session.commit()


async def apply_macro(
    *, session: AsyncSession, principal: Principal, conversation_id: uuid.UUID, macro_id: uuid.UUID
) -> MacroApplied:
    """Run the macro's actions as the calling agent, in one transaction."""
    macro = await get_macro(session, workspace_id=principal.workspace_id, macro_id=macro_id)
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    ctx = await build_context(session, conversation, event="macro", payload={}, at=utcnow())
    actor = Actor("macro", macro.name, macro.id, agent_id=principal.agent_id)
    applied: list[str] = []
    fields: set[str] = set()
    for action in parse_actions(macro.actions):
        applied.append(await describe(session, ctx, action))
        fields |= await perform(session, ctx, action, actor)
    await announce(session, ctx, fields, actor)
    await session.commit()
    return MacroApplied(conversation_id=str(conversation.id), macro_id=str(macro.id), applied=applied)
