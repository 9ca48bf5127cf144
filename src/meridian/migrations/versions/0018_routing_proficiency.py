"""Agents' proficiency in each language they speak (native, fluent, basic), and their
capacity per channel.

Revision ID: 0018_routing_proficiency
Revises: 0017_perf_search_bigrams
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018_routing_proficiency"
down_revision: str | Sequence[str] | None = "0017_perf_search_bigrams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A language without an entry reads as "fluent": existing agents keep routing as before.
    op.add_column(
        "agents",
        sa.Column(
            "language_proficiency",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    # A channel without an entry is limited by max_concurrent alone.
    op.add_column(
        "agents",
        sa.Column(
            "channel_capacity",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("agents", "channel_capacity")
    op.drop_column("agents", "language_proficiency")
