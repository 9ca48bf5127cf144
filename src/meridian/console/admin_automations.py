"""Admin: automation rules (event -> conditions -> actions) with a dry run, and macros.

The action editor is one row per action: a type, a target (agent, team, api inbox,
priority or status, as the type needs) and a text (tag, note, reply, notification).
A reply may be localized with one line per language: ``es: Hola``.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from meridian.agents.models import Agent
from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.automations import macros as macro_service
from meridian.automations import service
from meridian.automations.models import Automation, Macro
from meridian.automations.schemas import (
    EVENTS,
    AutomationCreate,
    AutomationUpdate,
    DryRunOut,
    MacroCreate,
    MacroUpdate,
)
from meridian.console.admin_common import (
    admin_page,
    field_errors,
    parse_uuid,
    path_entity,
    save_form,
    split_list,
)
from meridian.console.deps import AutomationsPage
from meridian.console.i18n import N_
from meridian.conversations.models import Conversation
from meridian.conversations.schemas import Priority
from meridian.core.errors import ProblemError
from meridian.inboxes.schemas import ChannelKind
from meridian.inboxes.service import list_inboxes
from meridian.teams.service import list_teams

router = APIRouter(prefix="/admin", include_in_schema=False)

EVENT_LABELS = {
    "conversation.created": N_("A conversation is created"),
    "message.created": N_("A message arrives"),
    "conversation.updated": N_("A conversation changes"),
    "sla.warning": N_("An SLA target is about to be missed"),
    "sla.breached": N_("An SLA target was missed"),
    "time_since": N_("A set time has passed"),
}
# What a "time since" rule counts from (conditions.since).
SINCE_LABELS = {
    "created": N_("The conversation was created"),
    "last_customer_message": N_("The customer's last message"),
    "last_agent_message": N_("An agent's last reply"),
    "status_change": N_("The last status change"),
}
ACTION_LABELS = {
    "assign_agent": N_("Assign to agent"),
    "assign_team": N_("Assign to team"),
    "reassign": N_("Route again"),
    "add_tag": N_("Add tag"),
    "remove_tag": N_("Remove tag"),
    "set_priority": N_("Set priority"),
    "raise_priority": N_("Raise priority"),
    "set_status": N_("Set status"),
    "send_reply": N_("Send reply"),
    "add_note": N_("Add internal note"),
    "webhook": N_("Call webhook"),
    "notify": N_("Notify"),
}
# Which target kind, and which text, each action type reads from its row.
TARGET_OF = {
    "assign_agent": "agent",
    "assign_team": "team",
    "set_priority": "priority",
    "set_status": "status",
    "webhook": "inbox",
}
TEXT_OF = {
    "add_tag": "tag",
    "remove_tag": "tag",
    "add_note": "body",
    "send_reply": "body",
    "notify": "message",
}
EXTRA_ROWS = 2
_LOCALIZED_LINE = re.compile(r"^([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*):\s*(.+)$")
LIST_CONDITIONS = ("language", "tags_any", "tags_all", "tags_none", "text_contains", "contact_tier")


def parse_action(kind: str, target: str, text: str) -> dict[str, Any]:
    action: dict[str, Any] = {"type": kind}
    if kind in TARGET_OF:
        prefix, _, value = target.partition(":")
        field = {"agent": "agent_id", "team": "team_id", "inbox": "inbox_id"}.get(
            TARGET_OF[kind], TARGET_OF[kind]
        )
        action[field] = value if prefix == TARGET_OF[kind] else None
    if kind == "send_reply":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        matches = [_LOCALIZED_LINE.match(line) for line in lines]
        if lines and all(matches):
            action["bodies"] = {m[1]: m[2] for m in matches if m}
        else:
            action["body"] = text.strip() or None
    elif kind in TEXT_OF:
        action[TEXT_OF[kind]] = text.strip() or None
    return action


def action_row(action: dict[str, Any]) -> tuple[str, str, str]:
    """(type, target, text) of a stored action, for the editor."""
    kind = str(action.get("type", ""))
    target = ""
    if kind in TARGET_OF:
        field = {"agent": "agent_id", "team": "team_id", "inbox": "inbox_id"}.get(
            TARGET_OF[kind], TARGET_OF[kind]
        )
        target = f"{TARGET_OF[kind]}:{action.get(field, '')}"
    text = ""
    if kind == "send_reply" and action.get("bodies"):
        text = "\n".join(f"{lang}: {body}" for lang, body in action["bodies"].items())
    elif kind in TEXT_OF:
        text = str(action.get(TEXT_OF[kind]) or "")
    return kind, target, text


def _actions(form: FormData) -> list[dict[str, Any]]:
    kinds = [str(v) for v in form.getlist("action_type")]
    targets = [str(v) for v in form.getlist("action_target")]
    texts = [str(v) for v in form.getlist("action_text")]
    return [
        parse_action(kind, target, text)
        for kind, target, text in zip(kinds, targets, texts, strict=False)
        if kind
    ]


def _conditions(form: FormData) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    for key in ("channel", "status", "priority", "inbox_id"):
        if values := [str(v) for v in form.getlist(f"cond_{key}")]:
            conditions[key] = values
    for key in LIST_CONDITIONS:
        if values := split_list(str(form.get(f"cond_{key}", ""))):
            conditions[key] = values
    if hours := str(form.get("cond_business_hours", "")):
        conditions["business_hours"] = hours
    if assigned := str(form.get("cond_assigned", "")):
        conditions["assigned"] = assigned == "yes"
    # The time condition: left as typed, so a wrong value comes back as the API's 422.
    if since := str(form.get("cond_since", "")):
        conditions["since"] = since
    if minutes := str(form.get("cond_after_minutes", "")).strip():
        conditions["after_minutes"] = minutes
    if form.get("cond_business_time"):
        conditions["business_time"] = True
    attributes: dict[str, str] = {}
    for line in str(form.get("cond_contact_attributes", "")).splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            attributes[key.strip()] = value.strip()
    if attributes:
        conditions["contact_attributes"] = attributes
    return conditions


def _action_errors(exc: ValidationError | ProblemError) -> dict[str, str]:
    """Field errors, with those inside actions on their row: ('actions', 2, ...) or /actions/2/..."""
    errors = field_errors(exc)
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            if loc[:1] == ["actions"] and len(loc) > 1 and loc[1].isdigit():
                errors.setdefault(f"action:{loc[1]}", str(error["msg"]).removeprefix("Value error, "))
    else:
        for item in exc.errors or []:
            parts = [p for p in str(item.get("pointer", "")).split("/") if p]
            if parts[:1] == ["actions"] and len(parts) > 1:
                errors.setdefault(f"action:{parts[1]}", str(item.get("message", "")))
    return errors


async def _choices(session: Session, principal: Principal) -> dict[str, Any]:
    agents = await session.scalars(
        select(Agent)
        .where(Agent.workspace_id == principal.workspace_id, Agent.deactivated_at.is_(None))
        .order_by(Agent.name)
    )
    inboxes = await list_inboxes(session, workspace_id=principal.workspace_id)
    return {
        "agents": [(str(a.id), a.name) for a in agents],
        "teams": [
            (str(t.id), t.name) for t in await list_teams(session, workspace_id=principal.workspace_id)
        ],
        "inboxes": [(str(i.id), i.name) for i in inboxes],
        "api_inboxes": [(str(i.id), i.name) for i in inboxes if i.channel == "api"],
        "priorities": get_args(Priority),
        "statuses": ("open", "pending", "resolved"),
        "channels": get_args(ChannelKind),
        "all_statuses": ("open", "pending", "snoozed", "resolved"),
        "action_labels": ACTION_LABELS,
        "event_labels": EVENT_LABELS,
        "since_labels": SINCE_LABELS,
        "events": EVENTS,
        "list_conditions": LIST_CONDITIONS,
    }


def _rows(actions: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [*(action_row(a) for a in actions), *([("", "", "")] * EXTRA_ROWS)]


# -- automations -------------------------------------------------------------------


async def _rule_form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    rule: Automation | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    dry: DryRunOut | None = None,
    dry_error: str | None = None,
    status_code: int = 200,
) -> Response:
    if values is None:
        values = {
            "name": rule.name if rule else "",
            "event": rule.event if rule else "conversation.created",
            "enabled": rule.enabled if rule else True,
            "position": rule.position if rule else 0,
            "conditions": dict(rule.conditions) if rule else {},
            "actions": list(rule.actions) if rule else [],
        }
    return admin_page(
        request,
        principal,
        "admin_automation_form.html",
        status_code=status_code,
        rule=rule,
        values=values,
        cond=values["conditions"],
        rows=_rows(values["actions"]),
        errors=errors or {},
        dry=dry,
        dry_error=dry_error,
        **await _choices(session, principal),
    )


def _rule_payload(form: FormData) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")),
        "event": str(form.get("event", "")),
        "enabled": form.get("enabled") == "1",
        "position": str(form.get("position", "0")).strip() or "0",
        "conditions": _conditions(form),
        "actions": _actions(form),
    }


RulePath = Annotated[Automation, path_entity(service.get_automation, "automation_id")]


@router.get("/automations", response_class=HTMLResponse)
async def automations(request: Request, principal: AutomationsPage, session: Session) -> Response:
    return admin_page(
        request,
        principal,
        "admin_automations.html",
        rules=await service.list_automations(session, workspace_id=principal.workspace_id),
        macros=await macro_service.list_macros(session, workspace_id=principal.workspace_id),
        event_labels=EVENT_LABELS,
    )


@router.get("/automations/new", response_class=HTMLResponse)
async def new_rule(request: Request, principal: AutomationsPage, session: Session) -> Response:
    return await _rule_form(request, principal, session, rule=None)


@router.post("/automations/new", response_class=HTMLResponse)
async def create_rule(request: Request, principal: AutomationsPage, session: Session) -> Response:
    payload = _rule_payload(await request.form())
    return await save_form(
        session,
        lambda: service.create_automation(
            session=session, principal=principal, data=AutomationCreate.model_validate(payload)
        ),
        rejected=lambda exc: _rule_form(
            request,
            principal,
            session,
            rule=None,
            values=payload,
            errors=_action_errors(exc),
            status_code=422,
        ),
        done=lambda rule: f"/admin/automations/{rule.id}?notice=saved",
    )


@router.get("/automations/{automation_id}", response_class=HTMLResponse)
async def edit_rule(
    request: Request, principal: AutomationsPage, session: Session, rule: RulePath
) -> Response:
    return await _rule_form(request, principal, session, rule=rule)


@router.post("/automations/{automation_id}", response_class=HTMLResponse)
async def save_rule(
    request: Request, principal: AutomationsPage, session: Session, rule: RulePath
) -> Response:
    rule_id: uuid.UUID = rule.id
    payload = _rule_payload(await request.form())
    return await save_form(
        session,
        lambda: service.update_automation(
            session=session,
            principal=principal,
            automation_id=rule_id,
            data=AutomationUpdate.model_validate(payload),
        ),
        rejected=lambda exc: _rule_form(
            request,
            principal,
            session,
            rule=rule,
            values=payload,
            errors=_action_errors(exc),
            status_code=422,
        ),
        done=f"/admin/automations/{rule_id}?notice=saved",
        refresh=[rule],
    )


@router.post("/automations/{automation_id}/delete", response_class=HTMLResponse)
async def delete_rule(principal: AutomationsPage, session: Session, rule: RulePath) -> Response:
    await service.delete_automation(session=session, principal=principal, automation_id=rule.id)
    return RedirectResponse("/admin/automations?notice=saved", status_code=303)


async def _conversation_id(session: Session, principal: Principal, text: str) -> uuid.UUID | None:
    """A conversation by its number (#12 or 12) or id, in the admin's workspace."""
    text = text.strip().lstrip("#")
    if text.isdigit():
        return await session.scalar(
            select(Conversation.id).where(
                Conversation.workspace_id == principal.workspace_id, Conversation.number == int(text)
            )
        )
    return parse_uuid(text)


@router.post("/automations/{automation_id}/dry-run", response_class=HTMLResponse)
async def dry_run(request: Request, principal: AutomationsPage, session: Session, rule: RulePath) -> Response:
    form = await request.form()
    conversation_id = await _conversation_id(session, principal, str(form.get("conversation", "")))
    result: DryRunOut | None = None
    problem: str | None = None
    if conversation_id is None:
        problem = "conversation not found"
    else:
        try:
            result = await service.dry_run(
                session=session, principal=principal, automation_id=rule.id, conversation_id=conversation_id
            )
        except ProblemError as exc:
            problem = exc.detail
    return await _rule_form(
        request,
        principal,
        session,
        rule=rule,
        dry=result,
        dry_error=problem,
        status_code=200 if result else 422,
    )


# -- macros ------------------------------------------------------------------------


async def _macro_form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    macro: Macro | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if values is None:
        values = {
            "name": macro.name if macro else "",
            "description": (macro.description or "") if macro else "",
            "actions": list(macro.actions) if macro else [],
        }
    return admin_page(
        request,
        principal,
        "admin_macro_form.html",
        status_code=status_code,
        macro=macro,
        values=values,
        rows=_rows(values["actions"]),
        errors=errors or {},
        **await _choices(session, principal),
    )


def _macro_payload(form: FormData) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")),
        "description": str(form.get("description", "")).strip() or None,
        "actions": _actions(form),
    }


