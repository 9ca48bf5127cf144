"""Contacts and their per-channel identities. PII goes through the vault."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.contacts.models import Contact, ContactIdentity
from meridian.contacts.schemas import ContactCreate, ContactOut, ContactUpdate, IdentityOut
from meridian.core.crypto import identifier_hash
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import new_id
from meridian.events.service import publish
from meridian.residency.rules import assign_region
from meridian.vault import service as vault

DEFAULT_REGION = "default"


def normalize_identifier(kind: str, value: str) -> str:
    value = value.strip()
    return value.lower() if kind == "email" else value


async def get_contact(session: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID) -> Contact:
    contact = await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.workspace_id == workspace_id)
    )
    if contact is None:
        raise NotFound("contact")
    return contact


async def find_by_identity(
    session: AsyncSession, *, workspace_id: uuid.UUID, kind: str, identifier: str
) -> Contact | None:
    digest = identifier_hash(kind, normalize_identifier(kind, identifier))
    contact = await session.scalar(
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(
            ContactIdentity.workspace_id == workspace_id,
            ContactIdentity.kind == kind,
            ContactIdentity.identifier_hash == digest,
        )
    )
    # Follow a merge so history lands on the surviving contact.
    hops = 0
    while contact is not None and contact.merged_into_id is not None and hops < 5:
        contact = await session.get(Contact, contact.merged_into_id)
        hops += 1
    return contact


async def add_identity(
    session: AsyncSession, *, contact: Contact, kind: str, identifier: str, verified: bool
) -> ContactIdentity | None:
    """Attach an identity unless another contact already holds it (returns None then)."""
    value = normalize_identifier(kind, identifier)
    values = {
        "id": new_id(),
        "workspace_id": contact.workspace_id,
        "contact_id": contact.id,
        "kind": kind,
        "identifier_hash": identifier_hash(kind, value),
        "verified": verified,
    }
    # ON CONFLICT instead of a savepoint around the insert: one round trip, not three.
    await session.flush()
    made = await session.scalar(
        insert(ContactIdentity).values(**values).on_conflict_do_nothing().returning(ContactIdentity.id)
    )
    if made is None:
        return None
    await vault.put_identity(
        session, identity_id=made, contact_id=contact.id, region=contact.region, value=value
    )
    return ContactIdentity(**values)


async def resolve_contact(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    kind: str,
    identifier: str,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    locale: str | None = None,
    verified_kinds: Sequence[str] = (),
) -> tuple[Contact, bool]:
    """Find the contact known by (kind, identifier) or create it; (contact, created).

    Serialised per identity with a transaction-scoped advisory lock so two webhooks
    for the same new customer arriving together create one contact, not two. It is
    the first lock of the order in ``conversations/locks.py``: take it before any
    contact or conversation row.
    A verified email or phone that matches an existing contact joins that contact.
    """
    digest = identifier_hash(kind, normalize_identifier(kind, identifier))
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"contact:{workspace_id}:{digest}"},
    )
    existing = await find_by_identity(session, workspace_id=workspace_id, kind=kind, identifier=identifier)
    if existing is not None:
        return existing, False
    joined: Contact | None = None
    for other_kind, value in (("email", email), ("phone", phone)):
        if value and other_kind in verified_kinds:
            joined = await find_by_identity(
                session, workspace_id=workspace_id, kind=other_kind, identifier=value
            )
            if joined is not None:
                break
    if joined is not None:
        await add_identity(session, contact=joined, kind=kind, identifier=identifier, verified=True)
        return joined, False
    region = await assign_region(
        session,
        workspace_id=workspace_id,
        phone=phone or (identifier if kind == "phone" else None),
        email=email or (identifier if kind == "email" else None),
    )
    contact = Contact(workspace_id=workspace_id, region=region, locale=locale, attributes={})
    session.add(contact)
    await session.flush()
    await vault.put_contact(
        session,
        workspace_id=workspace_id,
        contact_id=contact.id,
        region=contact.region,
        name=name,
        email=email,
        phone=phone,
        new=True,
    )
    await add_identity(
        session, contact=contact, kind=kind, identifier=identifier, verified=kind in verified_kinds
    )
    for other_kind, value in (("email", email), ("phone", phone)):
        if value and other_kind != kind:
            await add_identity(
                session,
                contact=contact,
                kind=other_kind,
                identifier=value,
                verified=other_kind in verified_kinds,
            )
    return contact, True


async def to_out_many(session: AsyncSession, contacts: Sequence[Contact]) -> list[ContactOut]:
    pii = await vault.get_contacts(session, [(c.id, c.region) for c in contacts])
    ids = [c.id for c in contacts]
    identities: dict[uuid.UUID, list[ContactIdentity]] = {c: [] for c in ids}
    if ids:
        for row in await session.scalars(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id.in_(ids))
            .order_by(ContactIdentity.created_at)
        ):
            identities[row.contact_id].append(row)
    values: dict[uuid.UUID, str] = {}
    for contact in contacts:
        values.update(
            await vault.get_identity_values(
                session, identity_ids=[i.id for i in identities[contact.id]], region=contact.region
            )
        )
    out = []
    for c in contacts:
        p = pii.get(c.id, vault.EMPTY_CONTACT)
        out.append(
            ContactOut(
                id=str(c.id),
                name=p.name,
                email=p.email,
                phone=p.phone,
                locale=c.locale,
                country=c.country,
                timezone=c.timezone,
                tier=c.tier,
                region=c.region,
                attributes=dict(c.attributes),
                identities=[
                    IdentityOut(id=str(i.id), kind=i.kind, identifier=values.get(i.id), verified=i.verified)
                    for i in identities[c.id]
                ],
                erased=c.erased_at is not None,
                withheld_region=p.withheld_region,
                created_at=c.created_at,
            )
        )
    return out


async def create_contact(*, session: AsyncSession, principal: Principal, data: ContactCreate) -> ContactOut:
    contact = Contact(
        workspace_id=principal.workspace_id,
        region=await assign_region(
            session,
            workspace_id=principal.workspace_id,
            explicit=data.region,
            country=data.country,
            phone=data.phone,
            email=data.email,
        ),
        locale=data.locale,
        country=data.country,
        timezone=data.timezone,
        tier=data.tier,
        attributes=data.attributes,
    )
    session.add(contact)
    await session.flush()
    await vault.put_contact(
        session,
        workspace_id=principal.workspace_id,
        contact_id=contact.id,
        region=contact.region,
        name=data.name,
        email=data.email,
        phone=data.phone,
        new=True,
    )
    wanted = [(i.kind, i.identifier) for i in data.identities]
    if data.email:
        wanted.append(("email", data.email))
    if data.phone:
        wanted.append(("phone", data.phone))
    for kind, identifier in dict.fromkeys(wanted):
        if (
            await add_identity(session, contact=contact, kind=kind, identifier=identifier, verified=False)
            is None
        ):
            await session.rollback()
            raise ProblemError(409, f"another contact already has the {kind} identity {identifier}")
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="contact.created",
        payload={"contact_id": str(contact.id)},
    )
    await session.commit()
    return (await to_out_many(session, [contact]))[0]


async def update_contact(
    *, session: AsyncSession, principal: Principal, contact_id: uuid.UUID, data: ContactUpdate
) -> ContactOut:
    contact = await get_contact(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    if contact.erased_at is not None:
        raise ProblemError(409, "this contact was erased")
    changes = data.model_dump(exclude_unset=True)
    pii: dict[str, object] = {k: changes.pop(k) for k in ("name", "email", "phone") if k in changes}
    await vault.update_contact(session, contact_id=contact.id, region=contact.region, changes=pii)
    for key, value in changes.items():
        setattr(contact, key, value if value is not None or key != "attributes" else {})
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="contact.updated",
        payload={"contact_id": str(contact.id), "fields": sorted(data.model_dump(exclude_unset=True))},
    )
    await session.commit()
    return (await to_out_many(session, [contact]))[0]


async def delete_contact(*, session: AsyncSession, principal: Principal, contact_id: uuid.UUID) -> None:
    contact = await get_contact(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    await vault.erase_contact(session, contact_id=contact.id, region=contact.region)
    await session.delete(contact)
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="contact.deleted",
        payload={"contact_id": str(contact_id)},
    )
    await session.commit()


async def list_contacts(
    session: AsyncSession, *, workspace_id: uuid.UUID, limit: int, cursor: uuid.UUID | None
) -> tuple[list[Contact], str | None]:
    stmt = select(Contact).where(Contact.workspace_id == workspace_id, Contact.merged_into_id.is_(None))
    if cursor is not None:
        stmt = stmt.where(Contact.id < cursor)
    rows = list(await session.scalars(stmt.order_by(Contact.id.desc()).limit(limit + 1)))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def identity_kind_for_channel(channel: str) -> str:
    """Email and SMS identify people by address and phone; other channels by their own ids."""
    return {"email": "email", "sms": "phone"}.get(channel, channel)
