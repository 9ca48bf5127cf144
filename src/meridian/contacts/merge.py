"""Merging two contacts by hand, and undoing it.

A merge moves the other contact's identities and conversations to the surviving contact
and sets ``other.merged_into_id``; nothing is re-encrypted. Messages, attachments and
vault rows keep ``contact_id`` = the contact whose data key sealed them, so the joined
timeline stays readable with each message opened by its own key, and erasing the
survivor shreds the merged contacts' keys too (``privacy/erasure._with_merged``).
Both contacts must live in the same data region, since a thread is read from one region.

The ``contact_merges`` row lists exactly what moved; unmerge moves those rows back
(the ones still on the survivor) and nothing else. Conversations opened after the merge
stay with the survivor.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.service import record
from meridian.auth.service import Principal
from meridian.contacts.models import Contact, ContactIdentity, ContactMerge
from meridian.contacts.schemas import MergeOut
from meridian.conversations.models import Conversation
from meridian.conversations.service import visible_to
from meridian.core.clock import utcnow
from meridian.core.errors import NotFound, ProblemError
from meridian.events.service import publish


def to_out(merge: ContactMerge) -> MergeOut:
    return MergeOut(
        id=str(merge.id),
        contact_id=str(merge.contact_id),
        other_contact_id=str(merge.other_contact_id),
        identity_ids=list(merge.identity_ids),
        conversation_ids=list(merge.conversation_ids),
        merged_by_id=str(merge.merged_by_id) if merge.merged_by_id else None,
        created_at=merge.created_at,
        unmerged_at=merge.unmerged_at,
        unmerged_by_id=str(merge.unmerged_by_id) if merge.unmerged_by_id else None,
    )


async def _lock_pair(
    session: AsyncSession, *, workspace_id: uuid.UUID, ids: tuple[uuid.UUID, uuid.UUID]
) -> dict[uuid.UUID, Contact]:
    """Both contacts, row-locked in id order (two merges of the same pair never deadlock).

    The lock also holds back concurrent inserts that reference either contact (their
    foreign-key check needs a KEY SHARE lock), so no conversation slips in mid-merge.
    """
    rows = await session.scalars(
        select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.id.in_(ids))
        .order_by(Contact.id)
        .with_for_update()
    )
    found = {row.id: row for row in rows}
    for contact_id in ids:
        if contact_id not in found:
            raise NotFound("contact")
    return found


def _check_mergeable(contact: Contact, other: Contact) -> None:
    for person in (contact, other):
        if person.erased_at is not None:
            raise ProblemError(409, f"contact {person.id} was erased")
    if contact.merged_into_id is not None:
        raise ProblemError(
            409, f"contact {contact.id} was merged into {contact.merged_into_id}; merge into that one"
        )
    if other.merged_into_id is not None:
        raise ProblemError(409, f"contact {other.id} is already merged into {other.merged_into_id}")
    if contact.region != other.region:
        raise ProblemError(
            409,
            f"the contacts keep their data in different regions ({contact.region}, {other.region}); "
            "move one to the other's region first",
        )


async def merge_contacts(
    *,
    session: AsyncSession,
    principal: Principal,
    contact_id: uuid.UUID,
    other_contact_id: uuid.UUID,
) -> ContactMerge:
    """Merge ``other_contact_id`` into ``contact_id``; any agent may. Commits."""
    found = await _lock_pair(session, workspace_id=principal.workspace_id, ids=(contact_id, other_contact_id))
    if contact_id == other_contact_id:
        raise ProblemError(
            422,
            "other_contact_id: a contact cannot be merged into itself",
            errors=[{"pointer": "/other_contact_id", "message": "same as the contact"}],
        )
    contact, other = found[contact_id], found[other_contact_id]
    _check_mergeable(contact, other)
    identity_ids = list(
        (
            await session.scalars(
                update(ContactIdentity)
                .where(ContactIdentity.contact_id == other.id)
                .values(contact_id=contact.id)
                .returning(ContactIdentity.id)
            )
        ).all()
    )
    conversation_ids = list(
        (
            await session.scalars(
                update(Conversation)
                .where(Conversation.contact_id == other.id, Conversation.workspace_id == contact.workspace_id)
                .values(contact_id=contact.id)
                .returning(Conversation.id)
            )
        ).all()
    )
    # One level of merges only: whoever was merged into the other now hangs off the survivor,
    # so erasing or exporting the survivor still reaches them.
    repointed = list(
        (
            await session.scalars(
                update(Contact)
                .where(Contact.merged_into_id == other.id)
                .values(merged_into_id=contact.id)
                .returning(Contact.id)
            )
        ).all()
    )
    other.merged_into_id = contact.id
    merge = ContactMerge(
        workspace_id=contact.workspace_id,
        contact_id=contact.id,
        other_contact_id=other.id,
        identity_ids=[str(i) for i in identity_ids],
        conversation_ids=[str(c) for c in conversation_ids],
        repointed_contact_ids=[str(c) for c in repointed],
        merged_by_id=principal.agent_id,
    )
    session.add(merge)
    await session.flush()
    counts = {
        "merge_id": str(merge.id),
        "other_contact_id": str(other.id),
        "identities": len(identity_ids),
        "conversations": len(conversation_ids),
    }
    await record(
        session,
        workspace_id=contact.workspace_id,
        actor_id=principal.agent_id,
        action="contact.merged",
        target=f"contact:{contact.id}",
        details=counts,
    )
    await publish(
        session,
        workspace_id=contact.workspace_id,
        type="contact.merged",
        payload={"contact_id": str(contact.id), **counts, "conversation_ids": merge.conversation_ids},
    )
    await session.commit()
    return merge


async def unmerge_contacts(
    *, session: AsyncSession, principal: Principal, contact_id: uuid.UUID, merge_id: uuid.UUID
) -> ContactMerge:
    """Undo the merge ``merge_id`` of ``contact_id``: move back exactly what moved. Commits."""
    merge = await session.scalar(
        select(ContactMerge).where(
            ContactMerge.id == merge_id,
            ContactMerge.workspace_id == principal.workspace_id,
            ContactMerge.contact_id == contact_id,
        )
    )
    if merge is None:
        raise NotFound("merge")
    found = await _lock_pair(
        session, workspace_id=principal.workspace_id, ids=(merge.contact_id, merge.other_contact_id)
    )
    contact, other = found[merge.contact_id], found[merge.other_contact_id]
    if merge.unmerged_at is not None:
        raise ProblemError(409, "this merge was already undone")
    if contact.erased_at is not None or other.erased_at is not None:
        raise ProblemError(409, "one of the contacts was erased; there is nothing to restore")
    if contact.merged_into_id is not None:
        raise ProblemError(
            409, f"contact {contact.id} was since merged into {contact.merged_into_id}; undo that merge first"
        )
    if other.merged_into_id != contact.id:
        raise ProblemError(409, "the merged contact no longer belongs to this contact")
    identity_ids = [uuid.UUID(i) for i in merge.identity_ids]
    conversation_ids = [uuid.UUID(c) for c in merge.conversation_ids]
    repointed = [uuid.UUID(c) for c in merge.repointed_contact_ids]
    if identity_ids:
        await session.execute(
            update(ContactIdentity)
            .where(ContactIdentity.id.in_(identity_ids), ContactIdentity.contact_id == contact.id)
            .values(contact_id=other.id)
        )
    if conversation_ids:
        await session.execute(
            update(Conversation)
            .where(Conversation.id.in_(conversation_ids), Conversation.contact_id == contact.id)
            .values(contact_id=other.id)
        )
    if repointed:
        await session.execute(
            update(Contact)
            .where(Contact.id.in_(repointed), Contact.merged_into_id == contact.id)
            .values(merged_into_id=other.id)
        )
    other.merged_into_id = None
    merge.unmerged_at = utcnow()
    merge.unmerged_by_id = principal.agent_id
    details = {"merge_id": str(merge.id), "other_contact_id": str(other.id)}
    await record(
        session,
        workspace_id=contact.workspace_id,
        actor_id=principal.agent_id,
        action="contact.unmerged",
        target=f"contact:{contact.id}",
        details=details,
    )
    await publish(
        session,
        workspace_id=contact.workspace_id,
        type="contact.unmerged",
        payload={"contact_id": str(contact.id), **details, "conversation_ids": merge.conversation_ids},
    )
    await session.commit()
    return merge


async def list_merges(
    session: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID
) -> list[ContactMerge]:
    return list(
        await session.scalars(
            select(ContactMerge)
            .where(ContactMerge.workspace_id == workspace_id, ContactMerge.contact_id == contact_id)
            .order_by(ContactMerge.created_at.desc(), ContactMerge.id.desc())
        )
    )


async def timeline(
    session: AsyncSession, *, principal: Principal, contact_id: uuid.UUID, limit: int = 200
) -> list[Conversation]:
    """The contact's conversations across channels, newest activity first, as the caller
    may see them; includes any still held by contacts merged into this one."""
    contact = await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.workspace_id == principal.workspace_id)
    )
    if contact is None:
        raise NotFound("contact")
    people = select(Contact.id).where(
        Contact.workspace_id == principal.workspace_id, Contact.merged_into_id == contact.id
    )
    return list(
        await session.scalars(
            select(Conversation)
            .where(
                visible_to(principal),
                (Conversation.contact_id == contact.id) | Conversation.contact_id.in_(people),
            )
            .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
            .limit(limit)
        )
    )
