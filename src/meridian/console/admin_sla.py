"""Admin: SLA policies (targets per priority, business or calendar time, conditions)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.console.admin_common import admin_page, field_errors, path_entity, save_form, split_list
from meridian.console.deps import SettingsPage
from meridian.conversations.schemas import Priority
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


PolicyPath = Annotated[SlaPolicy, path_entity(get_policy, "policy_id")]


@router.get("", response_class=HTMLResponse)
async def policies(request: Request, principal: SettingsPage, session: Session) -> Response:
    rows = await list_policies(session, workspace_id=principal.workspace_id)
    return admin_page(request, principal, "admin_sla.html", policies=rows)


@router.get("/new", response_class=HTMLResponse)
async def new_policy(request: Request, principal: SettingsPage, session: Session) -> Response:
    return await _form(request, principal, session, policy=None)


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: SettingsPage, session: Session) -> Response:
    payload = _payload(await request.form())
    return await save_form(
        session,
        lambda: create_policy(
            session=session, principal=principal, data=SlaPolicyCreate.model_validate(payload)
        ),
        rejected=lambda exc: _form(
            request,
            principal,
            session,
            policy=None,
            values=payload,
            errors=field_errors(exc),
            status_code=422,
        ),
        done=lambda policy: f"/admin/sla/{policy.id}?notice=saved",
    )


@router.get("/{policy_id}", response_class=HTMLResponse)
async def edit_policy(
    request: Request, principal: SettingsPage, session: Session, policy: PolicyPath
) -> Response:
    return await _form(request, principal, session, policy=policy)


@router.post("/{policy_id}", response_class=HTMLResponse)
async def save_policy(
    request: Request, principal: SettingsPage, session: Session, policy: PolicyPath
) -> Response:
    policy_uuid: uuid.UUID = policy.id
    payload = _payload(await request.form())
    return await save_form(
        session,
        lambda: update_policy(
            session=session,
            principal=principal,
            policy_id=policy_uuid,
            data=SlaPolicyUpdate.model_validate(payload),
        ),
        rejected=lambda exc: _form(
            request,
            principal,
            session,
            policy=policy,
            values=payload,
            errors=field_errors(exc),
            status_code=422,
        ),
        done=f"/admin/sla/{policy_uuid}?notice=saved",
        refresh=[policy],
    )


@router.post("/{policy_id}/delete", response_class=HTMLResponse)
async def remove_policy(principal: SettingsPage, session: Session, policy: PolicyPath) -> Response:
    await delete_policy(session=session, principal=principal, policy_id=policy.id)
    return RedirectResponse("/admin/sla?notice=saved", status_code=303)
