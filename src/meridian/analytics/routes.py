from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from meridian.analytics import csat, drill, export, limits, service
from meridian.analytics.schemas import (
    CsatCreate,
    CsatOut,
    DrillItem,
    DrillOut,
    HeatmapOut,
    OverviewOut,
    RatingList,
    RatingOut,
    TimeseriesOut,
)
from meridian.analytics.sources import ReportQuery, make_query
from meridian.auth.deps import AnalyticsPrincipal, CurrentPrincipal, Session
from meridian.core.errors import path_id

router = APIRouter(tags=["analytics"])
EXPORT_ROWS = 50_000

Text = Annotated[str | None, Query(max_length=64)]


def report_query(
    principal: AnalyticsPrincipal,
    since: Annotated[str | None, Query(max_length=40, description="RFC 3339 or YYYY-MM-DD")] = None,
    until: Annotated[
        str | None, Query(max_length=40, description="RFC 3339 or YYYY-MM-DD (exclusive)")
    ] = None,
    group_by: Annotated[str | None, Query(max_length=16)] = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
    channel: Text = None,
    team_id: Text = None,
    inbox_id: Text = None,
    agent_id: Text = None,
    region: Text = None,
    tier: Text = None,
    tag: Text = None,
    basis: Annotated[
        Literal["calendar", "business"], Query(description="durations in calendar time or business hours")
    ] = "calendar",
) -> ReportQuery:
    query = make_query(
        principal.workspace_id,
        since=since,
        until=until,
        group_by=group_by,
        language=language,
        channel=channel,
        team_id=team_id,
        inbox_id=inbox_id,
        agent_id=agent_id,
        region=region,
        tier=tier,
        tag=tag,
        basis=basis,
    )
    # A team- or inbox-limited role reads its own teams' / inboxes' figures only.
    return limits.for_reader(query, principal)


Report = Annotated[ReportQuery, Depends(report_query)]
Interval = Literal["day", "week"]


@router.get("/analytics/overview", response_model=OverviewOut)
async def overview(q: Report, session: Session) -> OverviewOut:
    return OverviewOut.model_validate(await service.overview(session, q))


@router.get("/analytics/timeseries", response_model=TimeseriesOut)
async def timeseries(q: Report, session: Session, interval: Interval = "day") -> TimeseriesOut:
    return TimeseriesOut.model_validate(await service.timeseries(session, q, interval=interval))


@router.get("/analytics/heatmap", response_model=HeatmapOut)
async def heatmap(q: Report, session: Session) -> HeatmapOut:
    return HeatmapOut.model_validate(await drill.heatmap(session, q))


@router.get("/analytics/conversations", response_model=DrillOut)
async def conversations(
    q: Report,
    session: Session,
    metric: Annotated[str, Query(max_length=40)] = "conversations",
    key: Annotated[str | None, Query(max_length=64, description="a group's key ('' for none)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DrillOut:
    items, next_cursor = await drill.conversations(
        session, q, metric=metric, key=key, limit=limit, cursor=cursor
    )
    return DrillOut(
        metric=metric,
        key=key,
        items=[DrillItem.model_validate(_stringify(item)) for item in items],
        next_cursor=next_cursor,
    )


def _stringify(item: dict[str, object]) -> dict[str, object]:
    ids = ("conversation_id", "inbox_id", "team_id", "agent_id")
    return {k: (str(v) if k in ids and v is not None else v) for k, v in item.items()}


@router.get("/analytics/export")
async def export_report(
    q: Report,
    session: Session,
    report: Literal["overview", "timeseries", "heatmap", "conversations"] = "overview",
    format: Literal["csv", "xlsx"] = "csv",
    interval: Interval = "day",
    metric: Annotated[str, Query(max_length=40)] = "conversations",
    key: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if report == "overview":
        header, rows = export.overview_table(await service.overview(session, q))
    elif report == "timeseries":
        header, rows = export.timeseries_table(await service.timeseries(session, q, interval=interval))
    elif report == "heatmap":
        header, rows = export.heatmap_table(await drill.heatmap(session, q))
    else:
        items, _ = await drill.conversations(
            session, q, metric=metric, key=key, limit=EXPORT_ROWS, cursor=None
        )
        header, rows = export.conversations_table(items)
    body = export.render(format, report, header, rows)
    name = f"meridian-{report}-{q.days.start.isoformat()}-{q.days.end.isoformat()}.{format}"
    return Response(
        body,
        media_type=export.CONTENT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/analytics/csat", response_model=RatingList)
async def ratings(
    q: Report, session: Session, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> RatingList:
    """The latest CSAT answers in the range, with the customers' comments."""
    found = await csat.recent_ratings(
        session,
        workspace_id=q.workspace_id,
        since=q.days.since,
        until=q.days.until,
        limit=limit,
        team_ids=q.filters.within_team_ids,
        inbox_ids=q.filters.within_inbox_ids,
    )
    return RatingList(
        items=[
            RatingOut(
                conversation_id=str(survey.conversation_id),
                rating=survey.rating or 0,
                comment=comment,
                language=survey.language,
                source=survey.source,
                answered_at=survey.answered_at or q.days.since,
            )
            for survey, comment in found
        ]
    )


@router.post("/conversations/{conversation_id}/csat", response_model=CsatOut, status_code=201)
async def submit_csat(
    conversation_id: str, data: CsatCreate, principal: CurrentPrincipal, session: Session
) -> CsatOut:
    survey = await csat.submit_rating(
        session=session,
        principal=principal,
        conversation_id=path_id(conversation_id, "conversation"),
        rating=data.rating,
        comment=data.comment,
    )
    return CsatOut(
        id=str(survey.id),
        conversation_id=str(survey.conversation_id),
        rating=survey.rating,
        status=survey.status,
        source=survey.source,
        answered_at=survey.answered_at,
    )
