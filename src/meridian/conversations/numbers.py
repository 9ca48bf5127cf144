"""Conversation numbers: unique per workspace, handed out by a PostgreSQL sequence.

A sequence hands out numbers without holding a lock until commit, so concurrent ingest
transactions creating conversations in one workspace never queue behind each other (a
counter column on the workspace row did exactly that: every new conversation held the
workspace row locked until its transaction ended). A rolled-back transaction leaves a
gap, as ticket numbers in every helpdesk do.

The sequence is created with the workspace, in its transaction
(``workspaces.service.create_workspace``); workspaces created before sequences existed
got theirs from migration 0015, which also dropped the old counter column.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def sequence_name(workspace_id: uuid.UUID) -> str:
    return f"conversation_number_{workspace_id.hex}"


async def create_number_sequence(session: AsyncSession, workspace_id: uuid.UUID, *, start: int = 1) -> None:
    """Create the workspace's sequence in the caller's transaction (DDL is transactional)."""
    # The name is built from a UUID's hex digits and the start is an int: nothing to escape.
    await session.execute(
        text(
            f'CREATE SEQUENCE IF NOT EXISTS "{sequence_name(workspace_id)}" AS bigint START WITH {int(start)}'
        )
    )


async def next_number(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    number = await session.scalar(text("SELECT nextval(:name)"), {"name": sequence_name(workspace_id)})
    assert number is not None
    return int(number)
