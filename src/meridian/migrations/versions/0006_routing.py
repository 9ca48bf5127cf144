"""Routing, SLA and automations: agent routing state, SLA policies, clocks and
attainment, automation rules and macros.

Revision ID: 0006_routing
Revises: 0002_event_dispatch
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_routing"
down_revision: str | Sequence[str] | None = "0002_event_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _jsonb() -> postgresql.JSONB:
    return postgresql.JSONB(astext_type=sa.Text())


def _now() -> sa.TextClause:
    return sa.text("now()")


def _workspace(table: str) -> list[Any]:
    return [
        sa.Column("workspace_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=f"fk_{table}_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
    ]


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "routing_agent_state",
        sa.Column("agent_id", sa.UUID(), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        *_workspace("routing_agent_state"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_routing_agent_state_agent_id_agents", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agent_id", name="pk_routing_agent_state"),
    )
    op.create_index("ix_routing_agent_state_workspace_id", "routing_agent_state", ["workspace_id"])

    op.create_table(
        "sla_policies",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("next_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("conditions", _jsonb(), nullable=False),
        *_workspace("sla_policies"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_sla_policies"),
    )
    op.create_index("ix_sla_policies_workspace_id", "sla_policies", ["workspace_id"])

    op.create_table(
        "sla_clocks",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("policy_id", sa.UUID(), nullable=True),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("metrics", _jsonb(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        *_workspace("sla_clocks"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_sla_clocks_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["sla_policies.id"],
            name="fk_sla_clocks_policy_id_sla_policies",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_sla_clocks"),
    )
    op.create_index(
        "ix_sla_clocks_next_check",
        "sla_clocks",
        ["next_check_at"],
        postgresql_where="next_check_at IS NOT NULL",
    )
    op.create_index("ix_sla_clocks_workspace_id", "sla_clocks", ["workspace_id"])

    op.create_table(
        "sla_events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("policy_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        *_workspace("sla_events"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_sla_events_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["sla_policies.id"],
            name="fk_sla_events_policy_id_sla_policies",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sla_events"),
        sa.UniqueConstraint(
            "conversation_id", "metric", "started_at", name="uq_sla_events_conversation_id_metric_started_at"
        ),
    )
    op.create_index("ix_sla_events_workspace_id", "sla_events", ["workspace_id"])
    op.create_index("ix_sla_events_ws_started", "sla_events", ["workspace_id", "started_at"])

    op.create_table(
        "automations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("conditions", _jsonb(), nullable=False),
        sa.Column("actions", _jsonb(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_workspace("automations"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_automations"),
    )
    op.create_index("ix_automations_workspace_id", "automations", ["workspace_id"])

    op.create_table(
        "macros",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("actions", _jsonb(), nullable=False),
        *_workspace("macros"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_macros"),
    )
    op.create_index("ix_macros_workspace_id", "macros", ["workspace_id"])


def downgrade() -> None:
    for table in ("macros", "automations", "sla_events", "sla_clocks", "sla_policies", "routing_agent_state"):
        op.drop_table(table)
