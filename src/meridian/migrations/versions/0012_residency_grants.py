"""Data residency: agents' home region and region grants.

Regional databases need no revision here: they hold the vault tables only, created
from the vault models by ``meridian.vault.regions.create_vault_schema``.

Revision ID: 0012_residency_grants
Revises: 0008_privacy
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_residency_grants"
down_revision: str | Sequence[str] | None = "0008_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "agents", sa.Column("region", sa.String(length=32), nullable=False, server_default="default")
    )
    # NULL: every region (the default, and what admins get).
    op.add_column("agents", sa.Column("regions", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("agents", "regions")
    op.drop_column("agents", "region")
