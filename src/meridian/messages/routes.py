from __future__ import annotations

from fastapi import APIRouter

from meridian.auth.deps import CurrentPrincipal, ReplyPrincipal, Session
from meridian.core.errors import path_id
from meridian.messages import service
from meridian.messages.schemas import MessageList, MessageOut, ReplyCreate

router = APIRouter(tags=["messages"])


@router.get("/conversations/{conversation_id}/messages", response_model=MessageList)
async def list_messages(conversation_id: str, principal: CurrentPrincipal, session: Session) -> MessageList:
    items = await service.list_messages(
        session, principal=principal, conversation_id=path_id(conversation_id, "conversation")
    )
    return MessageList(items=items)


@router.post("/conversations/{conversation_id}/messages", response_model=MessageOut, status_code=201)
async def post_message(
    conversation_id: str, data: ReplyCreate, principal: ReplyPrincipal, session: Session
) -> MessageOut:
    return await service.post_reply(
        session=session,
        principal=principal,
        conversation_id=path_id(conversation_id, "conversation"),
        data=data,
    )
