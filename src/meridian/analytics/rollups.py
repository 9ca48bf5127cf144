"""Maintaining the rollups: append deltas when a fact changes, fold them together later.

Appending instead of upserting means two workers recording events of the same day and
team never wait on (or deadlock over) the same rollup row; ``compact`` later merges
the rows of each key in one statement. Readers sum all rows of a key either way.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from meridian.analytics.buckets import BUCKETS
from meridian.analytics.facts import Delta, Fact, contribution
from meridian.analytics.models import COUNTERS, DIMENSIONS, HISTOGRAMS, ReportRollup

ROLLUPS: Table = ReportRollup.__table__  # type: ignore[assignment]
# Which dimensions each cube keeps (the others are stored as NULL). "g" is everything
# but the agent; "a" is for reports by agent, which would otherwise multiply every
# other tuple by the number of agents: it keeps the agent's team, region and language.
CUBES = {
    "g": frozenset(DIMENSIONS) - {"agent_id"},
    "a": frozenset({"language", "team_id", "agent_id", "region"}),
    # The workspace as a whole: one row per period, for the unfiltered dashboard.
    "t": frozenset[str](),
}
GRAINS = ("d", "w", "m")  # UTC day; ISO week (its Monday); month (its first day)
COMPACT_BATCH = 2000

Key = tuple[str, str, date, tuple[Any, ...]]


def period_of(day: date, grain: str) -> date:
    if grain == "m":
        return day.replace(day=1)
    if grain == "w":
        return day - timedelta(days=day.weekday())
    return day


def key_hash(workspace_id: uuid.UUID, key: Key) -> int:
    digest = hashlib.blake2b(repr((str(workspace_id), *key)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _keyed(fact: Fact, sign: int, into: dict[Key, Delta]) -> None:
    dims = fact.dims()
    cubes = [
        (cube, tuple(value if name in kept else None for name, value in zip(DIMENSIONS, dims, strict=True)))
        for cube, kept in CUBES.items()
    ]
    for day, delta in contribution(fact).items():
        for cube, cube_dims in cubes:
            for grain in GRAINS:
                key = (cube, grain, period_of(day, grain), cube_dims)
                target = into.get(key)
                if target is None:
                    target = into[key] = Delta()
                target.add(delta, sign)


def deltas(old: Fact | None, new: Fact | None) -> dict[Key, Delta]:
    """The change of every rollup key when ``old`` becomes ``new``; zero changes dropped."""
    out: dict[Key, Delta] = {}
    if old is not None:
        _keyed(old, -1, out)
    if new is not None:
        _keyed(new, +1, out)
    return {key: delta for key, delta in out.items() if not delta.is_zero()}


def sparse_array(buckets: dict[int, int]) -> str | None:
    """'[lo:hi]={...}' covering only the touched buckets (PostgreSQL subscripts are 1-based)."""
    used = sorted(index for index, count in buckets.items() if count)
    if not used:
        return None
    low, high = used[0], used[-1]
    values = ",".join(str(buckets.get(index, 0)) for index in range(low, high + 1))
    return f"[{low + 1}:{high + 1}]={{{values}}}"


def _row(workspace_id: uuid.UUID, key: Key, delta: Delta, *, compacted: bool) -> dict[str, Any]:
    cube, grain, period, dims = key
    row: dict[str, Any] = {
        "workspace_id": workspace_id,
        "key_hash": key_hash(workspace_id, key),
        "compacted": compacted,
        "cube": cube,
        "grain": grain,
        "period": period,
        **dict(zip(DIMENSIONS, dims, strict=True)),
    }
    for name in COUNTERS:
        row[name] = delta.counters.get(name, 0)
    histograms = delta.histograms
    for name in HISTOGRAMS:
        row[f"h_{name}"] = sparse_array(histograms[name]) if name in histograms else None
    return row


# One statement for every batch (executemany); histograms travel as array literals.
APPEND = insert(ROLLUPS).values(
    {name: cast(bindparam(f"h_{name}", type_=Text), ARRAY(Integer)) for name in HISTOGRAMS}
)


async def append(
    session: AsyncSession, workspace_id: uuid.UUID, changes: dict[Key, Delta], *, compacted: bool = False
) -> int:
    rows = [_row(workspace_id, key, delta, compacted=compacted) for key, delta in changes.items()]
    if rows:
        await session.execute(APPEND, rows)
    return len(rows)


async def record_change(session: AsyncSession, old: Fact | None, new: Fact | None) -> int:
    fact = new or old
    if fact is None:
        return 0
    return await append(session, fact.workspace_id, deltas(old, new))


def histogram_sums(name: str, source: str = "") -> list[ColumnElement[Any]]:
    prefix = f"{source}." if source else ""
    return [
        func.coalesce(func.sum(literal_column(f"{prefix}{name}[{index}]")), 0).label(f"{name}_{index}")
        for index in range(1, BUCKETS + 1)
    ]


def histogram_from(row: Any, name: str) -> list[int]:
    mapping = row._mapping
    return [int(mapping[f"{name}_{index}"]) for index in range(1, BUCKETS + 1)]


def _compact_sql() -> str:
    dims = ", ".join(DIMENSIONS)
    counters = ", ".join(f"sum({name})" for name in COUNTERS)
    arrays = ", ".join(
        "ARRAY[" + ", ".join(f"coalesce(sum({name}[{i}]), 0)" for i in range(1, BUCKETS + 1)) + "]::int[]"
        for name in HISTOGRAMS
    )
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in COUNTERS)
    columns = ", ".join(["workspace_id", "key_hash", "compacted", "cube", "grain", "period", *DIMENSIONS])
    return f"""
        WITH keys AS (
            SELECT DISTINCT key_hash FROM report_rollups
            WHERE workspace_id = :ws AND NOT compacted LIMIT :batch
        ), moved AS (
            DELETE FROM report_rollups r USING keys
            WHERE r.workspace_id = :ws AND r.key_hash = keys.key_hash
            RETURNING r.*
        )
        INSERT INTO report_rollups ({columns}, {", ".join(COUNTERS)}, {", ".join(HISTOGRAMS)})
        SELECT workspace_id, key_hash, true, cube, grain, period, {dims}, {counters}, {arrays}
        FROM moved
        GROUP BY workspace_id, key_hash, cube, grain, period, {dims}
        HAVING {nonzero}
    """


COMPACT_SQL = text(_compact_sql())


async def compact(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    """Merge the rows of every key that has uncompacted deltas; returns batches run.

    One compactor per workspace at a time (transaction-scoped advisory lock);
    deltas appended while it runs are simply left for the next pass.
    """
    locked = await session.scalar(
        select(func.pg_try_advisory_xact_lock(key_hash(workspace_id, ("compact", "", date.min, ()))))
    )
    if not locked:
        return 0
    batches = 0
    while True:
        pending = await session.scalar(
            select(ROLLUPS.c.id)
            .where(ROLLUPS.c.workspace_id == workspace_id, ROLLUPS.c.compacted.is_(False))
            .limit(1)
        )
        if pending is None:
            return batches
        await session.execute(COMPACT_SQL, {"ws": workspace_id, "batch": COMPACT_BATCH})
        batches += 1


async def workspaces_with_pending(session: AsyncSession) -> Sequence[uuid.UUID]:
    rows = await session.scalars(
        select(ROLLUPS.c.workspace_id).where(ROLLUPS.c.compacted.is_(False)).distinct()
    )
    return list(rows)


def totals(facts: Iterable[Fact]) -> dict[Key, Delta]:
    """Rollups computed from scratch: every fact's whole contribution, summed."""
    out: dict[Key, Delta] = {}
    for fact in facts:
        _keyed(fact, +1, out)
    return {key: delta for key, delta in out.items() if not delta.is_zero()}
