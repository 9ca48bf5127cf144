"""Reports: the overview by group and time series (group names: labels.py)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics.buckets import percentile
from meridian.analytics.facts import Fact, contribution
from meridian.analytics.labels import key_text, labels
from meridian.analytics.measures import Sums, measures
from meridian.analytics.occupancy import attach_agent_time
from meridian.analytics.periods import spans
from meridian.analytics.query import GROUP_COLUMNS, all_of
from meridian.analytics.rollups import ROLLUPS, histogram_from, histogram_sums
from meridian.analytics.sources import (
    FACTS,
    ReportQuery,
    before_condition,
    each_fact,
    from_facts,
    from_rollups,
    reads_facts,
    span_condition,
)

# Up to this many conversations in range, reports read the facts and percentiles are
# exact; beyond it they read the rollups (histogram percentiles, within a few percent).
EXACT_LIMIT = 10_000
SERIES_COUNTERS = (
    "conversations",
    "resolutions",
    "backlog_delta",
    "csat_count",
    "csat_sum",
    "sla_met",
    "sla_breached",
)


async def exact_values(session: AsyncSession, q: ReportQuery, groups: dict[Hashable, Sums]) -> None:
    """Attach every cohort duration of the requested basis to its group (exact percentiles)."""
    c = FACTS.c
    business = q.basis == "business"
    resolved = and_(c.status == "resolved", c.resolution_s.is_not(None))
    by_tag = q.group_by == "tag"
    # By tag, the list of tags: a conversation counts in each, untagged ones under None.
    key = c.tags if by_tag else c[GROUP_COLUMNS[q.group_by]] if q.group_by else literal(None)
    stmt = select(
        key.label("key"),
        case(
            (
                c.first_response_s.is_not(None),
                func.coalesce(c.first_response_bs, 0.0) if business else c.first_response_s,
            )
        ).label("fr"),
        case((resolved, func.coalesce(c.resolution_bs, 0.0) if business else c.resolution_s)).label("res"),
        case(
            (
                c.next_responses > 0,
                (c.next_response_total_bs if business else c.next_response_total_s) / c.next_responses,
            )
        ).label("nr"),
    ).where(
        c.workspace_id == q.workspace_id,
        c.excluded.is_(False),
        c.created_at >= q.days.since,
        c.created_at < q.days.until,
        all_of(q.filters.conditions(FACTS)),
    )
    suffix = "_b" if business else "_c"
    for sums in groups.values():
        sums.values = {}
    for row in await session.execute(stmt):
        for group in (list(row.key) or [None]) if by_tag else [row.key]:
            sums = groups.setdefault(group, Sums(values={}))
            assert sums.values is not None
            for name in ("fr", "res", "nr"):
                value = getattr(row, name)
                if value is not None:
                    sums.values.setdefault(name + suffix, []).append(float(value))


async def _groups(
    session: AsyncSession, q: ReportQuery, exact_limit: int
) -> tuple[dict[Hashable, Sums], bool]:
    if await reads_facts(session, q):
        return await from_facts(session, q), True
    groups = await from_rollups(session, q)
    # By tag, a conversation with several tags is counted in each group: the sum is an
    # upper bound of the cohort, so exact percentiles stay within the limit's cost.
    exact = sum(s.counters.get("conversations", 0) for s in groups.values()) <= exact_limit
    if exact:
        # Counts come from the rollups either way; small cohorts get exact percentiles.
        await exact_values(session, q, groups)
    return groups, exact


async def overview(
    session: AsyncSession, q: ReportQuery, *, exact_limit: int = EXACT_LIMIT
) -> dict[str, Any]:
    groups, exact = await _groups(session, q, exact_limit)
    names = await labels(session, q.workspace_id, q.group_by, list(groups))
    total = Sums(values={} if exact else None)
    items = []
    for key, sums in groups.items():
        items.append(
            {"key": key_text(key), "label": names.get(key, key_text(key)), **measures(sums, q.basis)}
        )
        if q.group_by != "tag":
            total.merge(sums)
    if q.group_by == "tag":
        # A conversation with two tags is in two groups; totals count it once, read
        # like the same report without the grouping (so exact when the groups are).
        whole = ReportQuery(q.workspace_id, q.days, q.filters, None, q.basis)
        if await reads_facts(session, whole):
            total = (await from_facts(session, whole)).get(None, total)
        else:
            ungrouped = await from_rollups(session, whole)
            if exact:
                await exact_values(session, whole, ungrouped)
            total = ungrouped.get(None, Sums(values={} if exact else None))
    # Agent time (analytics/occupancy.py): by agent or team, and in total.
    agent_time = await attach_agent_time(session, q=q, items=items)
    items.sort(key=lambda item: (-item["conversations"], item["key"] or ""))
    return {
        "since": q.days.since.isoformat(),
        "until": q.days.until.isoformat(),
        "group_by": q.group_by,
        "basis": q.basis,
        "filters": q.filters.as_query(),
        "percentiles": "exact" if exact else "approximate",
        "totals": {**measures(total, q.basis), **agent_time},
        "groups": items,
    }


def period_start(day: date, interval: str) -> date:
    return day - timedelta(days=day.weekday()) if interval == "week" else day


async def _series_from_rollups(
    session: AsyncSession, q: ReportQuery, interval: str
) -> tuple[dict[date, Sums], int]:
    c = ROLLUPS.c
    fr, res = q.histograms[0], q.histograms[1]
    base = [c.workspace_id == q.workspace_id, c.cube == q.cube, *q.filters.conditions(ROLLUPS)]
    covering = [("d", q.days.start, q.days.end)] if interval == "day" else spans(q.days, months=False)
    counters = [func.coalesce(func.sum(c[name]), 0).label(name) for name in SERIES_COUNTERS]
    stmt = (
        select(c.period, *counters, *histogram_sums(fr), *histogram_sums(res))
        .where(*base, span_condition(covering))
        .group_by(c.period)
    )
    buckets: dict[date, Sums] = {}
    for row in await session.execute(stmt):
        sums = Sums()
        for name in SERIES_COUNTERS:
            sums.counters[name] = int(row._mapping[name])
        sums.histograms[fr] = histogram_from(row, fr)
        sums.histograms[res] = histogram_from(row, res)
        buckets.setdefault(period_start(row.period, interval), Sums()).merge(sums)
    opening = await session.scalar(
        select(func.coalesce(func.sum(c.backlog_delta), 0)).where(*base, before_condition(q.days.start))
    )
    return buckets, int(opening or 0)


async def _series_from_facts(
    session: AsyncSession, q: ReportQuery, interval: str
) -> tuple[dict[date, Sums], int]:
    buckets: dict[date, Sums] = {}
    opening = 0

    def visit(fact: Fact) -> None:
        nonlocal opening
        for day, delta in contribution(fact).items():
            if day < q.days.start:
                opening += delta.counters.get("backlog_delta", 0)
            elif day < q.days.end:
                sums = buckets.setdefault(period_start(day, interval), Sums())
                for name, value in delta.counters.items():
                    sums.counters[name] += value
                for name, counts in delta.histograms.items():
                    for index, count in counts.items():
                        sums.histograms[name][index] += count

    await each_fact(session, q, visit)
    return buckets, opening


async def timeseries(session: AsyncSession, q: ReportQuery, *, interval: str = "day") -> dict[str, Any]:
    # A series has no groups: read the cube of its filters alone (a tag cube summed over
    # every tag would count a conversation with two tags twice).
    q = replace(q, group_by=None)
    reader = _series_from_facts if await reads_facts(session, q) else _series_from_rollups
    buckets, backlog = await reader(session, q, interval)
    fr, res = q.histograms[0], q.histograms[1]
    points = []
    for start in sorted({period_start(day, interval) for day in q.days.days()}):
        sums = buckets.get(start, Sums())
        c = sums.counters
        backlog += c["backlog_delta"]
        answered = c["sla_met"] + c["sla_breached"]
        points.append(
            {
                "period": start.isoformat(),
                "conversations": c["conversations"],
                "resolved": c["resolutions"],
                "backlog": backlog,
                "first_response_p50_s": _round(percentile(sums.histograms[fr], 0.5)),
                "resolution_p50_s": _round(percentile(sums.histograms[res], 0.5)),
                "csat_avg": round(c["csat_sum"] / c["csat_count"], 2) if c["csat_count"] else None,
                "sla_attainment": round(c["sla_met"] / answered, 4) if answered else None,
            }
        )
    return {
        "since": q.days.since.isoformat(),
        "until": q.days.until.isoformat(),
        "interval": interval,
        "basis": q.basis,
        "filters": q.filters.as_query(),
        "points": points,
    }


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None
