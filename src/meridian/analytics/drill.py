"""The conversations behind a number, and volume by hour of the customer's week."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, func, literal, literal_column, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics.query import GROUP_COLUMNS, all_of
from meridian.analytics.sources import FACTS, ReportQuery
from meridian.core.errors import ProblemError
from meridian.core.ids import parse_id

c = FACTS.c


def _timeline_has(kind: str, q: ReportQuery) -> ColumnElement[bool]:
    # Timeline entries are ["YYYY-MM-DD", kind]; ISO dates compare correctly as strings.
    path: ColumnElement[Any] = literal_column(
        "'strict $[*] ? (@[1] == $kind && @[0] >= $start && @[0] < $end)'::jsonpath"
    )
    variables = {"kind": kind, "start": q.days.start.isoformat(), "end": q.days.end.isoformat()}
    return func.jsonb_path_exists(c.timeline, path, _jsonb(variables))


def _jsonb(value: dict[str, str]) -> ColumnElement[Any]:
    return cast(literal(json.dumps(value)), JSONB)


def open_at_end(q: ReportQuery) -> ColumnElement[bool]:
    """Open when the range ends: created before, and not resolved by its last event before."""
    path: ColumnElement[Any] = literal_column("'strict $[*] ? (@[0] < $end)'::jsonpath")
    before = func.jsonb_path_query_array(c.timeline, path, _jsonb({"end": q.days.end.isoformat()}))
    last_kind = func.coalesce(before.op("->")(-1).op("->>")(1), "open")
    return and_(c.created_at < q.days.until, last_kind != "resolved")


def _cohort(q: ReportQuery) -> ColumnElement[bool]:
    return and_(c.created_at >= q.days.since, c.created_at < q.days.until)


def metric_condition(metric: str, q: ReportQuery) -> ColumnElement[bool]:
    resolved = and_(c.status == "resolved", c.resolution_s.is_not(None))
    cohort_only: dict[str, ColumnElement[bool]] = {
        "conversations": true(),
        "new": true(),
        "first_responses": c.first_response_s.is_not(None),
        "resolved_conversations": resolved,
        "reopened_conversations": c.reopens > 0,
        "first_contact_resolutions": and_(resolved, c.reopens == 0, c.human_replies <= 1),
        "bot_deflected": and_(resolved, c.bot_replies > 0, c.human_replies == 0),
        "bot_engaged": c.bot_replies > 0,
        "sla_met": c.sla == "met",
        "sla_breached": c.sla == "breached",
        "csat_responses": c.csat_rating.is_not(None),
        "csat_surveys": c.csat_sent_at.is_not(None),
        "handoffs": c.handoffs > 0,
    }
    if metric in cohort_only:
        return and_(_cohort(q), cohort_only[metric])
    if metric == "resolved":
        return _timeline_has("resolved", q)
    if metric == "reopens":
        return _timeline_has("reopened", q)
    if metric == "backlog":
        return open_at_end(q)
    raise ProblemError(
        422,
        "metric: one of " + ", ".join([*cohort_only, "resolved", "reopens", "backlog"]),
        errors=[{"pointer": "metric", "message": "unknown metric"}],
    )


def key_condition(q: ReportQuery, key: str | None) -> ColumnElement[bool]:
    if q.group_by is None or key is None:
        return true()
    if q.group_by == "tag":
        return c.tags.contains([key]) if key else func.cardinality(c.tags) == 0
    column: ColumnElement[Any] = c[GROUP_COLUMNS[q.group_by]]
    if key == "":
        return column.is_(None)
    if q.group_by in ("team", "agent", "inbox"):
        ident = parse_id(key)
        return column == ident if ident is not None else literal(False)
    return column == key


def _cursor(created_at: datetime, ident: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{ident}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.partition("|")
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise ProblemError(422, "cursor: not a cursor returned by this endpoint") from None


DRILL_COLUMNS = (
    "conversation_id",
    "number",
    "created_at",
    "status",
    "language",
    "channel",
    "inbox_id",
    "team_id",
    "agent_id",
    "region",
    "tier",
    "tags",
    "first_response_s",
    "resolution_s",
    "reopens",
    "handoffs",
    "sla",
    "csat_rating",
)


async def conversations(
    session: AsyncSession,
    q: ReportQuery,
    *,
    metric: str,
    key: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    stmt = select(*[c[name] for name in DRILL_COLUMNS]).where(
        c.workspace_id == q.workspace_id,
        c.excluded.is_(False),
        metric_condition(metric, q),
        key_condition(q, key),
        all_of(q.filters.conditions(FACTS)),
    )
    if cursor:
        when, ident = _decode(cursor)
        stmt = stmt.where(or_(c.created_at < when, and_(c.created_at == when, c.conversation_id < ident)))
    stmt = stmt.order_by(c.created_at.desc(), c.conversation_id.desc()).limit(limit + 1)
    rows = [dict(row._mapping) for row in await session.execute(stmt)]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = _cursor(last["created_at"], last["conversation_id"])
    return rows[:limit], next_cursor


async def heatmap(session: AsyncSession, q: ReportQuery) -> dict[str, Any]:
    """New conversations by hour of the week in each customer's own time zone."""
    stmt = (
        select(c.local_how, func.count())
        .where(
            c.workspace_id == q.workspace_id,
            c.excluded.is_(False),
            _cohort(q),
            c.local_how.is_not(None),
            all_of(q.filters.conditions(FACTS)),
        )
        .group_by(c.local_how)
    )
    matrix = [[0] * 24 for _ in range(7)]
    for how, count in await session.execute(stmt):
        matrix[int(how) // 24][int(how) % 24] = int(count)
    return {
        "since": q.days.since.isoformat(),
        "until": q.days.until.isoformat(),
        "filters": q.filters.as_query(),
        "timezone": "customer",
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "matrix": matrix,
        "max": max(max(row) for row in matrix),
        "total": sum(sum(row) for row in matrix),
    }
