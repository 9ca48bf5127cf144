"""Analytics: tag cubes, so reports by tag or filtered by a tag read the rollups.

``report_rollups`` gains ``tag``, kept only by the new cubes "k" (tag) and "j" (tag,
language), where a conversation counts once per tag (untagged ones under NULL).

Unlike 0024's cubes, these are not a projection of any existing rows ("g" keeps no
tags), and a fact's contribution (durations into log buckets, business time, the days
it was resolved and reopened) is computed in Python: they cannot be derived here in
SQL. So every workspace that has facts is listed in ``report_tag_backfill``; its tag
reports keep reading the facts until ``meridian analytics rebuild --rollups-only`` (or
a full rebuild) has written its tag cubes and taken it off the list. Rows of other
cubes keep their key hashes (the tag is hashed only for tag cubes).

Revision ID: 0025_analytics_tag_cube
Revises: 0024_analytics_cubes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_analytics_tag_cube"
down_revision: str | Sequence[str] | None = "0024_analytics_cubes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TAG_CUBES = ("k", "j")


def upgrade() -> None:
    op.add_column("report_rollups", sa.Column("tag", sa.String(64), nullable=True))
    op.create_table(
        "report_tag_backfill",
        sa.Column(
            "workspace_id",
            sa.Uuid(),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.execute(
        sa.text(
            "INSERT INTO report_tag_backfill (workspace_id) "
            "SELECT DISTINCT workspace_id FROM report_conversations"
        )
    )


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM report_rollups WHERE cube IN {TAG_CUBES}"))
    op.drop_table("report_tag_backfill")
    op.drop_column("report_rollups", "tag")
