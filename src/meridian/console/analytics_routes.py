"""The analytics dashboard and its drill-down, for supervisors and admins.

Everything is server-rendered: the charts are SVG drawn by the templates from
``analytics.charts`` geometry, and every number links to the conversations behind it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_timedelta, get_day_names
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from meridian.agents.models import Agent
from meridian.analytics import charts, drill, limits, service
from meridian.analytics.models import ReportFact
from meridian.analytics.query import GROUPS
from meridian.analytics.sources import ReportQuery, make_query
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.deps import PagePrincipal
from meridian.console.i18n import N_, UiLocale
from meridian.console.render import locale_for, render
from meridian.core.errors import ProblemError
from meridian.inboxes.models import Inbox
from meridian.teams.models import Team

router = APIRouter(prefix="/analytics", include_in_schema=False)

PARAMS = ("since", "until", "group_by", "language", "channel", "team_id", "inbox_id", "tier", "tag", "basis")
GROUP_LABELS = {
    "language": N_("Language"),
    "channel": N_("Channel"),
    "team": N_("Team"),
    "agent": N_("Agent"),
    "region": N_("Region"),
    "inbox": N_("Inbox"),
    "tier": N_("Customer tier"),
    "tag": N_("Tag"),
}
# (measure, label, format, drill-down metric)
TILES = [
    ("conversations", N_("New conversations"), "number", "conversations"),
    ("resolved", N_("Resolved"), "number", "resolved"),
    ("backlog", N_("Backlog"), "number", "backlog"),
    ("first_response_p50_s", N_("First response, median"), "duration", "first_responses"),
    ("first_response_p90_s", N_("First response, 90th percentile"), "duration", "first_responses"),
    ("next_response_p50_s", N_("Next response, median"), "duration", None),
    ("resolution_p50_s", N_("Resolution, median"), "duration", "resolved_conversations"),
    ("resolution_p90_s", N_("Resolution, 90th percentile"), "duration", "resolved_conversations"),
    ("sla_attainment", N_("SLA attainment"), "percent", "sla_breached"),
    ("csat_avg", N_("CSAT (1-5)"), "decimal", "csat_responses"),
    ("fcr_rate", N_("First-contact resolution"), "percent", "first_contact_resolutions"),
    ("reopen_rate", N_("Reopen rate"), "percent", "reopened_conversations"),
    ("bot_deflection_rate", N_("Bot deflection"), "percent", "bot_deflected"),
    ("handoffs", N_("Handoffs between regions"), "number", "handoffs"),
    # Agent time, sampled each minute (analytics/occupancy.py); no conversations behind it.
    ("utilization", N_("Agent utilization"), "percent", None),
    ("occupancy", N_("Occupancy against capacity"), "percent", None),
]
METRIC_LABELS = {metric: label for _, label, _, metric in TILES if metric}


class Formats:
    """Numbers as the agent's locale writes them."""

    def __init__(self, ui: UiLocale) -> None:
        self.ui = ui

    def value(self, value: Any, kind: str) -> str:
        if value is None:
            return "–"
        if kind == "duration":
            return format_timedelta(
                timedelta(seconds=value), threshold=1.0, format="short", locale=self.ui.babel
            )
        if kind == "percent":
            return format_percent(value, locale=self.ui.babel)
        if kind == "decimal":
            return format_decimal(value, format="0.0", locale=self.ui.babel)
        return format_decimal(value, locale=self.ui.babel)

    def period(self, iso: str) -> str:
        return format_date(date.fromisoformat(iso), format="short", locale=self.ui.babel)

    def weekdays(self) -> list[str]:
        names = get_day_names("abbreviated", locale=self.ui.babel)
        return [names[day] for day in range(7)]


def _params(request: Request) -> dict[str, str]:
    return {name: request.query_params[name] for name in PARAMS if request.query_params.get(name)}


def _may_see(principal: Principal) -> bool:
    return principal.can("analytics.view")


