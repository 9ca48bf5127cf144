from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from meridian.auth.deps import ContactsPrincipal, CurrentPrincipal, MergePrincipal, Session
from meridian.contacts import merge as merging
from meridian.contacts import service
from meridian.contacts.schemas import (
    ContactCreate,
    ContactList,
    ContactOut,
    ContactUpdate,
    MergeIn,
    MergeList,
    MergeOut,
    UnmergeIn,
)
from meridian.conversations import service as conversation_service
from meridian.conversations.schemas import ConversationList
from meridian.core.errors import ProblemError, path_id
from meridian.core.ids import parse_id

router = APIRouter(tags=["contacts"])


@router.get("/contacts", response_model=ContactList)
async def list_contacts(
    principal: CurrentPrincipal,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ContactList:
    parsed = parse_id(cursor) if cursor else None
    if cursor and parsed is None:
        raise ProblemError(422, "cursor: not a cursor returned by this endpoint")
    rows, next_cursor = await service.list_contacts(
        session, workspace_id=principal.workspace_id, limit=limit, cursor=parsed
    )
    return ContactList(items=await service.to_out_many(session, rows), next_cursor=next_cursor)


@router.post("/contacts", response_model=ContactOut, status_code=201)
async def create_contact(data: ContactCreate, principal: CurrentPrincipal, session: Session) -> ContactOut:
    return await service.create_contact(session=session, principal=principal, data=data)


@router.get("/contacts/{contact_id}", response_model=ContactOut)
async def get_contact(contact_id: str, principal: CurrentPrincipal, session: Session) -> ContactOut:
    contact = await service.get_contact(
        session, workspace_id=principal.workspace_id, contact_id=path_id(contact_id, "contact")
    )
    return (await service.to_out_many(session, [contact]))[0]


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
async def update_contact(
    contact_id: str, data: ContactUpdate, principal: CurrentPrincipal, session: Session
) -> ContactOut:
    return await service.update_contact(
        session=session, principal=principal, contact_id=path_id(contact_id, "contact"), data=data
    )


@router.delete("/contacts/{contact_id}", status_code=204)
async def delete_contact(contact_id: str, principal: ContactsPrincipal, session: Session) -> Response:
    await service.delete_contact(
        session=session, principal=principal, contact_id=path_id(contact_id, "contact")
    )
    return Response(status_code=204)


@router.post("/contacts/{contact_id}/merge", response_model=MergeOut, status_code=201)
async def merge_contact(
    contact_id: str, data: MergeIn, principal: MergePrincipal, session: Session
) -> MergeOut:
    """Move the other contact's identities and conversations into this one (any agent)."""
    merge = await merging.merge_contacts(
        session=session,
        principal=principal,
        contact_id=path_id(contact_id, "contact"),
        other_contact_id=data.other_contact_id,
    )
    return merging.to_out(merge)


@router.post("/contacts/{contact_id}/unmerge", response_model=MergeOut)
async def unmerge_contact(
    contact_id: str, data: UnmergeIn, principal: ContactsPrincipal, session: Session
) -> MergeOut:
    """Undo a merge: exactly what moved goes back (supervisors and admins)."""
    merge = await merging.unmerge_contacts(
        session=session,
        principal=principal,
        contact_id=path_id(contact_id, "contact"),
        merge_id=data.merge_id,
    )
    return merging.to_out(merge)


@router.get("/contacts/{contact_id}/merges", response_model=MergeList)
async def list_merges(contact_id: str, principal: CurrentPrincipal, session: Session) -> MergeList:
    contact = await service.get_contact(
        session, workspace_id=principal.workspace_id, contact_id=path_id(contact_id, "contact")
    )
    rows = await merging.list_merges(session, workspace_id=principal.workspace_id, contact_id=contact.id)
    return MergeList(items=[merging.to_out(m) for m in rows])


@router.get("/contacts/{contact_id}/conversations", response_model=ConversationList)
async def contact_conversations(
    contact_id: str,
    principal: CurrentPrincipal,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationList:
    """The contact's history across channels (merged contacts included), newest first."""
    rows = await merging.timeline(
        session, principal=principal, contact_id=path_id(contact_id, "contact"), limit=limit
    )
    return ConversationList(items=await conversation_service.to_out_many(session, rows), next_cursor=None)
