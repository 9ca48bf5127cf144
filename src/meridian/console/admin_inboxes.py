"""Admin: inboxes per channel, with the fields the channel's own config model declares.

The form is built from the adapter's ``config_model`` and ``secret_keys`` (the same
ones the API validates against), so a new channel gets its admin form for free.
Secrets are write-only: the page says whether one is set and offers to replace it.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic.fields import FieldInfo
from starlette.datastructures import FormData

from meridian.auth.deps import Session
from meridian.auth.service import Principal
from meridian.channels.registry import CHANNELS, get_adapter
from meridian.console.admin_common import admin_page, field_errors, path_entity, save_form, split_list
from meridian.console.deps import SettingsPage
from meridian.console.i18n import N_
from meridian.inboxes.models import Inbox
from meridian.inboxes.schemas import BotMode, InboxCreate, InboxOut, InboxUpdate
from meridian.inboxes.service import create_inbox as create_inbox_action
from meridian.inboxes.service import get_inbox, list_inboxes, to_out, update_inbox
from meridian.teams.service import list_teams

router = APIRouter(prefix="/admin/inboxes", include_in_schema=False)

BOT_MODE_LABELS = {
    "off": N_("Off"),
    "always": N_("Always"),
    "outside_hours": N_("Outside business hours"),
}


@dataclass(frozen=True)
class ConfigField:
    name: str
    kind: Literal["text", "secret", "number", "bool", "list", "choice"]
    required: bool
    default: Any
    choices: tuple[str, ...] = ()


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _field(name: str, info: FieldInfo, secret: bool) -> ConfigField:
    annotation = _unwrap(info.annotation)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if secret:
        kind: Any = "secret"
    elif annotation is bool:
        kind = "bool"
    elif annotation is int:
        kind = "number"
    elif get_origin(annotation) is list:
        kind = "list"
    elif get_origin(annotation) is Literal:
        return ConfigField(
            name, "choice", info.is_required(), default, tuple(str(a) for a in get_args(annotation))
        )
    else:
        kind = "text"
    return ConfigField(name, kind, info.is_required(), default)


def config_fields(channel: str) -> list[ConfigField]:
    adapter = get_adapter(channel)
    return [
        _field(name, info, name in adapter.secret_keys)
        for name, info in adapter.config_model.model_fields.items()
    ]


def _config_from(form: FormData, channel: str, *, editing: bool) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for field in config_fields(channel):
        raw = str(form.get(f"config.{field.name}", "")).strip()
        if field.kind == "bool":
            config[field.name] = bool(form.get(f"config.{field.name}"))
        elif field.kind == "list":
            config[field.name] = split_list(raw)
        elif raw:
            config[field.name] = raw
        elif field.kind == "secret":
            # Empty secret box: keep the stored secret (it is never shown).
            continue
        elif field.required or (editing and field.default is None):
            # Required: the channel's model says so next to the field. Optional: clears it.
            config[field.name] = None
    return config


def _config_text(inbox: InboxOut | None, field: ConfigField, values: dict[str, Any] | None) -> str:
    source = values if values is not None else (inbox.config if inbox else {})
    value = source.get(field.name, field.default if inbox is None else None)
    if value is None or field.kind == "secret":
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


async def _form(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    channel: str,
    inbox: InboxOut | None,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    fields = config_fields(channel)
    submitted = None
    if form is not None:
        submitted = {f.name: form.get(f"config.{f.name}") for f in fields}
    return admin_page(
        request,
        principal,
        "admin_inbox_form.html",
        status_code=status_code,
        inbox=inbox,
        channel=channel,
        fields=[(f, _config_text(inbox, f, submitted)) for f in fields],
        name=str(form.get("name", "")) if form is not None else (inbox.name if inbox else ""),
        team_id=str(form.get("team_id", "")) if form is not None else (inbox.team_id if inbox else ""),
        bot_mode=str(form.get("bot_mode", "off"))
        if form is not None
        else (inbox.bot_mode if inbox else "off"),
        bot_modes=get_args(BotMode),
        bot_mode_labels=BOT_MODE_LABELS,
        teams=[(str(t.id), t.name) for t in await list_teams(session, workspace_id=principal.workspace_id)],
        errors=errors or {},
    )


InboxPath = Annotated[Inbox, path_entity(get_inbox, "inbox_id")]


@router.get("", response_class=HTMLResponse)
async def inboxes(request: Request, principal: SettingsPage, session: Session) -> Response:
    rows = await list_inboxes(session, workspace_id=principal.workspace_id)
    teams = {t.id: t.name for t in await list_teams(session, workspace_id=principal.workspace_id)}
    return admin_page(
        request,
        principal,
        "admin_inboxes.html",
        inboxes=[(to_out(row), teams.get(row.team_id) if row.team_id else None) for row in rows],
        channels=list(CHANNELS),
        bot_mode_labels=BOT_MODE_LABELS,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_inbox(
    request: Request, principal: SettingsPage, session: Session, channel: str = ""
) -> Response:
    if channel not in CHANNELS:
        return RedirectResponse("/admin/inboxes", status_code=303)
    return await _form(request, principal, session, channel=channel, inbox=None)


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, principal: SettingsPage, session: Session) -> Response:
    form = await request.form()
    channel = str(form.get("channel", ""))
    if channel not in CHANNELS:
        return RedirectResponse("/admin/inboxes", status_code=303)

    def created(out: InboxOut) -> str | Response:
        if out.generated_secrets:
            # Generated secrets are shown once, on this response only.
            return admin_page(request, principal, "admin_inbox_created.html", inbox=out)
        return f"/admin/inboxes/{out.id}?notice=saved"

    return await save_form(
        session,
        lambda: create_inbox_action(
            session=session,
            principal=principal,
            data=InboxCreate.model_validate(
                {
                    "name": str(form.get("name", "")),
                    "channel": channel,
                    "config": _config_from(form, channel, editing=False),
                    "team_id": str(form.get("team_id", "")) or None,
                    "bot_mode": str(form.get("bot_mode", "off")),
                }
            ),
        ),
        rejected=lambda exc: _form(
            request,
            principal,
            session,
            channel=channel,
            inbox=None,
            form=form,
            errors=field_errors(exc),
            status_code=422,
        ),
        done=created,
    )


@router.get("/{inbox_id}", response_class=HTMLResponse)
async def edit_inbox(
    request: Request, principal: SettingsPage, session: Session, inbox: InboxPath
) -> Response:
    return await _form(request, principal, session, channel=inbox.channel, inbox=to_out(inbox))


@router.post("/{inbox_id}", response_class=HTMLResponse)
async def save_inbox(
    request: Request, principal: SettingsPage, session: Session, inbox: InboxPath
) -> Response:
    form = await request.form()
    inbox_uuid, channel = inbox.id, inbox.channel
    return await save_form(
        session,
        lambda: update_inbox(
            session=session,
            principal=principal,
            inbox_id=inbox_uuid,
            data=InboxUpdate.model_validate(
                {
                    "name": str(form.get("name", "")),
                    "config": _config_from(form, channel, editing=True),
                    "team_id": str(form.get("team_id", "")) or None,
                    "bot_mode": str(form.get("bot_mode", "")),
                }
            ),
        ),
        rejected=lambda exc: _form(
            request,
            principal,
            session,
            channel=channel,
            inbox=to_out(inbox),
            form=form,
            errors=field_errors(exc),
            status_code=422,
        ),
        done=f"/admin/inboxes/{inbox_uuid}?notice=saved",
        refresh=[inbox],
    )
