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
# Which dimensions each cube keeps (the others are stored as NULL), smallest first: a
# report reads the first cube that keeps its grouping and filters (``cube_for``), so its
# cost follows that cube's tuples per period, not the number of conversations. One small
# cube per grouping (a dimension and those it determines: an inbox its channel, a team
# its region, an agent mostly one team), the same with the language for a language
# filter, then "a" and "g" for other combinations. "g" keeps everything but the agent,
# whose tuples would multiply by the number of agents; "a" is reports by agent with
# their team, region and language. The tag cubes come last (``TAG_CUBES``). Every change
# appends one row per cube, grain and day touched (33 for a change on one day, three
# more per tag cube for each further tag); ``compact`` folds them.
CUBES: dict[str, frozenset[str]] = {
    # The workspace as a whole: one row per period, for the unfiltered dashboard.
    "t": frozenset[str](),
    "l": frozenset({"language", "tier"}),
    "c": frozenset({"channel", "inbox_id"}),
    "o": frozenset({"team_id", "region"}),
    "p": frozenset({"agent_id", "team_id", "region"}),
    "x": frozenset({"language", "channel", "inbox_id"}),
    "y": frozenset({"language", "team_id", "region"}),
    "a": frozenset({"language", "agent_id", "team_id", "region"}),
    "g": frozenset(DIMENSIONS) - {"agent_id"},
    # Tags are a list per conversation: a fact counts once in each of its tags' rows
    # (under a NULL tag when it has none, like the facts' "by tag" grouping), so these
    # rows add up to more than the conversations and serve only tag reports. They come
    # last: no other report keeps "tag", so ``cube_for`` never picks them for one.
    "k": frozenset({"tag"}),
    "j": frozenset({"tag", "language"}),
}
TAG_CUBES = frozenset({"k", "j"})
# A key's dimension tuple: the fact's dimensions, then the tag (None outside tag cubes).
KEY_DIMENSIONS = (*DIMENSIONS, "tag")
GRAINS = ("d", "w", "m")  # UTC day; ISO week (its Monday); month (its first day)
COMPACT_BATCH = 2000

Key = tuple[str, str, date, tuple[Any, ...]]
# Per cube, which positions of ``DIMENSIONS`` it keeps, and whether it keeps the tag.
_KEPT = [
    (cube, tuple(name in kept for name in DIMENSIONS), cube in TAG_CUBES) for cube, kept in CUBES.items()
]


def cube_for(dimensions: set[str]) -> str | None:
    """The smallest cube keeping every one of ``dimensions`` (None: only the facts can)."""
    return next((cube for cube, kept in CUBES.items() if dimensions <= kept), None)


def period_of(day: date, grain: str) -> date:
    if grain == "m":
        return day.replace(day=1)
    if grain == "w":
        return day - timedelta(days=day.weekday())
    return day


def period_end(period: date, grain: str) -> date:
    """The day after the last day of a period."""
    if grain == "m":
        return date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return period + timedelta(days=7 if grain == "w" else 1)


