"""Recomputing facts and rollups from the report event log, from scratch.

Facts are folded conversation by conversation from ``report_events`` (the same
``fold`` the live recorder uses) and rollups are the sums of their contributions,
written already compacted. The whole rebuild of a workspace is one transaction:
reports show the old figures until it commits, and live recording for that workspace
waits on the rebuild lock meanwhile instead of writing into half-built tables.

``replay=True`` first derives report events from the stored domain events, for data
that predates analytics (dimensions are then those the conversations have now).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics import rollups
from meridian.analytics.facts import Fact, fold
from meridian.analytics.models import ReportEvent, ReportFact, ReportRollup
from meridian.analytics.record import record
from meridian.db.engine import Database
from meridian.events.models import DomainEvent

BATCH = 2000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RebuildResult:
    conversations: int
    report_events: int
    rollup_rows: int
    replayed: int


def rebuild_lock(workspace_id: uuid.UUID) -> int:
    # The recorder takes the same key shared (``record.Recording.load``).
    return rollups.key_hash(workspace_id, ("rebuild", "", date.min, ()))


async def conversation_count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count(func.distinct(ReportEvent.conversation_id))).where(
                ReportEvent.workspace_id == workspace_id
            )
        )
        or 0
    )


async def _replay(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    replayed = 0
    last = 0
    while True:
        events = list(
            await session.scalars(
                select(DomainEvent)
                .where(DomainEvent.workspace_id == workspace_id, DomainEvent.id > last)
                .order_by(DomainEvent.id)
                .limit(BATCH)
            )
        )
        if not events:
            return replayed
        for event in events:
            replayed += len(await record(session, event))
            last = event.id


async def _clear(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    await session.execute(delete(ReportFact).where(ReportFact.workspace_id == workspace_id))
    await session.execute(delete(ReportRollup).where(ReportRollup.workspace_id == workspace_id))


async def _flush(session: AsyncSession, workspace_id: uuid.UUID, facts: list[Fact]) -> int:
    if not facts:
        return 0
    await session.execute(insert(ReportFact).values([fact.values() for fact in facts]))
    return await rollups.append(session, workspace_id, rollups.totals(facts))


async def rebuild_workspace(
    db: Database, workspace_id: uuid.UUID, *, replay: bool = False, progress: Progress | None = None
) -> RebuildResult:
    async with db.session() as session:
        await session.execute(select(func.pg_advisory_xact_lock(rebuild_lock(workspace_id))))
        await _clear(session, workspace_id)
        replayed = 0
        if replay:
            # The recorder folds every domain event again, from empty facts, writing the
            # report events that are missing; what it leaves behind is then rebuilt.
            replayed = await _replay(session, workspace_id)
            await _clear(session, workspace_id)
        stream = await session.stream_scalars(
            select(ReportEvent)
            .where(ReportEvent.workspace_id == workspace_id)
            .order_by(ReportEvent.conversation_id, ReportEvent.id)
            .execution_options(yield_per=BATCH)
        )
        facts: list[Fact] = []
        current: Fact | None = None
        conversations = events = rows = 0
        async for event in stream:
            events += 1
            if current is not None and current.conversation_id != event.conversation_id:
                facts.append(current)
                current = None
                if len(facts) >= BATCH:
                    rows += await _flush(session, workspace_id, facts)
                    conversations += len(facts)
                    if progress:
                        progress(len(facts))
                    facts = []
            current = fold(current, event)
        if current is not None:
            facts.append(current)
        rows += await _flush(session, workspace_id, facts)
        conversations += len(facts)
        if progress and facts:
            progress(len(facts))
        # Batches cut across rollup keys; one pass merges them.
        await rollups.compact(session, workspace_id)
        await session.commit()
    return RebuildResult(conversations, events, rows, replayed)


async def workspace_ids(db: Database) -> list[uuid.UUID]:
    async with db.session() as session:
        found = await session.scalars(select(ReportEvent.workspace_id).distinct())
        return list(found)
