"""Per-contact data keys: created on first write, unwrapped per call, shredded on erasure.

Unwrapped keys are never cached beyond one vault call, so a key shredded by one process
stops every other process from reading that contact's content at its next call. The
one exception is a key created in the current transaction: no other transaction can
see it (nor shred it) before this one commits, so the writes that follow its creation
(the new contact's identities, then their first message) reuse it until the
transaction ends instead of reading and unwrapping it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, event, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from meridian.core.clock import utcnow
from meridian.core.errors import ProblemError
from meridian.db.arrays import in_ids
from meridian.vault.crypto import WrappedKey, key_provider, new_data_key
from meridian.vault.models import VaultKey


class ContactErased(ProblemError):
    """Content was about to be written for a contact whose data key was destroyed."""

    def __init__(self) -> None:
        super().__init__(409, "this contact was erased")


def _unwrap(row: VaultKey) -> bytes:
    assert row.wrapped_key is not None and row.kek_id is not None
    return key_provider().unwrap(row.region, WrappedKey(row.kek_id, row.wrapped_key))


_CREATED = "meridian.vault.created_keys"


def _created(db: AsyncSession | Session) -> dict[uuid.UUID, bytes]:
    found = db.info.get(_CREATED)
    if found is None:
        found = db.info[_CREATED] = {}
    assert isinstance(found, dict)
    return found


@event.listens_for(Session, "after_transaction_end")
def _forget_created_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction itself, not a savepoint released
        session.info.pop(_CREATED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_created(session: Session, previous_transaction: SessionTransaction) -> None:
    # Any rollback (a savepoint's too) may have undone a creation: read again after it.
    session.info.pop(_CREATED, None)


def created_key(db: AsyncSession, contact_id: uuid.UUID) -> bytes | None:
    """The contact's data key if this transaction created it, else None."""
    return _created(db).get(contact_id)


async def create_key(
    db: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID, region: str
) -> bytes:
    """A data key for a contact that has none yet (one made in this transaction): one
    INSERT instead of a read, an insert and a read; an existing key wins the race."""
    data_key = new_data_key()
    wrapped = key_provider().wrap(region, data_key)
    made = await db.scalar(
        insert(VaultKey)
        .values(
            contact_id=contact_id,
            workspace_id=workspace_id,
            region=region,
            kek_id=wrapped.kek_id,
            wrapped_key=wrapped.wrapped,
        )
        .on_conflict_do_nothing(index_elements=["contact_id"])
        .returning(VaultKey.contact_id)
    )
    if made is None:
        return await key_for_write(db, workspace_id=workspace_id, contact_id=contact_id, region=region)
    _created(db)[contact_id] = data_key
    return data_key


async def key_for_write(
    db: AsyncSession, *, workspace_id: uuid.UUID | None, contact_id: uuid.UUID, region: str
) -> bytes:
    """The contact's data key, created when it has none; ContactErased after erasure.

    ``workspace_id`` may be None only when the contact is known to have a key already.
    """
    created = created_key(db, contact_id)
    if created is not None:
        return created
    row = await db.get(VaultKey, contact_id, populate_existing=True)
    if row is None:
        if workspace_id is None:
            raise LookupError(f"contact {contact_id} has no data key and no workspace was given")
        wrapped = key_provider().wrap(region, new_data_key())
        # Two writers creating the first key race here; the loser reads the winner's key.
        await db.execute(
            insert(VaultKey)
            .values(
                contact_id=contact_id,
                workspace_id=workspace_id,
                region=region,
                kek_id=wrapped.kek_id,
                wrapped_key=wrapped.wrapped,
            )
            .on_conflict_do_nothing(index_elements=["contact_id"])
        )
        row = await db.get(VaultKey, contact_id, populate_existing=True)
        assert row is not None
    if row.wrapped_key is None:
        raise ContactErased()
    return _unwrap(row)


# Joined into a content read (``.join(VaultKey, live_key_of(...))``) so the key comes
# with the rows in one round trip; the inner join leaves out erased contacts' rows.
LIVE_KEY_COLUMNS = (VaultKey.region.label("key_region"), VaultKey.kek_id, VaultKey.wrapped_key)


def live_key_of(contact_id: Any) -> ColumnElement[bool]:
    return and_(VaultKey.contact_id == contact_id, VaultKey.wrapped_key.is_not(None))


def unwrap(region: str, kek_id: str | None, wrapped: bytes | None) -> bytes:
    """A live key row's data key (``live_key_of`` leaves out shredded ones)."""
    assert kek_id is not None and wrapped is not None
    return key_provider().unwrap(region, WrappedKey(kek_id, wrapped))


async def keys_for_read(db: AsyncSession, contact_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """Live data keys of these contacts; erased (or unknown) contacts are absent."""
    ids = set(contact_ids)
    if not ids:
        return {}
    # Plain columns, not ORM objects: a page reads one key per contact shown.
    rows = await db.execute(
        select(VaultKey.contact_id, VaultKey.region, VaultKey.kek_id, VaultKey.wrapped_key).where(
            in_ids(VaultKey.contact_id, ids), VaultKey.wrapped_key.is_not(None)
        )
    )
    return {contact_id: unwrap(region, kek_id, wrapped) for contact_id, region, kek_id, wrapped in rows}


async def shred(db: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID, region: str) -> None:
    """Destroy the contact's data key, leaving a tombstone that refuses new writes."""
    _created(db).pop(contact_id, None)
    now = utcnow()
    stmt = insert(VaultKey).values(
        contact_id=contact_id, workspace_id=workspace_id, region=region, shredded_at=now
    )
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=["contact_id"],
            set_={"wrapped_key": None, "kek_id": None, "shredded_at": now},
        )
    )


async def shred_existing(db: AsyncSession, *, contact_id: uuid.UUID) -> None:
    _created(db).pop(contact_id, None)
    now = utcnow()
    await db.execute(
        update(VaultKey)
        .where(VaultKey.contact_id == contact_id)
        .values(wrapped_key=None, kek_id=None, shredded_at=func.coalesce(VaultKey.shredded_at, now))
    )


async def is_shredded(db: AsyncSession, contact_id: uuid.UUID) -> bool:
    shredded_at = await db.scalar(select(VaultKey.shredded_at).where(VaultKey.contact_id == contact_id))
    return shredded_at is not None
