"""Migration 0008 encrypts vault rows written before it, and they read back the same."""

from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from meridian.db.engine import make_database
from meridian.db.migrate import alembic_config, upgrade
from meridian.vault import searchsql
from meridian.vault import service as vault


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def _plain_rows(url: str, ids: dict[str, uuid.UUID]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workspaces (id, name, default_locale, languages, settings, conversation_seq) "
                "VALUES (:w, 'Old', 'en', '[]', '{}', 0)"
            ),
            {"w": ids["ws"]},
        )
        conn.execute(
            text(
                "INSERT INTO contacts (id, workspace_id, region, attributes) VALUES (:c, :w, 'default', '{}')"
            ),
            {"c": ids["contact"], "w": ids["ws"]},
        )
        conn.execute(
            text(
                "INSERT INTO vault_contacts (contact_id, workspace_id, region, name, email, phone, extra) "
                "VALUES (:c, :w, 'default', 'Élodie Durand', 'elodie@example.fr', NULL, :x)"
            ),
            {"c": ids["contact"], "w": ids["ws"], "x": json.dumps({"tier": "gold"})},
        )
        conn.execute(
            text(
                "INSERT INTO vault_identities (identity_id, contact_id, region, value) "
                "VALUES (:i, :c, 'default', 'elodie@example.fr')"
            ),
            {"i": ids["identity"], "c": ids["contact"]},
        )
        conn.execute(
            text(
                "INSERT INTO vault_messages (message_id, workspace_id, conversation_id, contact_id, region, body, "
                "translation) VALUES (:m, :w, :v, :c, 'default', 'Où est ma COMMANDE ?', :t)"
            ),
            {
                "m": ids["message"],
                "w": ids["ws"],
                "v": ids["conversation"],
                "c": ids["contact"],
                "t": json.dumps({"language": "en", "body": "Where is my order?"}),
            },
        )
    engine.dispose()


async def test_existing_plain_rows_are_encrypted(database_url: str) -> None:
    server = make_url(database_url)
    name = f"meridian_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    ids = {k: uuid.uuid4() for k in ("ws", "contact", "identity", "message", "conversation")}
    try:
        await asyncio.to_thread(upgrade, url, "0002_event_dispatch")
        await asyncio.to_thread(_plain_rows, url, ids)
        await asyncio.to_thread(upgrade, url, "0008_privacy")
        db = make_database(url, pool_size=1)
        try:
            async with db.session() as session:
                raw = await session.scalar(
                    text("SELECT name FROM vault_contacts WHERE contact_id = :c"), {"c": ids["contact"]}
                )
                assert raw is not None and b"Durand" not in bytes(raw)
                pii = (await vault.get_contacts(session, [(ids["contact"], "default")]))[ids["contact"]]
                assert (pii.name, pii.email, pii.phone, pii.extra) == (
                    "Élodie Durand",
                    "elodie@example.fr",
                    None,
                    {"tier": "gold"},
                )
                values = await vault.get_identity_values(
                    session, identity_ids=[ids["identity"]], region="default"
                )
                assert values == {ids["identity"]: "elodie@example.fr"}
                content = (await vault.get_messages(session, [(ids["message"], "default")]))[ids["message"]]
                assert content.body == "Où est ma COMMANDE ?"
                assert content.translation == {"language": "en", "body": "Where is my order?"}
                # Today's search calls migration 0022's function; install the app's copy,
                # as regional databases get it (vault/searchsql.py).
                await session.execute(text(searchsql.FUNCTION_DDL))
                found = await vault.search_conversations(
                    session, workspace_id=ids["ws"], regions=["default"], query="commande", limit=5
                )
                assert found == [ids["conversation"]]
        finally:
            await db.dispose()
        # And back: the plain columns return with the same values.
        await asyncio.to_thread(downgrade, url, "0002_event_dispatch")
        engine = create_engine(url)
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT name, email, extra FROM vault_contacts WHERE contact_id = :c"),
                {"c": ids["contact"]},
            ).one()
            body = conn.execute(
                text("SELECT body, translation FROM vault_messages WHERE message_id = :m"),
                {"m": ids["message"]},
            ).one()
        engine.dispose()
        assert tuple(row) == ("Élodie Durand", "elodie@example.fr", {"tier": "gold"})
        assert tuple(body) == ("Où est ma COMMANDE ?", {"language": "en", "body": "Where is my order?"})
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
