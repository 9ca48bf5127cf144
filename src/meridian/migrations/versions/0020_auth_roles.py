"""Custom roles: a per-workspace permission set with optional team and inbox limits,
and the agent's optional custom role.

Revision ID: 0020_auth_roles
Revises: 0019_automations_time_since
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_auth_roles"
down_revision: str | Sequence[str] | None = "0019_automations_time_since"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("permissions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("team_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("inbox_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_roles_workspace_id_workspaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
    )
    op.create_index("ix_roles_workspace_id", "roles", ["workspace_id"])
    op.create_index("uq_roles_workspace_name", "roles", ["workspace_id", "name"], unique=True)
    # No custom role: the agent keeps the built-in permission set of agents.role.
    op.add_column("agents", sa.Column("role_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_agents_role_id_roles", "agents", "roles", ["role_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index("ix_agents_role_id", "agents", ["role_id"])


def downgrade() -> None:
    op.drop_index("ix_agents_role_id", table_name="agents")
    op.drop_constraint("fk_agents_role_id_roles", "agents", type_="foreignkey")
    op.drop_column("agents", "role_id")
    op.drop_index("uq_roles_workspace_name", table_name="roles")
    op.drop_index("ix_roles_workspace_id", table_name="roles")
    op.drop_table("roles")
