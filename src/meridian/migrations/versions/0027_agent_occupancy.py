"""Analytics: sampled agent time per UTC day, for utilization and occupancy.

``report_agent_days`` holds per-(workspace, agent, day) seconds online, busy, carried
load and offered capacity (analytics/occupancy.py); ``report_occupancy_clock`` the
time of each workspace's last sample. Row-level security is applied to the new
workspace table by ``meridian_secure_tenant_tables()`` in migrations/env.py.

Revision ID: 0027_agent_occupancy
Revises: 0026_kb_search_speed
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_agent_occupancy"
down_revision: str | Sequence[str] | None = "0026_kb_search_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_agent_days",
        sa.Column(
            "workspace_id",
            sa.Uuid(),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("agent_id", sa.Uuid(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("online_s", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("busy_s", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("load_s", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("capacity_s", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_index("ix_report_agent_days_workspace_id", "report_agent_days", ["workspace_id"])
    op.create_table(
        "report_occupancy_clock",
        sa.Column(
            "workspace_id",
            sa.Uuid(),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_occupancy_clock")
    op.drop_table("report_agent_days")
