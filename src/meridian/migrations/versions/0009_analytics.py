"""Analytics: the report event log, per-conversation facts, additive rollups, CSAT surveys.

Revision ID: 0009_analytics
Revises: 0002_event_dispatch
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_analytics"
down_revision: str | Sequence[str] | None = "0002_event_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_conversations",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_how", sa.SmallInteger(), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("inbox_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("agent_id", sa.UUID(), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_s", sa.Float(), nullable=True),
        sa.Column("first_response_bs", sa.Float(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_s", sa.Float(), nullable=True),
        sa.Column("resolution_bs", sa.Float(), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_responses", sa.Integer(), nullable=False),
        sa.Column("next_response_total_s", sa.Float(), nullable=False),
        sa.Column("next_response_total_bs", sa.Float(), nullable=False),
        sa.Column("human_replies", sa.Integer(), nullable=False),
        sa.Column("bot_replies", sa.Integer(), nullable=False),
        sa.Column("reopens", sa.Integer(), nullable=False),
        sa.Column("handoffs", sa.Integer(), nullable=False),
        sa.Column("assignments", sa.Integer(), nullable=False),
        sa.Column("sla", sa.String(length=16), nullable=False),
        sa.Column("csat_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("csat_rating", sa.SmallInteger(), nullable=True),
        sa.Column("timeline", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_report_conversations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_report_conversations")),
    )
    op.create_index(
        "ix_report_conversations_tags", "report_conversations", ["tags"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        op.f("ix_report_conversations_workspace_id"), "report_conversations", ["workspace_id"], unique=False
    )
    op.create_index(
        "ix_report_conversations_ws_created",
        "report_conversations",
        ["workspace_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "report_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("source_event_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("inbox_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("agent_id", sa.UUID(), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("calendar_s", sa.Float(), nullable=True),
        sa.Column("business_s", sa.Float(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_report_events_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_events")),
        sa.UniqueConstraint(
            "source_event_id",
            "conversation_id",
            "kind",
            name=op.f("uq_report_events_source_event_id_conversation_id_kind"),
        ),
    )
    op.create_index(op.f("ix_report_events_workspace_id"), "report_events", ["workspace_id"], unique=False)
    op.create_index("ix_report_events_ws_at", "report_events", ["workspace_id", "at"], unique=False)
    op.create_index(
        "ix_report_events_ws_conversation",
        "report_events",
        ["workspace_id", "conversation_id", "id"],
        unique=False,
    )
    op.create_table(
        "report_rollups",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key_hash", sa.BigInteger(), nullable=False),
        sa.Column("compacted", sa.Boolean(), nullable=False),
        sa.Column("cube", sa.String(length=1), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("inbox_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("agent_id", sa.UUID(), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.Column("conversations", sa.BigInteger(), nullable=False),
        sa.Column("first_responses", sa.BigInteger(), nullable=False),
        sa.Column("first_response_sum_s", sa.BigInteger(), nullable=False),
        sa.Column("resolved", sa.BigInteger(), nullable=False),
        sa.Column("resolution_sum_s", sa.BigInteger(), nullable=False),
        sa.Column("next_responded", sa.BigInteger(), nullable=False),
        sa.Column("ever_resolved", sa.BigInteger(), nullable=False),
        sa.Column("reopened", sa.BigInteger(), nullable=False),
        sa.Column("fcr", sa.BigInteger(), nullable=False),
        sa.Column("bot_engaged", sa.BigInteger(), nullable=False),
        sa.Column("bot_deflected", sa.BigInteger(), nullable=False),
        sa.Column("handed_off", sa.BigInteger(), nullable=False),
        sa.Column("handoffs", sa.BigInteger(), nullable=False),
        sa.Column("sla_met", sa.BigInteger(), nullable=False),
        sa.Column("sla_breached", sa.BigInteger(), nullable=False),
        sa.Column("csat_sent", sa.BigInteger(), nullable=False),
        sa.Column("csat_count", sa.BigInteger(), nullable=False),
        sa.Column("csat_sum", sa.BigInteger(), nullable=False),
        sa.Column("resolutions", sa.BigInteger(), nullable=False),
        sa.Column("reopens", sa.BigInteger(), nullable=False),
        sa.Column("backlog_delta", sa.BigInteger(), nullable=False),
        sa.Column("fr_c", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("fr_b", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("res_c", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("res_b", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("nr_c", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("nr_b", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_report_rollups_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollups")),
    )
    op.create_index("ix_report_rollups_key", "report_rollups", ["workspace_id", "key_hash"], unique=False)
    op.create_index(
        "ix_report_rollups_pending",
        "report_rollups",
        ["workspace_id"],
        unique=False,
        postgresql_where="NOT compacted",
    )
    op.create_index(
        "ix_report_rollups_read", "report_rollups", ["workspace_id", "cube", "grain", "period"], unique=False
    )
    op.create_index(op.f("ix_report_rollups_workspace_id"), "report_rollups", ["workspace_id"], unique=False)
    op.create_table(
        "csat_surveys",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("inbox_id", sa.UUID(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("reply_message_id", sa.UUID(), nullable=True),
        sa.Column("reply_conversation_id", sa.UUID(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_csat_surveys_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_csat_surveys_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_csat_surveys_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_csat_surveys_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_surveys")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_csat_surveys_conversation_id")),
    )
    op.create_index(
        "ix_csat_surveys_pending",
        "csat_surveys",
        ["contact_id", "inbox_id"],
        unique=False,
        postgresql_where="status = 'sent'",
    )
    op.create_index("ix_csat_surveys_reply", "csat_surveys", ["reply_message_id"], unique=False)
    op.create_index(op.f("ix_csat_surveys_workspace_id"), "csat_surveys", ["workspace_id"], unique=False)


def downgrade() -> None:
    for table in ("csat_surveys", "report_rollups", "report_events", "report_conversations"):
        op.drop_table(table)
