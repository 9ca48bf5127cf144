"""Admin: SLA policies (targets per priority, business or calendar time, conditions)."""

from __future__ import annotations

import uuid
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import (
    admin_page,
    field_errors,
    forbidden_unless_admin,
    not_found,
    parse_uuid,
    split_list,
)
from meridian.console.deps import PagePrincipal
from meridian.conversations.schemas import Priority
from meridian.core.errors import NotFound, ProblemError
from meridian.inboxes.schemas import ChannelKind
from meridian.inboxes.service import list_inboxes
from meridian.sla.models import SlaPolicy
from meridian.sla.schemas import SlaPolicyCreate, SlaPolicyUpdate
from meridian.sla.service import create_policy, delete_policy, get_policy, list_policies, update_policy

router = APIRouter(prefix="/admin/sla", include_in_schema=False)

TARGETS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")


def _payload(form: FormData) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if channels := [str(c) for c in form.getlist("channel")]:
        conditions["channel"] = channels
    if inboxes := [str(i) for i in form.getlist("inbox_id")]:
        conditions["inbox_id"] = inboxes
    for key in ("region", "tier"):
        if values := split_list(str(form.get(key, ""))):
            conditions[key] = values
    payload: dict[str, Any] = {
        "name": str(form.get("name", "")),
        "priority": str(form.get("priority", "")) or None,
        "business_hours": form.get("business_hours") == "1",
        "conditions": conditions,
    }
    for target in TARGETS:
        payload[target] = str(form.get(target, "")).strip() or None
    return payload


def _values(policy: SlaPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"name": "", "priority": None, "business_hours": True, "conditions": {}}
    return {
        "name": policy.name,
        "priority": policy.priority,
        "business_hours": policy.business_hours,
        "conditions": dict(policy.conditions or {}),
        **{target: getattr(policy, target) for target in TARGETS},
    }


async def _form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    policy: SlaPolicy | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    values = values or _values(policy)
    return admin_page(
        request,
        principal,
        "admin_sla_form.html",
        status_code=status_code,
        policy=policy,
        values=values,
        cond=values.get("conditions") or {},
        priorities=get_args(Priority),
        channels=get_args(ChannelKind),
        inboxes=[
            (str(i.id), i.name) for i in await list_inboxes(session, workspace_id=principal.workspace_id)
        ],
        errors=errors or {},
    )


async def _policy(session: Session, principal: Principal, policy_id: str) -> SlaPolicy | None:
    parsed = parse_uuid(policy_id)
    if parsed is None:
        return None
    try:
        return await get_policy(session, workspace_id=principal.workspace_id, policy_id=parsed)
    except NotFound:
        return None


@router.get("", response_class=HTMLResponse)
async def policies(request: Request, principal: PagePrincipal, session: Session) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    rows = await list_policies(session, workspace_id=principal.workspace_id)
    return admin_page(request, principal, "admin_sla.html", policies=rows)


@router.get("/new", response_class=HTMLResponse)
async def new_policy(request: Request, principal: PagePrincipal, session: Session) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    return await _form(request, principal, session, policy=None)


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: PagePrincipal, session: Session) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    payload = _payload(await request.form())
    try:
        policy = await create_policy(
            session=session, principal=principal, data=SlaPolicyCreate.model_validate(payload)
        )
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        return await _form(
            request,
            principal,
            session,
            policy=None,
            values=payload,
            errors=field_errors(exc),
            status_code=422,
        )
    return RedirectResponse(f"/admin/sla/{policy.id}?notice=saved", status_code=303)


@router.get("/{policy_id}", response_class=HTMLResponse)
async def edit_policy(
    request: Request, principal: PagePrincipal, session: Session, policy_id: str
) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    policy = await _policy(session, principal, policy_id)
    if policy is None:
        return not_found(request, principal)
    return await _form(request, principal, session, policy=policy)


@router.post("/{policy_id}", response_class=HTMLResponse)
async def save_policy(
    request: Request, principal: PagePrincipal, session: Session, policy_id: str
) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    policy = await _policy(session, principal, policy_id)
    if policy is None:
        return not_found(request, principal)
    policy_uuid: uuid.UUID = policy.id
    payload = _payload(await request.form())
    try:
        await update_policy(
            session=session,
            principal=principal,
            policy_id=policy_uuid,
            data=SlaPolicyUpdate.model_validate(payload),
        )
    except (ValidationError, ProblemError) as exc:
        await session.rollback()
        policy = await get_policy(session, workspace_id=principal.workspace_id, policy_id=policy_uuid)
        return await _form(
            request,
            principal,
            session,
            policy=policy,
            values=payload,
            errors=field_errors(exc),
            status_code=422,
        )
    return RedirectResponse(f"/admin/sla/{policy_uuid}?notice=saved", status_code=303)


@router.post("/{policy_id}/delete", response_class=HTMLResponse)
async def remove_policy(
    request: Request, principal: PagePrincipal, session: Session, policy_id: str
) -> Response:
    if denied := forbidden_unless_admin(request, principal):
        return denied
    policy = await _policy(session, principal, policy_id)
    if policy is None:
        return not_found(request, principal)
    await delete_policy(session=session, principal=principal, policy_id=policy.id)
    return RedirectResponse("/admin/sla?notice=saved", status_code=303)
