"""Envelope encryption in the vault: what is stored, what a region key change does."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from sqlalchemy import text

from meridian.attachments.storage import LocalStorage
from meridian.core.ids import new_id
from meridian.db.engine import Database
from meridian.vault import service as vault
from meridian.vault.crypto import (
    ConfiguredKeys,
    VaultKeyError,
    WrappedKey,
    new_data_key,
    parse_region_keys,
    set_key_provider,
)
from meridian.vault.files import get_attachment, put_attachment
from meridian.vault.keys import ContactErased
from tests.factories import Factory


async def _contact(db: Database, workspace_id: uuid.UUID, region: str = "default") -> uuid.UUID:
    contact_id = new_id()
    async with db.session() as session:
        await vault.put_contact(
            session,
            workspace_id=workspace_id,
            contact_id=contact_id,
            region=region,
            name="Søren Kierkegaard",
            email="soren@example.dk",
            phone="+4512345678",
            extra={"vip": True},
        )
        await vault.put_message(
            session,
            workspace_id=workspace_id,
            message_id=new_id(),
            conversation_id=new_id(),
            contact_id=contact_id,
            region=region,
            body="Hvor er min pakke?",
            html="<p>Hvor er min pakke?</p>",
            translation={"language": "en", "body": "Where is my parcel?"},
        )
        await session.commit()
    return contact_id


async def test_stored_rows_are_ciphertext_and_read_back_plain(factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    contact_id = await _contact(db, tenant.workspace_id)
    async with db.session() as session:
        row = (
            await session.execute(
                text("SELECT name, email, phone, extra FROM vault_contacts WHERE contact_id = :c"),
                {"c": contact_id},
            )
        ).one()
        stored = b"".join(bytes(v) for v in row)
        assert b"Kierkegaard" not in stored and b"soren@" not in stored and b"vip" not in stored
        message = (
            await session.execute(
                text("SELECT message_id, body, html, translation FROM vault_messages WHERE contact_id = :c"),
                {"c": contact_id},
            )
        ).one()
        assert b"pakke" not in bytes(message.body) + bytes(message.html)
        assert b"parcel" not in bytes(message.translation)
        pii = (await vault.get_contacts(session, [(contact_id, "default")]))[contact_id]
        assert (pii.name, pii.email, pii.phone, pii.extra) == (
            "Søren Kierkegaard",
            "soren@example.dk",
            "+4512345678",
            {"vip": True},
        )
        content = (await vault.get_messages(session, [(message.message_id, "default")]))[message.message_id]
        assert content.body == "Hvor er min pakke?" and content.translation == {
            "language": "en",
            "body": "Where is my parcel?",
        }

        # A ciphertext moved to another row does not open there (bound by associated data).
        other = await _contact(db, tenant.workspace_id)
        await session.execute(
            text(
                "UPDATE vault_contacts SET name = (SELECT email FROM vault_contacts WHERE contact_id = :c) WHERE contact_id = :c"
            ),
            {"c": contact_id},
        )
        with pytest.raises(VaultKeyError):
            await vault.get_contacts(session, [(contact_id, "default")])
        await session.rollback()
        assert (await vault.get_contacts(session, [(other, "default")]))[other].name == "Søren Kierkegaard"


async def test_shredding_makes_content_unreadable_and_refuses_new_writes(
    factory: Factory, db: Database, tmp_path: object
) -> None:
    tenant = await factory.tenant()
    contact_id = await _contact(db, tenant.workspace_id)
    storage = LocalStorage(tmp_path)  # type: ignore[arg-type]
    async with db.session() as session:
        key = await put_attachment(
            session,
            workspace_id=tenant.workspace_id,
            contact_id=contact_id,
            region="default",
            data=b"passport scan",
            storage=storage,
        )
        assert b"passport" not in await storage.get(key)
        assert (
            await get_attachment(
                session, contact_id=contact_id, region="default", storage_key=key, storage=storage
            )
            == b"passport scan"
        )
        found = await vault.search_conversations(
            session, workspace_id=tenant.workspace_id, regions=["default"], query="PAKKE", limit=10
        )
        assert len(found) == 1, "search is case-insensitive"
        await vault.shred_contact(
            session, workspace_id=tenant.workspace_id, contact_id=contact_id, region="default"
        )
        await session.commit()
    async with db.session() as session:
        assert await vault.get_contacts(session, [(contact_id, "default")]) == {}
        assert (
            await get_attachment(
                session, contact_id=contact_id, region="default", storage_key=key, storage=storage
            )
            is None
        )
        assert (
            await vault.search_conversations(
                session, workspace_id=tenant.workspace_id, regions=["default"], query="pakke", limit=10
            )
            == []
        )
        with pytest.raises(ContactErased):
            await vault.update_contact(
                session, contact_id=contact_id, region="default", changes={"name": "x"}
            )


def test_region_keys_from_configuration() -> None:
    eu = os.urandom(32)
    keys = parse_region_keys(
        f"eu={base64.b64encode(eu).decode()}, us={base64.b64encode(os.urandom(32)).decode()}"
    )
    assert keys["eu"] == eu and set(keys) == {"eu", "us"}
    for bad in ("eu=short", "eu", "=abc", "eu=" + base64.b64encode(os.urandom(16)).decode()):
        with pytest.raises(VaultKeyError):
            parse_region_keys(bad)

    provider = ConfiguredKeys(keys, secret="s1")
    data_key = new_data_key()
    wrapped = provider.wrap("eu", data_key)
    assert wrapped.wrapped != data_key and provider.unwrap("eu", wrapped) == data_key
    # Regions without a configured key get one derived from the secret key.
    derived = provider.wrap("sg", data_key)
    assert provider.unwrap("sg", derived) == data_key
    with pytest.raises(VaultKeyError, match="different key"):
        ConfiguredKeys({}, secret="s2").unwrap("sg", derived)
    with pytest.raises(VaultKeyError):
        provider.unwrap(
            "eu", WrappedKey(wrapped.kek_id, wrapped.wrapped[:-1] + bytes([wrapped.wrapped[-1] ^ 1]))
        )


class _CountingKms:
    """A stand-in for a KMS client: region keys that never leave it."""

    def __init__(self) -> None:
        self.inner = ConfiguredKeys({"eu": os.urandom(32)}, secret="kms")
        self.calls: list[str] = []

    def wrap(self, region: str, data_key: bytes) -> WrappedKey:
        self.calls.append(f"wrap:{region}")
        return self.inner.wrap(region, data_key)

    def unwrap(self, region: str, key: WrappedKey) -> bytes:
        self.calls.append(f"unwrap:{region}")
        return self.inner.unwrap(region, key)


async def test_a_key_provider_can_replace_the_configured_keys(factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    kms = _CountingKms()
    set_key_provider(kms)
    try:
        contact_id = await _contact(db, tenant.workspace_id, region="eu")
        async with db.session() as session:
            assert (await vault.get_contacts(session, [(contact_id, "eu")]))[
                contact_id
            ].name == "Søren Kierkegaard"
    finally:
        set_key_provider(None)
    assert kms.calls[0] == "wrap:eu" and "unwrap:eu" in kms.calls
    async with db.session() as session:
        with pytest.raises(VaultKeyError):
            await vault.get_contacts(session, [(contact_id, "eu")])
