"""What a report asks for: the day range, the filters, the grouping."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from meridian.core.clock import utcnow
from meridian.core.errors import ProblemError

GROUPS = ("language", "channel", "team", "agent", "region", "inbox", "tier", "tag")
# group_by name -> the column on facts and rollups
GROUP_COLUMNS = {
    "language": "language",
    "channel": "channel",
    "team": "team_id",
    "agent": "agent_id",
    "region": "region",
    "inbox": "inbox_id",
    "tier": "tier",
}
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class DayRange:
    """Whole UTC days ``start`` .. ``end`` (exclusive)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end, time(), tzinfo=UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


def _instant(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ProblemError(
            422,
            f"{name}: not an RFC 3339 date-time or a YYYY-MM-DD date",
            errors=[{"pointer": name, "message": "invalid date"}],
        ) from None
    if parsed.tzinfo is None:
        if len(value) > 10:
            raise ProblemError(
                422, f"{name}: needs a UTC offset", errors=[{"pointer": name, "message": "needs an offset"}]
            )
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def day_range(since: str | None, until: str | None) -> DayRange:
    """``since`` rounds down and ``until`` up to whole UTC days; defaults: the last 30 days."""
    end_at = _instant(until, "until") if until else utcnow()
    end = end_at.date() + timedelta(days=1) if end_at.timetz() != time(tzinfo=UTC) else end_at.date()
    start = _instant(since, "since").date() if since else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise ProblemError(
            422, "since: must be before until", errors=[{"pointer": "since", "message": "empty"}]
        )
    if (end - start).days > MAX_DAYS:
        raise ProblemError(
            422, "the range is limited to three years", errors=[{"pointer": "since", "message": "too long"}]
        )
    return DayRange(start, end)


_SINGLE = ("channel", "team_id", "inbox_id", "agent_id", "region", "tier")
_FORCED = ("within_team_ids", "within_inbox_ids")


@dataclass(frozen=True)
class Filters:
    language: str | None = None
    channel: str | None = None
    team_id: uuid.UUID | None = None
    inbox_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    region: str | None = None
    tier: str | None = None
    tag: str | None = None
    # Forced by the reader's custom role (analytics/limits.py), never by the query string:
    # only these teams' / inboxes' conversations (None: no limit).
    within_team_ids: frozenset[uuid.UUID] | None = None
    within_inbox_ids: frozenset[uuid.UUID] | None = None

    @property
    def limited(self) -> bool:
        return self.within_team_ids is not None or self.within_inbox_ids is not None

    def dimensions(self) -> frozenset[str]:
        """The dimension columns these filters test, chosen or forced: a cube that does
        not keep one of them cannot answer."""
        chosen = {name for name in _SINGLE if getattr(self, name) is not None}
        if self.language:
            chosen.add("language")
        if self.tag:
            chosen.add("tag")
        if self.within_team_ids is not None:
            chosen.add("team_id")
        if self.within_inbox_ids is not None:
            chosen.add("inbox_id")
        return frozenset(chosen)

    def conditions(self, table: Any) -> list[ColumnElement[bool]]:
        """SQL conditions on a facts or rollup table (a tag on rollups: the tag cubes' ``tag``)."""
        c = table.c
        out: list[ColumnElement[bool]] = []
        if self.language:
            # "es" also covers "es-MX", like the conversation list's filter.
            out.append(or_(c.language == self.language, c.language.like(self.language + "-%")))
        for name in _SINGLE:
            value = getattr(self, name)
            if value is not None:
                out.append(c[name] == value)
        if self.tag:
            out.append(c.tags.contains([self.tag]) if "tags" in c else c.tag == self.tag)
        if self.within_team_ids is not None:
            out.append(c.team_id.in_(self.within_team_ids) if self.within_team_ids else false())
        if self.within_inbox_ids is not None:
            out.append(c.inbox_id.in_(self.within_inbox_ids) if self.within_inbox_ids else false())
        return out

    def matches(self, values: dict[str, Any]) -> bool:
        """The same test in Python, on a fact's values."""
        language = values.get("language") or ""
        if self.language and not (language == self.language or language.startswith(self.language + "-")):
            return False
        for name in _SINGLE:
            wanted = getattr(self, name)
            if wanted is not None and values.get(name) != wanted:
                return False
        if self.within_team_ids is not None and values.get("team_id") not in self.within_team_ids:
            return False
        if self.within_inbox_ids is not None and values.get("inbox_id") not in self.within_inbox_ids:
            return False
        return not (self.tag and self.tag not in (values.get("tags") or []))

    def as_query(self) -> dict[str, str]:
        """The chosen filters, as query parameters (the forced limits are not the reader's
        to choose, so they are not echoed)."""
        return {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if f.name not in _FORCED and getattr(self, f.name) is not None
        }


def all_of(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(*conditions) if conditions else and_(True)


def check_group(group_by: str | None) -> str | None:
    if group_by in (None, "", "none"):
        return None
    if group_by not in GROUPS:
        raise ProblemError(
            422,
            f"group_by: one of {', '.join(GROUPS)}",
            errors=[{"pointer": "group_by", "message": "unknown grouping"}],
        )
    return group_by
