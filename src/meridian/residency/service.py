"""Moving a contact between data regions (an explicit, audited admin action)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.service import record_by
from meridian.auth.service import Principal
from meridian.contacts.models import Contact
from meridian.core.errors import NotFound, ProblemError
from meridian.events.service import publish
from meridian.vault import moves


async def move_contact_region(
    *, session: AsyncSession, principal: Principal, contact_id: uuid.UUID, region: str
) -> Contact:
    """Copy the contact's vault data to ``region``, switch the pointer, purge the source.

    Safe to retry after a crash at any step (``vault/moves.py``); a retry for a contact
    already in ``region`` only purges what a crash may have left behind.
    """
    contact = await session.scalar(
        select(Contact)
        .where(Contact.id == contact_id, Contact.workspace_id == principal.workspace_id)
        .with_for_update()
    )
    if contact is None:
        raise NotFound("contact")
    if contact.erased_at is not None:
        raise ProblemError(409, "this contact was erased")
    source = contact.region
    if source != region:
        if moves.same_database(source, region):
            await moves.relabel_in_place(session, contact_id=contact.id, source=source, target=region)
        else:
            # 1. copy (committed in the target's database before the pointer moves)
            await moves.copy_contact(session, contact_id=contact.id, source=source, target=region)
        # 2. switch the pointer, with the audit entry, in one home transaction
        contact.region = region
        await record_by(
            session,
            principal,
            "contact.region_moved",
            target=f"contact:{contact.id}",
            details={"from": source, "to": region},
        )
        await publish(
            session,
            workspace_id=principal.workspace_id,
            type="contact.updated",
            payload={"contact_id": str(contact.id), "fields": ["region"]},
        )
        await session.commit()
    # 3. purge every other database (also what an interrupted earlier move left)
    await moves.purge_elsewhere(session, contact_id=contact.id, target=region)
    await session.commit()
    return contact
