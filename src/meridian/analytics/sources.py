"""Reading sums per group, from the rollups (fast) or from the facts (exact, any filter).

The rollup path reads as few rows as cover the range (``periods.spans``) and sums only
the histograms of the requested basis (calendar or business time). The facts path
folds ``facts.contribution`` over each matching conversation, the same function the
rollups are built from, and keeps the raw durations for exact percentiles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics.facts import Fact, contribution, observations, utc_day
from meridian.analytics.measures import Sums
from meridian.analytics.models import COUNTERS, ReportFact, ReportTagBackfill
from meridian.analytics.periods import Span, spans, spans_before
from meridian.analytics.query import GROUP_COLUMNS, DayRange, Filters, all_of, check_group, day_range
from meridian.analytics.rollups import ROLLUPS, cube_for, histogram_from, histogram_sums
from meridian.core.errors import ProblemError
from meridian.core.ids import parse_id

FACTS: Any = ReportFact.__table__
FACT_COLUMNS = [f.name for f in fields(Fact)]
# group_by name -> the rollup column: the tag cubes keep one tag per row.
ROLLUP_GROUP_COLUMNS = {**GROUP_COLUMNS, "tag": "tag"}


@dataclass(frozen=True)
class ReportQuery:
    workspace_id: uuid.UUID
    days: DayRange
    filters: Filters
    group_by: str | None = None
    basis: str = "calendar"

    @property
    def dimensions(self) -> set[str]:
        """The dimension columns the report groups or filters by."""
        needed = set(self.filters.dimensions())
        if self.group_by is not None:
            needed.add(ROLLUP_GROUP_COLUMNS[self.group_by])
        return needed

    @property
    def cube(self) -> str:
        """The smallest cube keeping the grouping and every filter (a role-limited reader
        filters by team or inbox, so it never reads "t"); "g" when none does, in which
        case ``needs_facts`` sends the report to the facts."""
        return cube_for(self.dimensions) or "g"

    @property
    def needs_facts(self) -> bool:
        """Whether only the facts can answer: combinations no cube keeps (a report by
        agent filtered by channel, inbox or tier; by tag with any filter but the
        language; by tag filtered by a tag, whose groups are the tags that conversations
        share with it, which a row of one tag does not know). See also ``reads_facts``:
        tag cubes not yet backfilled."""
        if self.group_by == "tag" and self.filters.tag is not None:
            return True
        return cube_for(self.dimensions) is None

    @property
    def by_tag(self) -> bool:
        return self.filters.tag is not None or self.group_by == "tag"

    @property
    def histograms(self) -> tuple[str, ...]:
        suffix = "_b" if self.basis == "business" else "_c"
        return tuple(name + suffix for name in ("fr", "res", "nr"))


async def reads_facts(session: AsyncSession, q: ReportQuery) -> bool:
    """``needs_facts``, or a tag report in a workspace whose tag cubes have not been
    written yet (rollups from before migration 0025, until the next rebuild)."""
    if q.needs_facts:
        return True
    if not q.by_tag:
        return False
    pending = await session.scalar(
        select(ReportTagBackfill.workspace_id).where(ReportTagBackfill.workspace_id == q.workspace_id)
    )
    return pending is not None


def _id(value: str | None, name: str) -> uuid.UUID | None:
    if not value:
        return None
    parsed = parse_id(value)
    if parsed is None:
        raise ProblemError(422, f"{name}: not an id", errors=[{"pointer": name, "message": "not an id"}])
    return parsed


def make_query(workspace_id: uuid.UUID, **params: str | None) -> ReportQuery:
    """A report query from request parameters (API and console); bad values are 422."""
    filters = Filters(
        language=params.get("language") or None,
        channel=params.get("channel") or None,
        team_id=_id(params.get("team_id"), "team_id"),
        inbox_id=_id(params.get("inbox_id"), "inbox_id"),
        agent_id=_id(params.get("agent_id"), "agent_id"),
        region=params.get("region") or None,
        tier=params.get("tier") or None,
        tag=params.get("tag") or None,
    )
    days = day_range(params.get("since") or None, params.get("until") or None)
    basis = params.get("basis") or "calendar"
    if basis not in ("calendar", "business"):
        raise ProblemError(
            422, "basis: calendar or business", errors=[{"pointer": "basis", "message": "unknown basis"}]
        )
    return ReportQuery(workspace_id, days, filters, check_group(params.get("group_by")), basis)


def span_condition(covering: list[Span]) -> ColumnElement[bool]:
    c = ROLLUPS.c
    if not covering:
        return false()
    return or_(*(and_(c.grain == grain, c.period >= first, c.period < end) for grain, first, end in covering))


def period_condition(days: DayRange) -> ColumnElement[bool]:
    """Rollup rows covering exactly ``days``."""
    return span_condition(spans(days))


def before_condition(end: date) -> ColumnElement[bool]:
    """Rollup rows covering every day before ``end`` (running totals such as backlog)."""
    return span_condition(spans_before(end))


def _group_column(group_by: str | None) -> ColumnElement[Any]:
    if group_by is None:
        return literal(None).label("key")
    return ROLLUPS.c[ROLLUP_GROUP_COLUMNS[group_by]].label("key")


def _rollup_base(q: ReportQuery, *columns: Any) -> Select[Any]:
    c = ROLLUPS.c
    return (
        select(_group_column(q.group_by), *columns)
        .where(c.workspace_id == q.workspace_id, c.cube == q.cube, *q.filters.conditions(ROLLUPS))
        .group_by(literal(1) if q.group_by is None else c[ROLLUP_GROUP_COLUMNS[q.group_by]])
    )


async def from_rollups(session: AsyncSession, q: ReportQuery) -> dict[Hashable, Sums]:
    histograms = q.histograms
    counters = [func.coalesce(func.sum(ROLLUPS.c[name]), 0).label(name) for name in COUNTERS]
    hists = [column for name in histograms for column in histogram_sums(name)]
    out: dict[Hashable, Sums] = {}
    for row in await session.execute(_rollup_base(q, *counters, *hists).where(period_condition(q.days))):
        sums = Sums()
        for name in COUNTERS:
            sums.counters[name] = int(row._mapping[name])
        for name in histograms:
            sums.histograms[name] = histogram_from(row, name)
        out[row.key] = sums
    backlog = _rollup_base(q, func.coalesce(func.sum(ROLLUPS.c.backlog_delta), 0)).where(
        before_condition(q.days.end)
    )
    for key, value in await session.execute(backlog):
        out.setdefault(key, Sums()).backlog = int(value)
    return out


def relevant_facts(q: ReportQuery) -> Select[Any]:
    """Facts that can add anything to the range: created in it, or still active in it."""
    c = FACTS.c
    since = q.days.since
    return select(*[c[name] for name in FACT_COLUMNS]).where(
        c.workspace_id == q.workspace_id,
        c.excluded.is_(False),
        c.created_at < q.days.until,
        # Resolved before the range and never reopened: adds nothing to it.
        or_(c.created_at >= since, c.status != "resolved", c.resolved_at >= since, c.reopens > 0),
        all_of(q.filters.conditions(FACTS)),
    )


def fact_keys(fact: Fact, group_by: str | None) -> list[Hashable]:
    if group_by is None:
        return [None]
    if group_by == "tag":
        return list(fact.tags) or [None]
    value: Hashable = getattr(fact, GROUP_COLUMNS[group_by])
    return [value]


def add_fact(sums: Sums, fact: Fact, days: DayRange) -> None:
    for day, delta in contribution(fact).items():
        if day < days.end:
            sums.backlog += delta.counters.get("backlog_delta", 0)
        if days.start <= day < days.end:
            for name, value in delta.counters.items():
                if name != "backlog_delta":
                    sums.counters[name] += value
            for name, buckets in delta.histograms.items():
                for index, count in buckets.items():
                    sums.histograms[name][index] += count
    if sums.values is not None and days.start <= utc_day(fact.created_at) < days.end:
        for name, seconds in observations(fact).items():
            sums.values.setdefault(name, []).append(seconds)


async def each_fact(session: AsyncSession, q: ReportQuery, visit: Callable[[Fact], None]) -> None:
    result = await session.stream(relevant_facts(q).execution_options(yield_per=2000))
    async for row in result:
        visit(Fact(**row._mapping))


async def from_facts(session: AsyncSession, q: ReportQuery) -> dict[Hashable, Sums]:
    out: dict[Hashable, Sums] = {}

    def visit(fact: Fact) -> None:
        for key in fact_keys(fact, q.group_by):
            add_fact(out.setdefault(key, Sums(values={})), fact, q.days)

    await each_fact(session, q, visit)
    return out
