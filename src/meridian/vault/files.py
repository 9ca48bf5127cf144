"""Attachment bytes, sealed with the contact's data key before they reach storage.

Storage backends (local disk, an S3-compatible store) only ever see ciphertext, so a
copied disk or bucket is as unreadable after erasure as a database backup.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.storage import Storage, get_storage
from meridian.vault import access, keys
from meridian.vault.crypto import aad_for, open_sealed, seal
from meridian.vault.service import region_session


async def put_attachment(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    contact_id: uuid.UUID,
    region: str,
    data: bytes,
    storage: Storage | None = None,
) -> str:
    """Seal and store ``data``; returns the storage key to keep on the attachment row."""
    async with region_session(session, region) as db:
        key = await keys.key_for_write(db, workspace_id=workspace_id, contact_id=contact_id, region=region)
    return await (storage or get_storage()).put(
        seal(key, data, aad=aad_for("attachment", contact_id)), workspace_id=str(workspace_id)
    )


async def get_attachment(
    session: AsyncSession,
    *,
    contact_id: uuid.UUID,
    region: str,
    storage_key: str,
    storage: Storage | None = None,
) -> bytes | None:
    """The plain bytes, or None when the contact was erased or the bytes are not stored."""
    if storage_key.startswith("pending:"):
        return None
    if not access.may_read(region):
        return None
    async with region_session(session, region) as db:
        live = await keys.keys_for_read(db, [contact_id])
    if contact_id not in live:
        return None
    try:
        blob = await (storage or get_storage()).get(storage_key)
    except FileNotFoundError:
        return None
    data = open_sealed(live[contact_id], blob, aad=aad_for("attachment", contact_id))
    await access.note_reads(session, regions=[region], what="attachment", count=1)
    return data


async def delete_attachment(storage_key: str, *, storage: Storage | None = None) -> None:
    if not storage_key.startswith("pending:"):
        await (storage or get_storage()).delete(storage_key)
