from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from meridian.audit import service
from meridian.audit.models import AuditEntry
from meridian.audit.schemas import AuditEntryOut, AuditList, AuditVerification
from meridian.auth.deps import AuditPrincipal, Session
from meridian.core.errors import ProblemError

router = APIRouter(tags=["audit"])


def to_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        seq=entry.seq,
        actor_id=str(entry.actor_id) if entry.actor_id else None,
        actor_kind=entry.actor_kind,
        action=entry.action,
        target=entry.target,
        details=dict(entry.details),
        created_at=entry.created_at,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


@router.get("/audit", response_model=AuditList)
async def list_audit(
    principal: AuditPrincipal,
    session: Session,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> AuditList:
    """Newest first. Each entry carries the hash chain, so a copy can be verified offline."""
    if cursor is not None and not cursor.isdigit():
        raise ProblemError(422, "cursor: not a cursor returned by this endpoint")
    rows, next_seq = await service.list_entries(
        session,
        workspace_id=principal.workspace_id,
        limit=limit,
        before=int(cursor) if cursor else None,
        action=action,
    )
    return AuditList(items=[to_out(r) for r in rows], next_cursor=str(next_seq) if next_seq else None)


@router.get("/audit/verify", response_model=AuditVerification)
async def verify_audit(principal: AuditPrincipal, session: Session) -> AuditVerification:
    report = await service.verify_workspace(session, principal.workspace_id)
    return AuditVerification(ok=report.ok, entries=report.entries, head=report.head, problem=report.problem)
