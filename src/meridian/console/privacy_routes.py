"""The privacy console (admins): the request register, a contact's data rights, retention.

Export, erasure, consent and retention changes go through the ``privacy`` actions the
API uses, so every one of them is audited the same way whichever door it came in by.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from meridian.agents.service import list_agents
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import Rejected, path_entity, save_form
from meridian.console.admin_regions import router as regions_router
from meridian.console.audit_routes import router as audit_router
from meridian.console.deps import (
    ErasePage,
    ExportPage,
    PrivacyManagePage,
    PrivacyRequestsPage,
)
from meridian.console.errors import PageNotFound
from meridian.console.i18n import N_
from meridian.console.render import render
from meridian.contacts.models import Contact
from meridian.contacts.service import find_by_identity, get_contact, to_out_many
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.privacy import consent, erasure, policies, service
from meridian.privacy.models import PURPOSES, REQUEST_STATUSES, REQUEST_TYPES, PrivacyRequest
from meridian.privacy.register import complete_pending_erasure, contact_requests
from meridian.privacy.retention import apply_retention
from meridian.privacy.schemas import ConsentIn, RetentionPolicyIn, RetentionPolicyUpdate

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(audit_router)
router.include_router(regions_router)

REQUEST_TYPE_LABELS = {"erase": N_("Erasure"), "export": N_("Export")}
REQUEST_STATUS_LABELS = {"pending": N_("Pending"), "completed": N_("Completed"), "failed": N_("Failed")}
PURPOSE_LABELS = {
    "marketing": N_("Marketing"),
    "proactive": N_("Proactive messages"),
    "support": N_("Support"),
}
CONSENT_CHANNELS = (
    "email",
    "webchat",
    "whatsapp",
    "messenger",
    "instagram",
    "telegram",
    "line",
    "sms",
    "api",
)
LABELS: dict[str, Any] = {
    "REQUEST_TYPE_LABELS": REQUEST_TYPE_LABELS,
    "REQUEST_STATUS_LABELS": REQUEST_STATUS_LABELS,
    "PURPOSE_LABELS": PURPOSE_LABELS,
}


ContactPath = Annotated[Contact, path_entity(get_contact, "contact_id")]


def _path_id(principal: Principal, value: str) -> uuid.UUID:
    ident = parse_id(value)
    if ident is None:
        raise PageNotFound(principal)
    return ident


def _detail(exc: Rejected) -> str:
    """One line for the page's alert: the action's own words, or "invalid" for a bad field."""
    return exc.detail if isinstance(exc, ProblemError) else "invalid"


async def _agent_names(session: Session, principal: Principal) -> dict[str, str]:
    return {a.id: a.name for a in await list_agents(session, workspace_id=principal.workspace_id)}


async def _register(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    status: str = "",
    type: str = "",
    error: str | None = None,
    lookup: str = "",
    status_code: int = 200,
) -> Response:
    rows, _ = await service.list_requests(
        session,
        workspace_id=principal.workspace_id,
        status=status if status in REQUEST_STATUSES else None,
        type=type if type in REQUEST_TYPES else None,
        limit=200,
        cursor=None,
    )
    return render(
        request,
        "privacy_requests.html",
        principal=principal,
        status_code=status_code,
        requests=[service.to_out(r) for r in rows],
        agent_names=await _agent_names(session, principal),
        filters={"status": status, "type": type},
        statuses=REQUEST_STATUSES,
        types=REQUEST_TYPES,
        error=error,
        lookup=lookup,
        **LABELS,
    )


@router.get("/privacy", response_class=HTMLResponse)
async def register(
    request: Request, principal: PrivacyRequestsPage, session: Session, status: str = "", type: str = ""
) -> Response:
    return await _register(request, principal, session, status=status, type=type)


@router.post("/privacy/find", response_class=HTMLResponse)
async def find_contact(
    request: Request, principal: PrivacyRequestsPage, session: Session, contact: Annotated[str, Form()] = ""
) -> Response:
    """A request names a person: find them by contact id or email address."""
    value = contact.strip()
    found = None
    ident = parse_id(value)
    if ident is not None:
        try:
            found = await get_contact(session, workspace_id=principal.workspace_id, contact_id=ident)
        except NotFound:
            found = None
    elif "@" in value:
        found = await find_by_identity(
            session, workspace_id=principal.workspace_id, kind="email", identifier=value
        )
    if found is None:
        return await _register(
            request, principal, session, error="no_contact", lookup=value, status_code=404 if value else 422
        )
    return RedirectResponse(f"/admin/privacy/contacts/{found.id}", status_code=303)


@router.post("/privacy/requests/{request_id}/complete", response_class=HTMLResponse)
async def complete_request(
    request: Request, principal: ErasePage, session: Session, request_id: str
) -> Response:
    ident = _path_id(principal, request_id)

    async def complete() -> None:
        try:
            await complete_pending_erasure(session=session, principal=principal, request_id=ident)
        except NotFound:
            raise PageNotFound(principal) from None

    return await save_form(
        session,
        complete,
        rejected=lambda exc: _register(
            request,
            principal,
            session,
            error=_detail(exc),
            status_code=exc.status if isinstance(exc, ProblemError) else 422,
        ),
        done="/admin/privacy?notice=saved",
    )


async def _contact_page(
    request: Request,
    principal: Principal,
    session: Session,
    contact_id: uuid.UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    contact = await get_contact(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    out = (await to_out_many(session, [contact]))[0]
    history = await consent.consent_history(session, contact_id=contact.id)
    requests = [
        service.to_out(r)
        for r in await contact_requests(session, workspace_id=principal.workspace_id, contact_id=contact.id)
    ]
    return render(
        request,
        "privacy_contact.html",
        principal=principal,
        status_code=status_code,
        contact=out,
        confirm_word=confirm_word(out.name, out.id),
        current=consent.current_state(history),
        history=history,
        requests=requests,
        agent_names=await _agent_names(session, principal),
        purposes=PURPOSES,
        channels=CONSENT_CHANNELS,
        error=error,
        **LABELS,
    )


def confirm_word(name: str | None, contact_id: str) -> str:
    """What the admin types to confirm an erasure: the person's name, or their id."""
    return (name or "").strip() or contact_id