def key_hash(workspace_id: uuid.UUID, key: Key) -> int:
    cube, grain, period, dims = key
    if cube not in TAG_CUBES:
        # Only tag cubes hash the tag: the other cubes' keys keep the hashes their rows
        # got before tags were kept (0025), so new deltas still fold into those rows.
        dims = dims[: len(DIMENSIONS)]
    digest = hashlib.blake2b(
        repr((str(workspace_id), cube, grain, period, dims)).encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


# (day, every dimension, the tags) -> change
Base = dict[tuple[date, tuple[Any, ...], tuple[str, ...]], Delta]


def _add_fact(fact: Fact, sign: int, into: Base) -> None:
    dims = fact.dims()
    tags = tuple(fact.tags)
    for day, delta in contribution(fact).items():
        target = into.get((day, dims, tags))
        if target is None:
            target = into[(day, dims, tags)] = Delta()
        target.add(delta, sign)


class _Merger:
    """Sums deltas per key, sharing a delta object until a second one lands on its key:
    most keys of a change get exactly the same numbers, so they are added up once."""

    def __init__(self) -> None:
        self.sums: dict[Any, Delta] = {}
        self.owned: set[int] = set()

    def add(self, key: Any, delta: Delta) -> None:
        current = self.sums.get(key)
        if current is None:
            self.sums[key] = delta
            return
        if id(current) not in self.owned:
            copy = Delta()
            copy.add(current)
            self.sums[key] = current = copy
            self.owned.add(id(copy))
        current.add(delta)


def _project(dims: tuple[Any, ...], kept: tuple[bool, ...], tag: str | None) -> tuple[Any, ...]:
    return (*(value if keep else None for value, keep in zip(dims, kept, strict=True)), tag)


# The tag keys of a fact without tags: one, NULL (``sources.fact_keys`` groups it so).
_UNTAGGED: tuple[str | None, ...] = (None,)


def _fan_out(base: Base) -> dict[Key, Delta]:
    """Every cube's day keys from the base, then its week and month keys from its days
    (fewer than the base in all but the largest cubes). In a tag cube a fact's change
    lands on each of its tags: a tag removed is only in the old fact's (negative) part,
    a tag added only in the new one's."""
    out = _Merger()
    for cube, kept, by_tag in _KEPT:
        days = _Merger()
        for (day, dims, tags), delta in base.items():
            for tag in (tags or _UNTAGGED) if by_tag else _UNTAGGED:
                days.add((day, _project(dims, kept, tag)), delta)
        for (day, dims), delta in days.sums.items():
            # Sharing across the merger boundary is safe: ``out`` copies before adding.
            for grain in GRAINS:
                out.add((cube, grain, period_of(day, grain), dims), delta)
    return {key: delta for key, delta in out.sums.items() if not delta.is_zero()}


def deltas(old: Fact | None, new: Fact | None) -> dict[Key, Delta]:
    """The change of every rollup key when ``old`` becomes ``new``; zero changes dropped."""
    base: Base = {}
    if old is not None:
        _add_fact(old, -1, base)
    if new is not None:
        _add_fact(new, +1, base)
    return _fan_out({key: delta for key, delta in base.items() if not delta.is_zero()})


def sparse_array(buckets: dict[int, int]) -> str | None:
    """'[lo:hi]={...}' covering only the touched buckets (PostgreSQL subscripts are 1-based)."""
    used = sorted(index for index, count in buckets.items() if count)
    if not used:
        return None
    low, high = used[0], used[-1]
    values = ",".join(str(buckets.get(index, 0)) for index in range(low, high + 1))
    return f"[{low + 1}:{high + 1}]={{{values}}}"


def _measures(delta: Delta) -> dict[str, Any]:
    counters = delta.counters
    row: dict[str, Any] = {name: counters.get(name, 0) for name in COUNTERS}
    histograms = delta.histograms
    for name in HISTOGRAMS:
        row[f"h_{name}"] = sparse_array(histograms[name]) if name in histograms else None
    return row


def _rows(workspace_id: uuid.UUID, changes: dict[Key, Delta], *, compacted: bool) -> list[dict[str, Any]]:
    shared: dict[int, dict[str, Any]] = {}
    rows = []
    for key, delta in changes.items():
        measures = shared.get(id(delta))
        if measures is None:
            measures = shared[id(delta)] = _measures(delta)
        cube, grain, period, dims = key
        rows.append(
            {
                "workspace_id": workspace_id,
                "key_hash": key_hash(workspace_id, key),
                "compacted": compacted,
                "cube": cube,
                "grain": grain,
                "period": period,
                **dict(zip(KEY_DIMENSIONS, dims, strict=True)),
                **measures,
            }
        )
    return rows


# One statement for every batch (executemany); histograms travel as array literals.
APPEND = insert(ROLLUPS).values(
    {name: cast(bindparam(f"h_{name}", type_=Text), ARRAY(Integer)) for name in HISTOGRAMS}
)


# Above this many rows (rebuilds, bulk loads) ``append`` uses COPY: several times faster
# than one INSERT per row, and the array literals are parsed by the column's input.
COPY_ROWS = 1000
COPY_COLUMNS = (
    "workspace_id",
    "key_hash",
    "compacted",
    "cube",
    "grain",
    "period",
    *KEY_DIMENSIONS,
    *COUNTERS,
    *HISTOGRAMS,
)


async def _copy(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # psycopg's AsyncConnection, in the session's transaction
    fields = [name if name not in HISTOGRAMS else f"h_{name}" for name in COPY_COLUMNS]
    async with driver.cursor() as cursor:
        statement = f"COPY report_rollups ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        async with cursor.copy(statement) as copy:
            for row in rows:
                await copy.write_row([row[name] for name in fields])


async def append(
    session: AsyncSession, workspace_id: uuid.UUID, changes: dict[Key, Delta], *, compacted: bool = False
) -> int:
    rows = _rows(workspace_id, changes, compacted=compacted)
    if len(rows) > COPY_ROWS:
        await _copy(session, rows)
    elif rows:
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
    dims = ", ".join(KEY_DIMENSIONS)
    counters = ", ".join(f"sum({name})" for name in COUNTERS)
    arrays = ", ".join(
        "ARRAY[" + ", ".join(f"coalesce(sum({name}[{i}]), 0)" for i in range(1, BUCKETS + 1)) + "]::int[]"
        for name in HISTOGRAMS
    )
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in COUNTERS)
    columns = ", ".join(["workspace_id", "key_hash", "compacted", "cube", "grain", "period", *KEY_DIMENSIONS])
    return f"""
        WITH moved AS (
            DELETE FROM report_rollups
            WHERE workspace_id = :ws AND key_hash = ANY(CAST(:keys AS bigint[]))
            RETURNING *
        )
        INSERT INTO report_rollups ({columns}, {", ".join(COUNTERS)}, {", ".join(HISTOGRAMS)})
        SELECT workspace_id, key_hash, true, cube, grain, period, {dims}, {counters}, {arrays}
        FROM moved
        GROUP BY workspace_id, key_hash, cube, grain, period, {dims}
        HAVING {nonzero}
    """


COMPACT_SQL = text(_compact_sql())
# In key order from where the last batch ended, along the partial index of pending rows:
# each batch reads only its own keys' rows, so a backlog of millions of rows (a rebuild,
# a bulk load) compacts in one pass instead of rescanning what is left for every batch.
PENDING_KEYS = text(
    "SELECT DISTINCT key_hash FROM report_rollups "
    "WHERE workspace_id = :ws AND NOT compacted AND key_hash > :after "
    "ORDER BY key_hash LIMIT :batch"
)


async def compact(session: AsyncSession, workspace_id: uuid.UUID, *, batch: int = COMPACT_BATCH) -> int:
    """Merge the rows of every key that has uncompacted deltas; returns batches run.

    One compactor per workspace at a time (transaction-scoped advisory lock);
    deltas appended while it runs behind its position are left for the next pass.
    """
    locked = await session.scalar(
        select(func.pg_try_advisory_xact_lock(key_hash(workspace_id, ("compact", "", date.min, ()))))
    )
    if not locked:
        return 0
    batches = 0
    after = -(2**63)
    while True:
        found = await session.scalars(PENDING_KEYS, {"ws": workspace_id, "after": after, "batch": batch})
        keys = list(found)
        if not keys:
            return batches
        await session.execute(COMPACT_SQL, {"ws": workspace_id, "keys": keys})
        after = keys[-1]
        batches += 1


async def workspaces_with_pending(session: AsyncSession) -> Sequence[uuid.UUID]:
    rows = await session.scalars(
        select(ROLLUPS.c.workspace_id).where(ROLLUPS.c.compacted.is_(False)).distinct()
    )
    return list(rows)


def totals(facts: Iterable[Fact]) -> dict[Key, Delta]:
    """Rollups computed from scratch: every fact's whole contribution, summed."""
    base: Base = {}
    for fact in facts:
        _add_fact(fact, +1, base)
    return _fan_out(base)
