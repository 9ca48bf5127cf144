"""Moving a contact's vault data from one region to another.

Crash-safe in three steps, each idempotent, driven by ``residency.service``:

1. ``copy_contact``: the data key is re-wrapped under the target region's key and every
   vault row is upserted into the target region's database (committed there). The
   content ciphertext is copied as is: it is sealed by the contact's data key, which
   does not change, and its associated data names the contact, not the region.
2. the caller switches ``contacts.region`` in the home database and commits;
3. ``purge_elsewhere``: the contact's rows are deleted from every database other than
   the target's.

A crash after 1 leaves an unreferenced copy that the retry overwrites; a crash after 2
leaves stale rows in the source that the retry (or any later move) purges.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.core.clock import utcnow
from meridian.vault import regions
from meridian.vault.crypto import key_provider
from meridian.vault.keys import ContactErased, _unwrap
from meridian.vault.models import VaultContact, VaultIdentity, VaultKey, VaultMessage, VaultMessageSearch
from meridian.vault.service import region_session

_ROW_MODELS: tuple[Any, ...] = (VaultContact, VaultIdentity, VaultMessage, VaultMessageSearch)
_KEYS = {
    VaultContact: "contact_id",
    VaultIdentity: "identity_id",
    VaultMessage: "message_id",
    VaultMessageSearch: "message_id",
}


def same_database(a: str, b: str) -> bool:
    return regions.database_for(a) is regions.database_for(b)


async def copy_contact(session: AsyncSession, *, contact_id: uuid.UUID, source: str, target: str) -> bool:
    """Copy the contact's vault rows to ``target``, key re-wrapped; False if nothing to copy."""
    async with region_session(session, source) as src:
        key_row = await src.get(VaultKey, contact_id, populate_existing=True)
        if key_row is None:
            return False
        if key_row.wrapped_key is None:
            raise ContactErased()
        data_key = _unwrap(key_row)
        rows: dict[Any, list[dict[str, Any]]] = {}
        for model in _ROW_MODELS:
            found = await src.scalars(select(model).where(model.contact_id == contact_id))
            rows[model] = [{c.key: getattr(row, c.key) for c in model.__table__.columns} for row in found]
        workspace_id = key_row.workspace_id
    wrapped = key_provider().wrap(target, data_key)
    key_values = {
        "workspace_id": workspace_id,
        "region": target,
        "kek_id": wrapped.kek_id,
        "wrapped_key": wrapped.wrapped,
        "shredded_at": None,
    }
    async with region_session(session, target) as dst:
        await dst.execute(
            insert(VaultKey)
            .values(contact_id=contact_id, **key_values)
            .on_conflict_do_update(index_elements=["contact_id"], set_=key_values)
        )
        for model, values in rows.items():
            pk = _KEYS[model]
            for value in values:
                value["region"] = target
                if "updated_at" in value:
                    value["updated_at"] = utcnow()
                changes = {k: v for k, v in value.items() if k != pk}
                await dst.execute(
                    insert(model).values(**value).on_conflict_do_update(index_elements=[pk], set_=changes)
                )
    return True


async def purge_elsewhere(session: AsyncSession, *, contact_id: uuid.UUID, target: str) -> None:
    """Delete the contact's vault rows (key included) from every database but ``target``'s."""
    keep = regions.database_for(target)
    if keep is not None:
        await _delete_rows(session, contact_id)  # the home database
    for name in regions.regional():
        database = regions.database_for(name)
        if database is None or database is keep:
            continue
        async with database.session() as db:
            await _delete_rows(db, contact_id)
            await db.commit()


async def _delete_rows(db: AsyncSession, contact_id: uuid.UUID) -> None:
    for model in (*_ROW_MODELS, VaultKey):
        await db.execute(delete(model).where(model.contact_id == contact_id))


async def relabel_in_place(session: AsyncSession, *, contact_id: uuid.UUID, source: str, target: str) -> bool:
    """Source and target share a database: re-wrap the key and relabel the rows."""
    async with region_session(session, source) as db:
        key_row = await db.get(VaultKey, contact_id, populate_existing=True)
        if key_row is None:
            return False
        if key_row.region != target:
            if key_row.wrapped_key is None:
                raise ContactErased()
            wrapped = key_provider().wrap(target, _unwrap(key_row))
            await db.execute(
                update(VaultKey)
                .where(VaultKey.contact_id == contact_id)
                .values(region=target, kek_id=wrapped.kek_id, wrapped_key=wrapped.wrapped)
            )
        for model in _ROW_MODELS:
            await db.execute(update(model).where(model.contact_id == contact_id).values(region=target))
    return True
