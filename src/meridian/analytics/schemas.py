from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from meridian.core.schemas import StrictModel


class Measures(BaseModel):
    """Durations in seconds, in calendar time or (``basis=business``) counting only the
    owning team's business hours; averages are given in calendar time only.

    Conversation measures (durations, rates, CSAT, SLA) are about conversations created
    in the range; ``resolved``/``reopens`` count what happened in the range; ``backlog``
    is what was open when it ended.
    """

    conversations: int
    new: int
    resolved: int
    reopens: int
    backlog: int
    first_response_p50_s: float | None
    first_response_p90_s: float | None
    first_response_avg_s: float | None
    next_response_p50_s: float | None
    next_response_p90_s: float | None
    resolution_p50_s: float | None
    resolution_p90_s: float | None
    resolution_avg_s: float | None
    first_responses: int
    resolved_conversations: int
    sla_met: int
    sla_breached: int
    sla_attainment: float | None
    csat_avg: float | None
    csat_responses: int
    csat_surveys: int
    csat_response_rate: float | None
    reopened_conversations: int
    reopen_rate: float | None
    first_contact_resolutions: int
    fcr_rate: float | None
    bot_engaged: int
    bot_deflected: int
    bot_deflection_rate: float | None
    handoffs: int
    handoff_rate: float | None
    # Agent time (analytics/occupancy.py): only the team, agent and region filters apply.
    online_s: int = 0
    busy_s: int = 0
    load_s: int = 0
    capacity_s: int = 0
    utilization: float | None = Field(default=None, description="busy_s / online_s")
    occupancy: float | None = Field(default=None, description="load_s / capacity_s")


class GroupOut(Measures):
    key: str | None
    label: str | None


class OverviewOut(BaseModel):
    since: datetime
    until: datetime
    group_by: str | None
    basis: str
    filters: dict[str, str]
    percentiles: str = Field(description="exact (read from conversations) or approximate (rollups)")
    totals: Measures
    groups: list[GroupOut]


class PointOut(BaseModel):
    period: str
    conversations: int
    resolved: int
    backlog: int
    first_response_p50_s: float | None
    resolution_p50_s: float | None
    csat_avg: float | None
    sla_attainment: float | None


class TimeseriesOut(BaseModel):
    since: datetime
    until: datetime
    interval: str
    filters: dict[str, str]
    points: list[PointOut]


class HeatmapOut(BaseModel):
    since: datetime
    until: datetime
    filters: dict[str, str]
    timezone: str = Field(description="'customer': each conversation counted in its customer's local time")
    weekdays: list[str]
    matrix: list[list[int]] = Field(description="7 rows (Monday first) of 24 hourly counts")
    max: int
    total: int


class DrillItem(BaseModel):
    conversation_id: str
    number: int | None
    created_at: datetime
    status: str
    language: str | None
    channel: str | None
    inbox_id: str | None
    team_id: str | None
    agent_id: str | None
    region: str | None
    tier: str | None
    tags: list[str]
    first_response_s: float | None
    resolution_s: float | None
    reopens: int
    handoffs: int
    sla: str
    csat_rating: int | None


class DrillOut(BaseModel):
    metric: str
    key: str | None
    items: list[DrillItem]
    next_cursor: str | None


class CsatCreate(StrictModel):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CsatOut(BaseModel):
    id: str
    conversation_id: str
    rating: int | None
    status: str
    source: str | None
    answered_at: datetime | None


class RatingOut(BaseModel):
    conversation_id: str
    rating: int
    comment: str | None
    language: str
    source: str | None
    answered_at: datetime


class RatingList(BaseModel):
    items: list[RatingOut]
