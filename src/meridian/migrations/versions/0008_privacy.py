"""Privacy and compliance: encrypted vault (per-contact data keys, search index),
privacy requests, consents, retention policies, the audit log, two-factor sign-in.

Existing vault rows are encrypted in place: each contact gets a data key, wrapped by
its region's key (MERIDIAN_REGION_KEYS or derived from MERIDIAN_SECRET_KEY, so run this
with the production settings).

Revision ID: 0008_privacy
Revises: 0002_event_dispatch
Create Date: 2026-11-24
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_privacy"
down_revision: str | Sequence[str] | None = "0002_event_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns that become ciphertext: table -> (key column, [(column, json?)]).
_SEALED: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "vault_contacts": (
        "contact_id",
        [("name", False), ("email", False), ("phone", False), ("extra", True)],
    ),
    "vault_identities": ("identity_id", [("value", False)]),
    "vault_messages": (
        "message_id",
        [("body", False), ("sent_body", False), ("translation", True), ("raw", False), ("html", False)],
    ),
}
_AAD_KIND = {"vault_contacts": "contact", "vault_identities": "identity", "vault_messages": "message"}


def _vault_tables() -> None:
    op.create_table(
        "vault_keys",
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("kek_id", sa.String(length=64), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_vault_keys")),
    )
    op.create_index(op.f("ix_vault_keys_workspace_id"), "vault_keys", ["workspace_id"])
    op.create_table(
        "vault_message_search",
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_vault_message_search")),
    )
    op.create_index(op.f("ix_vault_message_search_workspace_id"), "vault_message_search", ["workspace_id"])
    op.create_index(op.f("ix_vault_message_search_contact_id"), "vault_message_search", ["contact_id"])
    op.create_index(
        "ix_vault_message_search_text_trgm",
        "vault_message_search",
        ["text"],
        postgresql_using="gin",
        postgresql_ops={"text": "gin_trgm_ops"},
    )
    op.drop_index("ix_vault_messages_body_trgm", table_name="vault_messages")
    for table, (_, columns) in _SEALED.items():
        for column, _ in columns:
            op.alter_column(table, column, new_column_name=f"{column}_plain")
            op.add_column(table, sa.Column(column, sa.LargeBinary(), nullable=True))
    _encrypt_existing(op.get_bind())
    for table, (_, columns) in _SEALED.items():
        for column, _ in columns:
            op.drop_column(table, f"{column}_plain")
    op.alter_column("vault_identities", "value", nullable=False)
    op.alter_column("vault_messages", "body", nullable=False)


def _encrypt_existing(conn: sa.Connection) -> None:
    """Seal rows written before this revision (plain columns renamed ``*_plain``)."""
    from meridian.vault.crypto import aad_for, key_provider, new_data_key, seal_json, seal_text
    from meridian.vault.service import search_text

    owners = conn.execute(
        sa.text(
            "SELECT contact_id, workspace_id, region FROM vault_contacts UNION "
            "SELECT contact_id, workspace_id, region FROM vault_messages UNION "
            "SELECT i.contact_id, c.workspace_id, i.region FROM vault_identities i "
            "JOIN contacts c ON c.id = i.contact_id"
        )
    ).all()
    keys: dict[uuid.UUID, bytes] = {}
    for contact_id, workspace_id, region in owners:
        if contact_id in keys:
            continue
        keys[contact_id] = new_data_key()
        wrapped = key_provider().wrap(region, keys[contact_id])
        conn.execute(
            sa.text(
                "INSERT INTO vault_keys (contact_id, workspace_id, region, kek_id, wrapped_key) "
                "VALUES (:c, :w, :r, :k, :b)"
            ),
            {"c": contact_id, "w": workspace_id, "r": region, "k": wrapped.kek_id, "b": wrapped.wrapped},
        )
    for table, (pk, columns) in _SEALED.items():
        plain = ", ".join(f"{c}_plain" for c, _ in columns)
        owner = "contact_id"
        rows = conn.execute(sa.text(f"SELECT {pk}, {owner}, {plain} FROM {table}")).all()
        for row in rows:
            row_id, contact_id, *values = row
            key = keys[contact_id]
            sealed: dict[str, Any] = {"id": row_id}
            for (column, is_json), value in zip(columns, values, strict=True):
                kind = "identity" if table == "vault_identities" else f"{_AAD_KIND[table]}.{column}"
                aad = aad_for(kind, row_id)
                sealed[column] = seal_json(key, value, aad=aad) if is_json else seal_text(key, value, aad=aad)
            assignments = ", ".join(f"{c} = :{c}" for c, _ in columns)
            conn.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE {pk} = :id"), sealed)
    conn.execute(
        sa.text(
            "INSERT INTO vault_message_search "
            "(message_id, workspace_id, conversation_id, contact_id, region, text) "
            "SELECT message_id, workspace_id, conversation_id, contact_id, region, body_plain "
            "FROM vault_messages WHERE body_plain <> ''"
        )
    )
    # Normalize the copied text the way the vault queries it.
    for message_id, text in conn.execute(sa.text("SELECT message_id, text FROM vault_message_search")).all():
        conn.execute(
            sa.text("UPDATE vault_message_search SET text = :t WHERE message_id = :m"),
            {"t": search_text(text), "m": message_id},
        )


def _privacy_tables() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "privacy_requests",
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_by_id", sa.UUID(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("result", jsonb, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_privacy_requests_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["agents.id"],
            name=op.f("fk_privacy_requests_handled_by_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_privacy_requests_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    op.create_index(op.f("ix_privacy_requests_contact_id"), "privacy_requests", ["contact_id"])
    op.create_index(op.f("ix_privacy_requests_workspace_id"), "privacy_requests", ["workspace_id"])
    op.create_index("ix_privacy_requests_ws_created", "privacy_requests", ["workspace_id", "created_at"])
    op.create_index(
        "ix_privacy_requests_pending", "privacy_requests", ["id"], postgresql_where="status = 'pending'"
    )
    op.create_table(
        "consents",
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("recorded_by_id", sa.UUID(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_consents_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["agents.id"],
            name=op.f("fk_consents_recorded_by_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_consents_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(op.f("ix_consents_workspace_id"), "consents", ["workspace_id"])
    op.create_index("ix_consents_lookup", "consents", ["contact_id", "purpose", "channel", "recorded_at"])
    op.create_table(
        "retention_policies",
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("max_age_days", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_retention_policies_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policies")),
        sa.UniqueConstraint(
            "workspace_id",
            "region",
            "channel",
            name=op.f("uq_retention_policies_workspace_id_region_channel"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(op.f("ix_retention_policies_workspace_id"), "retention_policies", ["workspace_id"])
    op.create_table(
        "purged_conversations",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("policy_id", sa.UUID(), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_purged_conversations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["retention_policies.id"],
            name=op.f("fk_purged_conversations_policy_id_retention_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_purged_conversations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_purged_conversations")),
    )
    op.create_index(op.f("ix_purged_conversations_workspace_id"), "purged_conversations", ["workspace_id"])


def _audit_and_security_tables() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("workspace_id", "seq", name=op.f("uq_audit_log_workspace_id_seq")),
    )
    op.create_table(
        "agent_totp",
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_totp_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_agent_totp_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_totp")),
    )
    op.create_index(op.f("ix_agent_totp_workspace_id"), "agent_totp", ["workspace_id"])


def upgrade() -> None:
    _vault_tables()
    _privacy_tables()
    _audit_and_security_tables()


def _decrypt_existing(conn: sa.Connection) -> None:
    """Open every sealed row into the ``*`` plain columns; erased contacts' rows go."""
    from meridian.vault.crypto import WrappedKey, aad_for, key_provider, open_json, open_text

    keys = {
        contact_id: key_provider().unwrap(region, WrappedKey(kek_id, bytes(wrapped)))
        for contact_id, region, kek_id, wrapped in conn.execute(
            sa.text(
                "SELECT contact_id, region, kek_id, wrapped_key FROM vault_keys WHERE wrapped_key IS NOT NULL"
            )
        )
    }
    for table, (pk, columns) in _SEALED.items():
        sealed = ", ".join(f"{c}_sealed" for c, _ in columns)
        for row in conn.execute(sa.text(f"SELECT {pk}, contact_id, {sealed} FROM {table}")).all():
            row_id, contact_id, *values = row
            if contact_id not in keys:
                conn.execute(sa.text(f"DELETE FROM {table} WHERE {pk} = :id"), {"id": row_id})
                continue
            plain: dict[str, Any] = {"id": row_id}
            for (column, is_json), value in zip(columns, values, strict=True):
                kind = "identity" if table == "vault_identities" else f"{_AAD_KIND[table]}.{column}"
                blob = bytes(value) if value is not None else None
                opened = (open_json if is_json else open_text)(
                    keys[contact_id], blob, aad=aad_for(kind, row_id)
                )
                plain[column] = json.dumps(opened) if is_json and opened is not None else opened
            assignments = ", ".join(
                f"{c} = CAST(:{c} AS jsonb)" if is_json else f"{c} = :{c}" for c, is_json in columns
            )
            conn.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE {pk} = :id"), plain)


def downgrade() -> None:
    for table in (
        "agent_totp",
        "audit_log",
        "purged_conversations",
        "retention_policies",
        "consents",
        "privacy_requests",
    ):
        op.drop_table(table)
    for table, (_, columns) in _SEALED.items():
        for column, is_json in columns:
            op.alter_column(table, column, new_column_name=f"{column}_sealed")
            kind = postgresql.JSONB(astext_type=sa.Text()) if is_json else sa.Text()
            op.add_column(table, sa.Column(column, kind, nullable=True))
    _decrypt_existing(op.get_bind())
    for table, (_, columns) in _SEALED.items():
        for column, _ in columns:
            op.drop_column(table, f"{column}_sealed")
    op.execute("UPDATE vault_contacts SET extra = '{}'::jsonb WHERE extra IS NULL")
    op.alter_column("vault_contacts", "extra", nullable=False)
    op.alter_column("vault_identities", "value", nullable=False)
    op.alter_column("vault_messages", "body", nullable=False)
    op.create_index(
        "ix_vault_messages_body_trgm",
        "vault_messages",
        ["body"],
        postgresql_using="gin",
        postgresql_ops={"body": "gin_trgm_ops"},
    )
    op.drop_table("vault_message_search")
    op.drop_table("vault_keys")