MacroPath = Annotated[Macro, path_entity(macro_service.get_macro, "macro_id")]


@router.get("/macros/new", response_class=HTMLResponse)
async def new_macro(request: Request, principal: AutomationsPage, session: Session) -> Response:
    return await _macro_form(request, principal, session, macro=None)


@router.post("/macros/new", response_class=HTMLResponse)
async def create_macro(request: Request, principal: AutomationsPage, session: Session) -> Response:
    payload = _macro_payload(await request.form())
    return await save_form(
        session,
        lambda: macro_service.create_macro(
            session=session, principal=principal, data=MacroCreate.model_validate(payload)
        ),
        rejected=lambda exc: _macro_form(
            request,
            principal,
            session,
            macro=None,
            values=payload,
            errors=_action_errors(exc),
            status_code=422,
        ),
        done=lambda macro: f"/admin/macros/{macro.id}?notice=saved",
    )


@router.get("/macros/{macro_id}", response_class=HTMLResponse)
async def edit_macro(
    request: Request, principal: AutomationsPage, session: Session, macro: MacroPath
) -> Response:
    return await _macro_form(request, principal, session, macro=macro)


@router.post("/macros/{macro_id}", response_class=HTMLResponse)
async def save_macro(
    request: Request, principal: AutomationsPage, session: Session, macro: MacroPath
) -> Response:
    macro_uuid: uuid.UUID = macro.id
    payload = _macro_payload(await request.form())
    return await save_form(
        session,
        lambda: macro_service.update_macro(
            session=session,
            principal=principal,
            macro_id=macro_uuid,
            data=MacroUpdate.model_validate(payload),
        ),
        rejected=lambda exc: _macro_form(
            request,
            principal,
            session,
            macro=macro,
            values=payload,
            errors=_action_errors(exc),
            status_code=422,
        ),
        done=f"/admin/macros/{macro_uuid}?notice=saved",
        refresh=[macro],
    )


@router.post("/macros/{macro_id}/delete", response_class=HTMLResponse)
async def delete_macro(principal: AutomationsPage, session: Session, macro: MacroPath) -> Response:
    await macro_service.delete_macro(session=session, principal=principal, macro_id=macro.id)
    return RedirectResponse("/admin/automations?notice=saved", status_code=303)
