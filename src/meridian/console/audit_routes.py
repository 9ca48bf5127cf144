"""The audit log viewer (admins): filtered pages, the chain check, and a CSV copy."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from meridian.agents.service import list_agents
from meridian.audit.browse import AuditFilter, all_entries, page_entries, to_csv
from meridian.audit.service import verify_workspace
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.deps import AuditPage
from meridian.console.render import render
from meridian.core.ids import parse_id

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


def _day_start(value: str, zone: str) -> datetime | None:
    """A ``YYYY-MM-DD`` from a date field, as midnight in the admin's own time zone."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return datetime.combine(date.fromisoformat(value), time.min, tzinfo=tz)


def _filter(principal: Principal, actor: str, action: str, since: str, until: str) -> AuditFilter | None:
    """The filter the form asked for; ``None`` when a value is not one we can use."""
    actor_id = parse_id(actor) if actor else None
    if actor and actor_id is None:
        return None
    try:
        start = _day_start(since, principal.timezone) if since else None
        end = _day_start(until, principal.timezone) if until else None
    except ValueError:
        return None
    if len(action) > 64:
        return None
    return AuditFilter(actor_id=actor_id, action=action.strip() or None, since=start, until=end)


@router.get("/audit", response_class=HTMLResponse)
async def audit_log(
    request: Request,
    principal: AuditPage,
    session: Session,
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    before: str = "",
) -> Response:
    where = _filter(principal, actor, action, since, until)
    cursor = int(before) if before.isdigit() else None
    entries, next_seq = (
        await page_entries(
            session, workspace_id=principal.workspace_id, where=where, limit=PAGE_SIZE, before=cursor
        )
        if where is not None
        else ([], None)
    )
    agents = await list_agents(session, workspace_id=principal.workspace_id)
    return render(
        request,
        "privacy_audit.html",
        principal=principal,
        status_code=200 if where is not None else 422,
        entries=entries,
        next_seq=next_seq,
        agents=agents,
        agent_names={a.id: a.name for a in agents},
        filters={"actor": actor, "action": action, "since": since, "until": until},
        error=where is None,
        # The same walk as ``meridian audit verify``, for this workspace's chain; once, on
        # the first page, since it reads the whole chain.
        report=await verify_workspace(session, principal.workspace_id) if cursor is None else None,
    )


@router.get("/audit.csv")
async def audit_csv(
    request: Request,
    principal: AuditPage,
    session: Session,
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    where = _filter(principal, actor, action, since, until)
    if where is None:
        return render(request, "error.html", principal=principal, status_code=422, error="invalid")
    entries = await all_entries(session, workspace_id=principal.workspace_id, where=where)
    return Response(
        to_csv(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"', "Cache-Control": "no-store"},
    )