async def _choices(session: Session, principal: Principal) -> dict[str, Any]:
    ws = principal.workspace_id
    teams = (await session.execute(select(Team.id, Team.name).where(Team.workspace_id == ws))).all()
    inboxes = (await session.execute(select(Inbox.id, Inbox.name).where(Inbox.workspace_id == ws))).all()
    agents = dict((await session.execute(select(Agent.id, Agent.name).where(Agent.workspace_id == ws))).all())
    seen = (
        await session.execute(
            select(ReportFact.language, ReportFact.channel, ReportFact.tier)
            .where(ReportFact.workspace_id == ws)
            .distinct()
            .limit(2000)
        )
    ).all()
    # A limited role's filter menus offer its own teams and inboxes only.
    if principal.limit_team_ids is not None:
        teams = [t for t in teams if t.id in principal.limit_team_ids]
    if principal.limit_inbox_ids is not None:
        inboxes = [i for i in inboxes if i.id in principal.limit_inbox_ids]
    return {
        "teams": sorted(teams, key=lambda t: t.name),
        "team_names": dict(teams),
        "inboxes": sorted(inboxes, key=lambda i: i.name),
        "agents": agents,
        "languages": sorted({row.language for row in seen if row.language}),
        "channels": sorted({row.channel for row in seen if row.channel}),
        "tiers": sorted({row.tier for row in seen if row.tier}),
    }


def _query(principal: Principal, params: dict[str, str]) -> ReportQuery:
    # A team- or inbox-limited role reads its own teams' / inboxes' figures only.
    return limits.for_reader(make_query(principal.workspace_id, **{"group_by": "team", **params}), principal)


@router.get("", response_class=HTMLResponse)
async def dashboard(
    request: Request, principal: PagePrincipal, session: Session, interval: str = "day"
) -> Response:
    if not _may_see(principal):
        return render(request, "error.html", principal=principal, status_code=403, error="forbidden")
    params = _params(request)
    try:
        q = _query(principal, params)
    except ProblemError:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    interval = "week" if interval == "week" else "day"
    overview = await service.overview(session, q)
    unrouped = ReportQuery(q.workspace_id, q.days, q.filters)
    series = await service.timeseries(session, unrouped, interval=interval)
    heat = await drill.heatmap(session, unrouped)
    ui = locale_for(principal, request)
    peak = max((g["first_response_p90_s"] or 0 for g in overview["groups"]), default=0)
    base = {
        **params,
        "since": q.days.start.isoformat(),
        "until": q.days.end.isoformat(),
        "group_by": q.group_by or "",
    }
    return render(
        request,
        "analytics.html",
        principal=principal,
        ui=ui,
        fmt=Formats(ui),
        q=q,
        params=base,
        interval=interval,
        overview=overview,
        series=charts.series_chart(series["points"]),
        heat=charts.heat_cells(heat["matrix"]),
        heat_total=heat["total"],
        peak=peak,
        share=charts.share,
        tiles=TILES,
        groups=GROUPS,
        group_labels=GROUP_LABELS,
        choices=await _choices(session, principal),
        link=lambda path, **extra: f"/analytics{path}?" + urlencode({**base, **extra}),
        qs=lambda **extra: urlencode({**base, **extra}),
    )


@router.get("/conversations", response_class=HTMLResponse)
async def drill_down(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    metric: str = "conversations",
    key: str | None = None,
    cursor: str | None = None,
) -> Response:
    if not _may_see(principal):
        return render(request, "error.html", principal=principal, status_code=403, error="forbidden")
    params = _params(request)
    try:
        q = _query(principal, params)
        items, next_cursor = await drill.conversations(
            session, q, metric=metric, key=key, limit=50, cursor=cursor
        )
    except ProblemError:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    ui = locale_for(principal, request)
    extra = {"metric": metric, **({"key": key} if key is not None else {})}
    return render(
        request,
        "analytics_drill.html",
        principal=principal,
        ui=ui,
        fmt=Formats(ui),
        items=items,
        metric_label=METRIC_LABELS.get(metric, N_("New conversations")),
        back="/analytics?" + urlencode(params),
        next_link=f"/analytics/conversations?{urlencode({**params, **extra, 'cursor': next_cursor})}"
        if next_cursor
        else None,
        choices=await _choices(session, principal),
    )
