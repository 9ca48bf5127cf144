"""Domain event dispatch bookkeeping: which subscribers handled an event, retries.

Revision ID: 0002_event_dispatch
Revises: 0001_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_event_dispatch"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "domain_events",
        sa.Column("handled", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column("domain_events", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "domain_events",
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
    )
    op.add_column("domain_events", sa.Column("last_error", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("last_error", "next_attempt_at", "attempts", "handled"):
        op.drop_column("domain_events", column)
