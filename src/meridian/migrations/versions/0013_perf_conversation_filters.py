"""Indexes for conversation lists over large workspaces (docs/performance.md).

Without them a list with no status filter (the API's default, the console's "any
status") sorted every conversation of the workspace by last activity (230 ms at 100k
conversations, growing linearly), and a supervisor's "language X, tag Y" list and its
counts scanned every conversation (240 ms at 100k). ``varchar_pattern_ops`` serves both the equality and the
``language LIKE 'pt-%'`` prefix match the filter uses; ``jsonb_path_ops`` serves
``tags @> '["refund"]'``.

Revision ID: 0013_perf_conversation_filters
Revises: 0001_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_perf_conversation_filters"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_conversations_ws_activity",
        "conversations",
        ["workspace_id", sa.text("last_activity_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_conversations_tags",
        "conversations",
        ["tags"],
        postgresql_using="gin",
        postgresql_ops={"tags": "jsonb_path_ops"},
    )
    op.create_index(
        "ix_conversations_ws_language",
        "conversations",
        ["workspace_id", "language"],
        postgresql_ops={"language": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_ws_language", table_name="conversations")
    op.drop_index("ix_conversations_tags", table_name="conversations")
    op.drop_index("ix_conversations_ws_activity", table_name="conversations")