@router.get("/privacy/contacts/{contact_id}", response_class=HTMLResponse)
async def contact_page(
    request: Request, principal: PrivacyRequestsPage, session: Session, contact: ContactPath
) -> Response:
    return await _contact_page(request, principal, session, contact.id)


@router.post("/privacy/contacts/{contact_id}/export", response_class=Response)
async def export_contact(
    request: Request, principal: ExportPage, session: Session, contact: ContactPath
) -> Response:
    """The same ZIP as ``GET /api/v1/contacts/{id}/export``; POST, since it registers a request."""
    ident = contact.id

    def archive(made: tuple[bytes, PrivacyRequest]) -> Response:
        data, row = made
        return Response(
            data,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="contact-{row.contact_id}.zip"',
                "Cache-Control": "no-store",
            },
        )

    return await save_form(
        session,
        lambda: service.export_contact(
            session=session, principal=principal, contact_id=ident, source="console"
        ),
        rejected=lambda exc: _contact_page(
            request,
            principal,
            session,
            ident,
            error=_detail(exc),
            status_code=exc.status if isinstance(exc, ProblemError) else 422,
        ),
        done=archive,
    )


@router.post("/privacy/contacts/{contact_id}/erase", response_class=HTMLResponse)
async def erase_contact(
    request: Request,
    principal: ErasePage,
    session: Session,
    contact: ContactPath,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    ident = contact.id
    out = (await to_out_many(session, [contact]))[0]
    # Erasure cannot be undone: the typed name guards against the wrong tab or a slip.
    if confirm.strip() != confirm_word(out.name, out.id):
        return await _contact_page(request, principal, session, ident, error="confirm", status_code=422)
    await erasure.request_erasure(session=session, principal=principal, contact_id=ident, source="console")
    return RedirectResponse(f"/admin/privacy/contacts/{ident}?notice=saved", status_code=303)


@router.post("/privacy/contacts/{contact_id}/consents", response_class=HTMLResponse)
async def add_consent(
    request: Request,
    principal: PrivacyManagePage,
    session: Session,
    contact: ContactPath,
    purpose: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    granted: Annotated[str, Form()] = "",
) -> Response:
    ident = contact.id

    async def record() -> None:
        data = ConsentIn.model_validate(
            {"purpose": purpose, "channel": channel or None, "granted": granted, "source": "console"}
        )
        await consent.add_consent(
            session=session,
            principal=principal,
            contact_id=ident,
            purpose=data.purpose,
            channel=data.channel,
            granted=data.granted,
            source=data.source,
        )

    return await save_form(
        session,
        record,
        rejected=lambda exc: _contact_page(
            request, principal, session, ident, error=_detail(exc), status_code=422
        ),
        done=f"/admin/privacy/contacts/{ident}?notice=saved",
    )


async def _retention_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    report: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    due = (
        await apply_retention(session, workspace_id=principal.workspace_id, dry_run=True) if report else None
    )
    return render(
        request,
        "privacy_retention.html",
        principal=principal,
        status_code=status_code,
        policies=await policies.list_policies(session, workspace_id=principal.workspace_id),
        due=due,
        channels=CONSENT_CHANNELS,
        error=error,
    )


@router.get("/privacy/retention", response_class=HTMLResponse)
async def retention(
    request: Request, principal: PrivacyManagePage, session: Session, report: str = ""
) -> Response:
    return await _retention_page(request, principal, session, report=report == "1")


@router.post("/privacy/retention", response_class=HTMLResponse)
async def create_policy(
    request: Request,
    principal: PrivacyManagePage,
    session: Session,
    region: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    max_age_days: Annotated[str, Form()] = "",
) -> Response:
    return await save_form(
        session,
        lambda: policies.create_policy(
            session=session,
            principal=principal,
            data=RetentionPolicyIn.model_validate(
                {"region": region.strip() or None, "channel": channel or None, "max_age_days": max_age_days}
            ),
        ),
        rejected=lambda exc: _retention_page(
            request, principal, session, error=_detail(exc), status_code=422
        ),
        done="/admin/privacy/retention?notice=saved",
    )


@router.post("/privacy/retention/{policy_id}", response_class=HTMLResponse)
async def change_policy(
    request: Request,
    principal: PrivacyManagePage,
    session: Session,
    policy_id: str,
    max_age_days: Annotated[str, Form()] = "",
    enabled: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    ident = _path_id(principal, policy_id)

    async def change() -> None:
        try:
            if action == "delete":
                await policies.delete_policy(session=session, principal=principal, policy_id=ident)
            else:
                data = RetentionPolicyUpdate.model_validate(
                    {"max_age_days": max_age_days, "enabled": enabled == "1"}
                )
                await policies.update_policy(session=session, principal=principal, policy_id=ident, data=data)
        except NotFound:
            raise PageNotFound(principal) from None

    return await save_form(
        session,
        change,
        rejected=lambda exc: _retention_page(
            request, principal, session, error=_detail(exc), status_code=422
        ),
        done="/admin/privacy/retention?notice=saved",
    )
