"""The tamper-evident audit log: appending entries and verifying each workspace's chain.

Appends are serialized per workspace with a transaction-scoped advisory lock, so two
concurrent actions never both chain onto the same predecessor. An entry is written in
the transaction of the action it records: a rolled-back action leaves no entry.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.models import AuditEntry
from meridian.auth.service import Principal
from meridian.core.clock import utcnow

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the canonical JSON of every recorded field plus the previous hash."""
    fields = {
        "workspace_id": str(entry.workspace_id),
        "seq": entry.seq,
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_kind": entry.actor_kind,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
        # Normalized to UTC: the database may hand it back in the session's time zone.
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(_canonical(fields).encode()).hexdigest()


async def record(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    action: str,
    actor_id: uuid.UUID | None = None,
    actor_kind: str = "agent",
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction (the caller commits)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"audit:{workspace_id}"}
    )
    last = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash)
            .where(AuditEntry.workspace_id == workspace_id)
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
    ).first()
    entry = AuditEntry(
        workspace_id=workspace_id,
        seq=(last.seq + 1) if last else 1,
        actor_id=actor_id,
        actor_kind=actor_kind if actor_id or actor_kind != "agent" else "system",
        action=action,
        target=target,
        # Stored as JSONB: hash what will be read back, not the Python objects passed in.
        details=json.loads(_canonical(details or {})),
        created_at=utcnow(),
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    await session.flush()
    return entry


async def record_by(
    session: AsyncSession,
    principal: Principal,
    action: str,
    *,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return await record(
        session,
        workspace_id=principal.workspace_id,
        actor_id=principal.agent_id,
        action=action,
        target=target,
        details=details,
    )


@dataclass(frozen=True)
class ChainReport:
    workspace_id: uuid.UUID
    entries: int
    head: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def _entries(session: AsyncSession, workspace_id: uuid.UUID) -> AsyncIterator[AuditEntry]:
    after = 0
    while True:
        batch = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.workspace_id == workspace_id, AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(1000)
            )
        )
        for entry in batch:
            yield entry
        if len(batch) < 1000:
            return
        after = batch[-1].seq


async def verify_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> ChainReport:
    """Walk the chain from the first entry; report the first entry that does not fit.

    An altered entry no longer matches its own hash; a removed entry leaves a gap in
    ``seq`` and a ``prev_hash`` that points at nothing. Removing the newest entries
    leaves a shorter valid chain: compare the printed head with a copy kept elsewhere.
    """
    expected_seq, prev, count = 1, GENESIS, 0
    previous: AuditEntry | None = None
    async for entry in _entries(session, workspace_id):
        where = f"entry #{entry.seq} (id {entry.id}, {entry.action})"
        if entry.seq != expected_seq:
            missing = (
                f"#{expected_seq}" if entry.seq == expected_seq + 1 else f"#{expected_seq}-#{entry.seq - 1}"
            )
            return ChainReport(workspace_id, count, prev, f"entry {missing} was removed before {where}")
        if entry.prev_hash != prev:
            # The predecessor was rewritten with a fresh hash of its own, or this link was edited.
            culprit = (
                f"entry #{previous.seq} (id {previous.id}, {previous.action})"
                if previous
                else "the chain start"
            )
            return ChainReport(
                workspace_id, count, prev, f"{culprit} was altered: {where} recorded a different hash for it"
            )
        if entry_hash(entry) != entry.hash:
            return ChainReport(workspace_id, count, prev, f"{where} was altered")
        prev, expected_seq, count, previous = entry.hash, expected_seq + 1, count + 1, entry
    return ChainReport(workspace_id, count, prev)


async def verify_all(session: AsyncSession) -> list[ChainReport]:
    workspace_ids = list(
        await session.scalars(select(AuditEntry.workspace_id).distinct().order_by(AuditEntry.workspace_id))
    )
    return [await verify_workspace(session, ws) for ws in workspace_ids]


async def list_entries(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    before: int | None = None,
    action: str | None = None,
) -> tuple[list[AuditEntry], int | None]:
    """Newest first; ``before`` is the ``seq`` cursor returned as the next page."""
    stmt = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if before is not None:
        stmt = stmt.where(AuditEntry.seq < before)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    rows = list(await session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
    next_cursor = rows[limit - 1].seq if len(rows) > limit else None
    return rows[:limit], next_cursor
