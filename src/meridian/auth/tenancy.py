"""Row-level security, request side: name the caller's workspace to PostgreSQL.

Migration 0021 gives every workspace-scoped table a ``workspace_isolation`` policy that
compares ``workspace_id`` with the transaction setting ``meridian.workspace_id``. Once a
request's principal is known, every transaction of its session starts with that setting
and ``SET LOCAL ROLE meridian_tenant``: a role that neither owns the tables nor bypasses
row security, because superusers (tests, the embedded server) and owners would otherwise
skip the policy. Both are transaction-local, so a pooled connection goes back clean.

A session that was never bound (jobs, the event dispatcher, the outbox relay, webhooks
before their inbox is loaded, the CLI) sets nothing and sees every workspace: the
services' own ``workspace_id`` filters stay the first wall, this is the second.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

TENANT_ROLE = "meridian_tenant"
_INFO_KEY = "meridian.workspace_id"

# The role switch is skipped when the role is missing (a DBA has not created it yet) or
# the connecting role may not assume it: the setting alone still binds a non-superuser
# owner, since 0021 forces the policy on owners (all tables but the three search tables,
# which 0022 leaves unforced so that their SECURITY DEFINER search functions keep their
# indexes). CASE keeps pg_has_role from seeing a role name that does not exist.
_ENTER = text(
    "SELECT set_config('meridian.workspace_id', :workspace_id, true), "
    "CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meridian_tenant') THEN "
    "CASE WHEN pg_has_role('meridian_tenant', 'MEMBER') "
    "THEN set_config('role', 'meridian_tenant', true) END END"
)


def bound_workspace(session: AsyncSession | Session) -> uuid.UUID | None:
    info = session.info
    value = info.get(_INFO_KEY)
    return value if isinstance(value, uuid.UUID) else None


async def bind_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    """Confine this session to one workspace, from its current transaction on."""
    session.info[_INFO_KEY] = workspace_id
    if session.in_transaction():
        await session.execute(_ENTER, {"workspace_id": str(workspace_id)})


@event.listens_for(Session, "after_begin")
def _enter_workspace(session: Session, transaction: SessionTransaction, connection: Connection) -> Any:
    workspace_id = bound_workspace(session)
    if workspace_id is not None:
        connection.execute(_ENTER, {"workspace_id": str(workspace_id)})
