"""API tokens an agent mints for themself: an optional expiry, and an index for listing
an agent's own tokens.

Revision ID: 0023_api_tokens
Revises: 0022_rls
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_api_tokens"
down_revision: str | Sequence[str] | None = "0022_rls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_api_tokens_agent_id", "api_tokens", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_agent_id", table_name="api_tokens")
    op.drop_column("api_tokens", "expires_at")
