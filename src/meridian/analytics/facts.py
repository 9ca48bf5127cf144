"""A conversation's reporting fact: folded from its report events, and what it adds to
the rollups.

Both functions are pure. ``fold`` is the only way a fact changes, so replaying the
report events of a conversation rebuilds its fact exactly; ``contribution`` is the
only thing rollups sum, so rollups can be maintained by adding a fact's new
contribution and subtracting its old one whenever it changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from meridian.analytics.buckets import bucket_of
from meridian.analytics.models import DIMENSIONS, ReportEvent, ReportFact

TIMELINE_LIMIT = 200


@dataclass
class Fact:
    workspace_id: uuid.UUID
    conversation_id: uuid.UUID
    created_at: datetime
    number: int | None = None
    local_how: int | None = None
    language: str | None = None
    channel: str | None = None
    inbox_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    region: str | None = None
    tier: str | None = None
    tags: list[str] = field(default_factory=list)
    status: str = "open"
    excluded: bool = False
    first_response_at: datetime | None = None
    first_response_s: float | None = None
    first_response_bs: float | None = None
    resolved_at: datetime | None = None
    resolution_s: float | None = None
    resolution_bs: float | None = None
    waiting_since: datetime | None = None
    next_responses: int = 0
    next_response_total_s: float = 0.0
    next_response_total_bs: float = 0.0
    human_replies: int = 0
    bot_replies: int = 0
    reopens: int = 0
    handoffs: int = 0
    assignments: int = 0
    sla: str = "none"
    csat_sent_at: datetime | None = None
    csat_rating: int | None = None
    timeline: list[list[str]] = field(default_factory=list)
    last_event_id: int = 0

    @classmethod
    def from_row(cls, row: ReportFact) -> Fact:
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        values["tags"] = list(values["tags"] or [])
        values["timeline"] = [list(item) for item in values["timeline"] or []]
        return cls(**values)

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def dims(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in DIMENSIONS)


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def fold(fact: Fact | None, event: ReportEvent) -> Fact:
    """The fact after ``event`` (a new object; ``fact`` is left as it was)."""
    if fact is None:
        fact = Fact(event.workspace_id, event.conversation_id, created_at=event.at)
    else:
        fact = replace(fact, tags=list(fact.tags), timeline=[list(item) for item in fact.timeline])
    for name in DIMENSIONS:
        setattr(fact, name, getattr(event, name))
    fact.tags = sorted(event.tags or [])
    fact.last_event_id = max(fact.last_event_id, event.id or 0)
    data = event.data or {}
    kind = event.kind
    if kind == "conversation_created":
        fact.created_at = event.at
        fact.number = data.get("number", fact.number)
        fact.local_how = data.get("local_how", fact.local_how)
    elif kind == "customer_message":
        if fact.waiting_since is None:
            fact.waiting_since = event.at
    elif kind == "first_response":
        fact.first_response_at = event.at
        fact.first_response_s = event.calendar_s
        fact.first_response_bs = event.business_s
        fact.human_replies += 1
        fact.waiting_since = None
    elif kind == "reply":
        if data.get("author") == "bot":
            fact.bot_replies += 1
        else:
            fact.human_replies += 1
            if event.calendar_s is not None:
                fact.next_responses += 1
                fact.next_response_total_s += event.calendar_s
                fact.next_response_total_bs += event.business_s or 0.0
            fact.waiting_since = None
    elif kind == "resolved":
        fact.status = "resolved"
        fact.resolved_at = event.at
        fact.resolution_s = event.calendar_s
        fact.resolution_bs = event.business_s
        fact.waiting_since = None
        fact.timeline = [*fact.timeline, [utc_day(event.at).isoformat(), "resolved"]][-TIMELINE_LIMIT:]
    elif kind == "reopened":
        fact.status = "open"
        fact.reopens += 1
        fact.timeline = [*fact.timeline, [utc_day(event.at).isoformat(), "reopened"]][-TIMELINE_LIMIT:]
    elif kind == "assigned":
        fact.assignments += 1
    elif kind == "handoff":
        fact.handoffs += 1
    elif kind == "sla_met":
        if fact.sla != "breached":
            fact.sla = "met"
    elif kind == "sla_breached":
        fact.sla = "breached"
    elif kind == "csat_sent":
        fact.csat_sent_at = event.at
    elif kind == "csat":
        fact.csat_rating = event.value
    elif kind == "excluded":
        fact.excluded = True
    return fact


class Delta:
    """Counter and histogram changes; plain dicts, since rebuilds make millions of these."""

    __slots__ = ("counters", "histograms")

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.histograms: dict[str, dict[int, int]] = {}

    def count(self, name: str, value: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + value

    def observe(self, name: str, bucket: int, value: int = 1) -> None:
        buckets = self.histograms.setdefault(name, {})
        buckets[bucket] = buckets.get(bucket, 0) + value

    def add(self, other: Delta, sign: int = 1) -> None:
        counters = self.counters
        for name, value in other.counters.items():
            counters[name] = counters.get(name, 0) + sign * value
        for name, buckets in other.histograms.items():
            mine = self.histograms.setdefault(name, {})
            for index, value in buckets.items():
                mine[index] = mine.get(index, 0) + sign * value

    def is_zero(self) -> bool:
        return not any(self.counters.values()) and not any(
            value for buckets in self.histograms.values() for value in buckets.values()
        )


def observations(fact: Fact) -> dict[str, float]:
    """The durations ``fact`` puts into each histogram (none for an excluded fact)."""
    out: dict[str, float] = {}
    if fact.excluded:
        return out
    if fact.first_response_s is not None:
        out["fr_c"] = fact.first_response_s
        out["fr_b"] = fact.first_response_bs or 0.0
    if fact.status == "resolved" and fact.resolution_s is not None:
        out["res_c"] = fact.resolution_s
        out["res_b"] = fact.resolution_bs or 0.0
    if fact.next_responses:
        out["nr_c"] = fact.next_response_total_s / fact.next_responses
        out["nr_b"] = fact.next_response_total_bs / fact.next_responses
    return out


def contribution(fact: Fact | None) -> dict[date, Delta]:
    """What ``fact`` adds to the rollups, by UTC day.

    The measures of a conversation count on the day it was created (it belongs to that
    day's cohort); resolutions and reopenings also count on the days they happened,
    which is what volume and backlog need.
    """
    if fact is None or fact.excluded:
        return {}
    created = utc_day(fact.created_at)
    cohort = Delta()
    out = {created: cohort}
    count = cohort.count
    count("conversations")
    count("backlog_delta")
    seen = observations(fact)
    for name, seconds in seen.items():
        cohort.observe(name, bucket_of(seconds))
    if "fr_c" in seen:
        count("first_responses")
        count("first_response_sum_s", round(seen["fr_c"]))
    if "res_c" in seen:
        count("resolved")
        count("resolution_sum_s", round(seen["res_c"]))
        if fact.reopens == 0 and fact.human_replies <= 1:
            count("fcr")
        if fact.bot_replies > 0 and fact.human_replies == 0:
            count("bot_deflected")
    if "nr_c" in seen:
        count("next_responded")
    if any(kind == "resolved" for _, kind in fact.timeline):
        count("ever_resolved")
    if fact.reopens:
        count("reopened")
    if fact.bot_replies:
        count("bot_engaged")
    if fact.handoffs:
        count("handed_off")
        count("handoffs", fact.handoffs)
    if fact.sla == "met":
        count("sla_met")
    elif fact.sla == "breached":
        count("sla_breached")
    if fact.csat_sent_at is not None:
        count("csat_sent")
    if fact.csat_rating is not None:
        count("csat_count")
        count("csat_sum", fact.csat_rating)
    for day, kind in fact.timeline:
        when = date.fromisoformat(day)
        delta = out.get(when)
        if delta is None:
            delta = out[when] = Delta()
        if kind == "resolved":
            delta.count("resolutions")
            delta.count("backlog_delta", -1)
        elif kind == "reopened":
            delta.count("reopens")
            delta.count("backlog_delta")
    return out
