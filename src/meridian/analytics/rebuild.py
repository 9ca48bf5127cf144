"""Recomputing facts and rollups from the report event log, from scratch.

Facts are folded conversation by conversation from ``report_events`` (the same
``fold`` the live recorder uses) and rollups are the sums of their contributions,
written already compacted. The whole rebuild of a workspace is one transaction:
reports show the old figures until it commits, and live recording for that workspace
waits on the rebuild lock meanwhile instead of writing into half-built tables.

``replay=True`` first derives report events from the stored domain events, for data
that predates analytics (dimensions are then those the conversations have now).
``rebuild_rollups`` keeps the facts and recomputes only the rollups from them: what a
change of cubes needs, and the only rebuild for facts loaded without their report
events (the benchmark's generated workspace).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics import rollups
from meridian.analytics.facts import Delta, Fact, fold, utc_day
from meridian.analytics.models import ReportEvent, ReportFact, ReportRollup, ReportTagBackfill
from meridian.analytics.record import record
from meridian.db.engine import Database
from meridian.events.models import DomainEvent

BATCH = 2000
# Rollup sums are held in memory for this many facts before they are appended: facts
# come in creation order, so a batch shares most of its week and month keys and a
# million conversations append a few hundred thousand rows rather than millions.
ROLLUP_BATCH = 25_000
COMPACT_BATCH = 10_000
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


async def _clear_rollups(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    await session.execute(delete(ReportRollup).where(ReportRollup.workspace_id == workspace_id))
    # The rebuild writes the tag cubes too: tag reports may read them once it commits.
    await session.execute(delete(ReportTagBackfill).where(ReportTagBackfill.workspace_id == workspace_id))


async def _clear(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    await session.execute(delete(ReportFact).where(ReportFact.workspace_id == workspace_id))
    await _clear_rollups(session, workspace_id)


class _Rollups:
    """Sums of fact contributions, appended every ``ROLLUP_BATCH`` facts."""

    def __init__(self, session: AsyncSession, workspace_id: uuid.UUID) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.pending: list[Fact] = []
        self.rows = 0

    async def add(self, facts: list[Fact]) -> None:
        self.pending.extend(facts)
        if len(self.pending) >= ROLLUP_BATCH:
            await self.flush()

    async def flush(self) -> None:
        if self.pending:
            self.rows += await rollups.append(self.session, self.workspace_id, rollups.totals(self.pending))
            self.pending = []


class _InOrder:
    """Rollup sums of facts arriving in creation order, written once and compacted.

    A fact adds to its creation day and to later days (resolutions, reopenings), never
    to an earlier one; so once the facts have reached a day, every period that ended
    before it is final and is written as one compacted row, and the rest waits in
    memory (a month of keys at most). No compaction pass is needed afterwards. (Were a
    fact ever to add to a day before its creation, that key would get a second
    compacted row: readers sum every row of a key, so the figures stay right.)
    """

    def __init__(self, session: AsyncSession, workspace_id: uuid.UUID) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.open: dict[rollups.Key, Delta] = {}
        self.rows = 0

    async def add(self, facts: list[Fact]) -> None:
        if not facts:
            return
        for key, delta in rollups.totals(facts).items():
            held = self.open.get(key)
            if held is not None:
                # Deltas from ``totals`` may be shared between keys: sum into a new one.
                merged = Delta()
                merged.add(held)
                merged.add(delta)
                delta = merged
            self.open[key] = delta
        reached = utc_day(facts[-1].created_at)
        final = {
            key: delta for key, delta in self.open.items() if rollups.period_end(key[2], key[1]) <= reached
        }
        await self._write(final)

    async def _write(self, final: dict[rollups.Key, Delta]) -> None:
        for key in final:
            del self.open[key]
        final = {key: delta for key, delta in final.items() if not delta.is_zero()}
        self.rows += await rollups.append(self.session, self.workspace_id, final, compacted=True)

    async def flush(self) -> None:
        await self._write(dict(self.open))


async def _flush(session: AsyncSession, sums: _Rollups, facts: list[Fact]) -> None:
    if facts:
        await session.execute(insert(ReportFact).values([fact.values() for fact in facts]))
        await sums.add(facts)


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
        sums = _Rollups(session, workspace_id)
        facts: list[Fact] = []
        current: Fact | None = None
        conversations = events = 0
        async for event in stream:
            events += 1
            if current is not None and current.conversation_id != event.conversation_id:
                facts.append(current)
                current = None
                if len(facts) >= BATCH:
                    await _flush(session, sums, facts)
                    conversations += len(facts)
                    if progress:
                        progress(len(facts))
                    facts = []
            current = fold(current, event)
        if current is not None:
            facts.append(current)
        await _flush(session, sums, facts)
        await sums.flush()
        conversations += len(facts)
        if progress and facts:
            progress(len(facts))
        # Batches cut across rollup keys; one pass merges them.
        await rollups.compact(session, workspace_id, batch=COMPACT_BATCH)
        await session.commit()
    return RebuildResult(conversations, events, sums.rows, replayed)


async def fact_count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(ReportFact).where(ReportFact.workspace_id == workspace_id)
        )
        or 0
    )


async def rebuild_rollups(
    db: Database, workspace_id: uuid.UUID, *, progress: Progress | None = None
) -> RebuildResult:
    """Recompute the rollups of a workspace from its facts, which stay as they are.

    Streams the facts in creation order; like ``rebuild_workspace`` it is one
    transaction, so reports show the old rollups until it commits.
    """
    columns = [ReportFact.__table__.c[f.name] for f in fields(Fact)]
    async with db.session() as session:
        await session.execute(select(func.pg_advisory_xact_lock(rebuild_lock(workspace_id))))
        await _clear_rollups(session, workspace_id)
        stream = await session.stream(
            select(*columns)
            .where(ReportFact.workspace_id == workspace_id)
            .order_by(ReportFact.created_at)
            .execution_options(yield_per=BATCH)
        )
        sums = _InOrder(session, workspace_id)
        conversations = 0
        facts: list[Fact] = []
        async for part in stream.partitions(BATCH):
            facts.extend(Fact(**row._mapping) for row in part)
            conversations += len(part)
            if len(facts) >= ROLLUP_BATCH:
                await sums.add(facts)
                facts = []
            if progress:
                progress(len(part))
        await sums.add(facts)
        await sums.flush()
        await session.commit()
    return RebuildResult(conversations, 0, sums.rows, 0)


async def workspace_ids(db: Database, *, with_facts: bool = False) -> list[uuid.UUID]:
    """Workspaces with report events (or, ``with_facts``, with facts) to rebuild."""
    column = ReportFact.workspace_id if with_facts else ReportEvent.workspace_id
    async with db.session() as session:
        found = await session.scalars(select(column).distinct())
        return list(found)
