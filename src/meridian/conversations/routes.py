from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from meridian.auth.deps import AssignPrincipal, CurrentPrincipal, Session
from meridian.conversations import service
from meridian.conversations.schemas import (
    ConversationList,
    ConversationOut,
    ConversationUpdate,
    Priority,
    Status,
)
from meridian.core.errors import ProblemError, path_id
from meridian.core.ids import parse_id

router = APIRouter(tags=["conversations"])


def _optional_id(value: str | None, name: str) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    parsed = parse_id(value)
    if parsed is None:
        raise ProblemError(422, f"{name}: not an id", errors=[{"pointer": name, "message": "not an id"}])
    return parsed


@router.get("/conversations", response_model=ConversationList)
async def list_conversations(
    principal: CurrentPrincipal,
    session: Session,
    status: Status | None = None,
    inbox_id: str | None = None,
    assignee_id: Annotated[str | None, Query(description="an agent id, 'me' or 'none'")] = None,
    team_id: str | None = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    priority: Priority | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ConversationList:
    unassigned = assignee_id == "none"
    assignee = (
        principal.agent_id
        if assignee_id == "me"
        else None
        if unassigned
        else _optional_id(assignee_id, "assignee_id")
    )
    filters = service.ConversationFilter(
        status=status,
        inbox_id=_optional_id(inbox_id, "inbox_id"),
        assignee_id=assignee,
        unassigned=unassigned,
        team_id=_optional_id(team_id, "team_id"),
        language=language,
        tag=tag,
        priority=priority,
        q=q,
    )
    rows, next_cursor = await service.list_conversations(
        session, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return ConversationList(items=await service.to_out_many(session, rows), next_cursor=next_cursor)


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: str, principal: CurrentPrincipal, session: Session
) -> ConversationOut:
    conversation = await service.get_visible(
        session, principal=principal, conversation_id=path_id(conversation_id, "conversation")
    )
    return (await service.to_out_many(session, [conversation]))[0]


@router.patch("/conversations/{conversation_id}", response_model=ConversationOut)
async def update_conversation(
    conversation_id: str, data: ConversationUpdate, principal: AssignPrincipal, session: Session
) -> ConversationOut:
    conversation = await service.update_conversation(
        session=session,
        principal=principal,
        conversation_id=path_id(conversation_id, "conversation"),
        data=data,
    )
    return (await service.to_out_many(session, [conversation]))[0]
