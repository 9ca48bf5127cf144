"""Send-rate buckets for the outbox (per inbox and per recipient).

Revision ID: 0010_channels_send_rate
Revises: 0010_channels_whatsapp_templates
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_channels_send_rate"
down_revision: str | Sequence[str] | None = "0010_channels_whatsapp_templates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_rate_buckets",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tat", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_send_rate_buckets"),
    )


def downgrade() -> None:
    op.drop_table("send_rate_buckets")
