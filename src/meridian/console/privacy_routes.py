"""The privacy console (admins): the request register, a contact's data rights, retention.

Export, erasure, consent and retention changes go through the ``privacy`` actions the
API uses, so every one of them is audited the same way whichever door it came in by.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from meridian.agents.service import list_agents
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.audit_routes import router as audit_router
from meridian.console.deps import PagePrincipal
from meridian.console.i18n import N_
from meridian.console.render import render
from meridian.contacts.models import Contact
from meridian.contacts.service import find_by_identity, get_contact, to_out_many
from meridian.core.errors import NotFound, ProblemError
from meridian.core.ids import parse_id
from meridian.privacy import consent, erasure, policies, service
from meridian.privacy.models import PURPOSES, REQUEST_STATUSES, REQUEST_TYPES
from meridian.privacy.register import complete_pending_erasure, contact_requests
from meridian.privacy.retention import apply_retention
from meridian.privacy.schemas import ConsentIn, RetentionPolicyIn, RetentionPolicyUpdate

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(audit_router)

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


def _forbidden(request: Request, principal: Principal) -> Response:
    return render(request, "error.html", principal=principal, status_code=403, error="forbidden")


def _not_found(request: Request, principal: Principal) -> Response:
    return render(request, "error.html", principal=principal, status_code=404, error="not_found")


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
    request: Request, principal: PagePrincipal, session: Session, status: str = "", type: str = ""
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    return await _register(request, principal, session, status=status, type=type)


@router.post("/privacy/find", response_class=HTMLResponse)
async def find_contact(
    request: Request, principal: PagePrincipal, session: Session, contact: Annotated[str, Form()] = ""
) -> Response:
    """A request names a person: find them by contact id or email address."""
    if not principal.is_admin:
        return _forbidden(request, principal)
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
    request: Request, principal: PagePrincipal, session: Session, request_id: str
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    ident = parse_id(request_id)
    if ident is None:
        return _not_found(request, principal)
    try:
        await complete_pending_erasure(session=session, principal=principal, request_id=ident)
    except NotFound:
        return _not_found(request, principal)
    except ProblemError as exc:
        await session.rollback()
        return await _register(request, principal, session, error=exc.detail, status_code=exc.status)
    return RedirectResponse("/admin/privacy?notice=saved", status_code=303)


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


async def _contact_or_none(session: Session, principal: Principal, contact_id: str) -> Contact | None:
    """The contact in the admin's own workspace; another workspace's id is simply not found."""
    ident = parse_id(contact_id)
    if ident is None:
        return None
    try:
        return await get_contact(session, workspace_id=principal.workspace_id, contact_id=ident)
    except NotFound:
        return None


@router.get("/privacy/contacts/{contact_id}", response_class=HTMLResponse)
async def contact_page(
    request: Request, principal: PagePrincipal, session: Session, contact_id: str
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    contact = await _contact_or_none(session, principal, contact_id)
    if contact is None:
        return _not_found(request, principal)
    ident = contact.id
    return await _contact_page(request, principal, session, ident)


@router.post("/privacy/contacts/{contact_id}/export", response_class=Response)
async def export_contact(
    request: Request, principal: PagePrincipal, session: Session, contact_id: str
) -> Response:
    """The same ZIP as ``GET /api/v1/contacts/{id}/export``; POST, since it registers a request."""
    if not principal.is_admin:
        return _forbidden(request, principal)
    contact = await _contact_or_none(session, principal, contact_id)
    if contact is None:
        return _not_found(request, principal)
    ident = contact.id
    try:
        archive, row = await service.export_contact(
            session=session, principal=principal, contact_id=ident, source="console"
        )
    except ProblemError as exc:
        await session.rollback()
        return await _contact_page(
            request, principal, session, ident, error=exc.detail, status_code=exc.status
        )
    return Response(
        archive,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="contact-{row.contact_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/privacy/contacts/{contact_id}/erase", response_class=HTMLResponse)
async def erase_contact(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    contact_id: str,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    contact = await _contact_or_none(session, principal, contact_id)
    if contact is None:
        return _not_found(request, principal)
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
    principal: PagePrincipal,
    session: Session,
    contact_id: str,
    purpose: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    granted: Annotated[str, Form()] = "",
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    contact = await _contact_or_none(session, principal, contact_id)
    if contact is None:
        return _not_found(request, principal)
    ident = contact.id
    try:
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
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        detail = exc.detail if isinstance(exc, ProblemError) else "invalid"
        return await _contact_page(request, principal, session, ident, error=detail, status_code=422)
    return RedirectResponse(f"/admin/privacy/contacts/{ident}?notice=saved", status_code=303)


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
    request: Request, principal: PagePrincipal, session: Session, report: str = ""
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    return await _retention_page(request, principal, session, report=report == "1")


@router.post("/privacy/retention", response_class=HTMLResponse)
async def create_policy(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    region: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    max_age_days: Annotated[str, Form()] = "",
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    try:
        data = RetentionPolicyIn.model_validate(
            {"region": region.strip() or None, "channel": channel or None, "max_age_days": max_age_days}
        )
        await policies.create_policy(session=session, principal=principal, data=data)
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        detail = exc.detail if isinstance(exc, ProblemError) else "invalid"
        return await _retention_page(request, principal, session, error=detail, status_code=422)
    return RedirectResponse("/admin/privacy/retention?notice=saved", status_code=303)


@router.post("/privacy/retention/{policy_id}", response_class=HTMLResponse)
async def change_policy(
    request: Request,
    principal: PagePrincipal,
    session: Session,
    policy_id: str,
    max_age_days: Annotated[str, Form()] = "",
    enabled: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    if not principal.is_admin:
        return _forbidden(request, principal)
    ident = parse_id(policy_id)
    if ident is None:
        return _not_found(request, principal)
    try:
        if action == "delete":
            await policies.delete_policy(session=session, principal=principal, policy_id=ident)
        else:
            data = RetentionPolicyUpdate.model_validate(
                {"max_age_days": max_age_days, "enabled": enabled == "1"}
            )
            await policies.update_policy(session=session, principal=principal, policy_id=ident, data=data)
    except NotFound:
        return _not_found(request, principal)
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        detail = exc.detail if isinstance(exc, ProblemError) else "invalid"
        return await _retention_page(request, principal, session, error=detail, status_code=422)
    return RedirectResponse("/admin/privacy/retention?notice=saved", status_code=303)
