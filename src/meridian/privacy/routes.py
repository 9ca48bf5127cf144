from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from meridian.auth.deps import (
    CurrentPrincipal,
    ErasePrincipal,
    ExportPrincipal,
    PrivacyPrincipal,
    Session,
)
from meridian.contacts.service import get_contact
from meridian.core.errors import ProblemError, path_id
from meridian.core.ids import parse_id
from meridian.privacy import consent, erasure, service
from meridian.privacy.consent_routes import router as consent_router
from meridian.privacy.models import Consent
from meridian.privacy.retention_routes import router as retention_router
from meridian.privacy.schemas import ConsentIn, ConsentList, ConsentOut, PrivacyRequestList, PrivacyRequestOut

router = APIRouter(tags=["privacy"])
router.include_router(retention_router)
router.include_router(consent_router)


@router.post("/contacts/{contact_id}/erase", response_model=PrivacyRequestOut, status_code=202)
async def erase_contact(contact_id: str, principal: ErasePrincipal, session: Session) -> PrivacyRequestOut:
    request = await erasure.request_erasure(
        session=session, principal=principal, contact_id=path_id(contact_id, "contact")
    )
    return service.to_out(request)


@router.get(
    "/contacts/{contact_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The contact's data as a ZIP"}},
)
async def export_contact(contact_id: str, principal: ExportPrincipal, session: Session) -> Response:
    archive, request = await service.export_contact(
        session=session, principal=principal, contact_id=path_id(contact_id, "contact")
    )
    return Response(
        archive,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="contact-{request.contact_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/privacy-requests", response_model=PrivacyRequestList)
async def list_privacy_requests(
    principal: PrivacyPrincipal,
    session: Session,
    status: Literal["pending", "completed", "failed"] | None = None,
    type: Literal["erase", "export"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> PrivacyRequestList:
    parsed = parse_id(cursor) if cursor else None
    if cursor and parsed is None:
        raise ProblemError(422, "cursor: not a cursor returned by this endpoint")
    rows, next_cursor = await service.list_requests(
        session, workspace_id=principal.workspace_id, status=status, type=type, limit=limit, cursor=parsed
    )
    return PrivacyRequestList(items=[service.to_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/privacy-requests/{request_id}", response_model=PrivacyRequestOut)
async def get_privacy_request(
    request_id: str, principal: PrivacyPrincipal, session: Session
) -> PrivacyRequestOut:
    row = await service.get_request(
        session, workspace_id=principal.workspace_id, request_id=path_id(request_id, "privacy request")
    )
    return service.to_out(row)


def _consent_out(row: Consent | consent.ConsentState) -> ConsentOut:
    return ConsentOut(
        purpose=row.purpose,
        channel=row.channel,
        granted=row.granted,
        source=row.source,
        recorded_at=row.recorded_at,
    )


@router.get("/contacts/{contact_id}/consents", response_model=ConsentList)
async def list_consents(contact_id: str, principal: CurrentPrincipal, session: Session) -> ConsentList:
    contact = await get_contact(
        session, workspace_id=principal.workspace_id, contact_id=path_id(contact_id, "contact")
    )
    history = await consent.consent_history(session, contact_id=contact.id)
    return ConsentList(
        items=[_consent_out(s) for s in consent.current_state(history)],
        history=[_consent_out(r) for r in history],
    )


@router.post("/contacts/{contact_id}/consents", response_model=ConsentOut, status_code=201)
async def add_consent(
    contact_id: str, data: ConsentIn, principal: CurrentPrincipal, session: Session
) -> ConsentOut:
    row = await consent.add_consent(
        session=session,
        principal=principal,
        contact_id=path_id(contact_id, "contact"),
        purpose=data.purpose,
        channel=data.channel,
        granted=data.granted,
        source=data.source,
    )
    return _consent_out(row)
