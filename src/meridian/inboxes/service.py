from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.channels.registry import get_adapter
from meridian.config import get_settings
from meridian.core.crypto import decrypt_json, encrypt_json
from meridian.core.errors import NotFound, ProblemError
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.inboxes.schemas import InboxCreate, InboxOut, InboxUpdate
from meridian.teams.service import get_team


def channel_config(inbox: Inbox) -> dict[str, Any]:
    """The full config an adapter needs: public settings plus decrypted secrets."""
    secrets = decrypt_json(inbox.secrets_encrypted) if inbox.secrets_encrypted else {}
    return {**inbox.config, **secrets}


def callback_url(inbox: Inbox) -> str | None:
    try:
        adapter = get_adapter(inbox.channel)
    except LookupError:
        return None
    if not adapter.receives_webhooks:
        return None
    base = get_settings().public_url.rstrip("/")
    return f"{base}/webhooks/{inbox.channel}/{inbox.id}"


def embed_snippet(inbox: Inbox) -> str | None:
    if inbox.channel != "webchat":
        return None
    base = get_settings().public_url.rstrip("/")
    return (
        f'<script src="{base}/widget/meridian-chat.js" data-inbox="{inbox.id}" '
        f'data-base-url="{base}" async></script>'
    )


def to_out(inbox: Inbox, generated: dict[str, str] | None = None) -> InboxOut:
    secrets = decrypt_json(inbox.secrets_encrypted) if inbox.secrets_encrypted else {}
    return InboxOut(
        id=str(inbox.id),
        name=inbox.name,
        channel=inbox.channel,
        config=dict(inbox.config),
        secrets_set=sorted(k for k, v in secrets.items() if v),
        team_id=str(inbox.team_id) if inbox.team_id else None,
        bot_mode=inbox.bot_mode,
        callback_url=callback_url(inbox),
        embed_snippet=embed_snippet(inbox),
        created_at=inbox.created_at,
        generated_secrets=generated or None,
        status=dict((inbox.state or {}).get("status") or {}) or None,
    )


def _validate_config(channel: str, merged: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate with the channel's own model; return (public, secret) parts."""
    try:
        adapter = get_adapter(channel)
    except LookupError:
        raise ProblemError(422, f"the {channel} channel is not available in this build") from None
    try:
        model = adapter.config_model.model_validate(merged)
    except ValidationError as exc:
        errors = [
            {
                "pointer": "/config/" + "/".join(str(p) for p in e["loc"]),
                "message": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ]
        first = errors[0]
        raise ProblemError(422, f"{first['pointer']}: {first['message']}", errors=errors) from None
    values = model.model_dump(mode="json", exclude_none=True)
    public = {k: v for k, v in values.items() if k not in adapter.secret_keys}
    secret = {k: v for k, v in values.items() if k in adapter.secret_keys}
    return public, secret


async def get_inbox(session: AsyncSession, *, workspace_id: uuid.UUID, inbox_id: uuid.UUID) -> Inbox:
    inbox = await session.scalar(
        select(Inbox).where(Inbox.id == inbox_id, Inbox.workspace_id == workspace_id)
    )
    if inbox is None:
        raise NotFound("inbox")
    return inbox


async def list_inboxes(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Inbox]:
    return list(
        await session.scalars(select(Inbox).where(Inbox.workspace_id == workspace_id).order_by(Inbox.name))
    )


async def create_inbox(*, session: AsyncSession, principal: Principal, data: InboxCreate) -> InboxOut:
    if data.team_id is not None:
        await get_team(session, workspace_id=principal.workspace_id, team_id=data.team_id)
    config = dict(data.config)
    generated: dict[str, str] = {}
    if data.channel == "api" and not config.get("webhook_secret"):
        from meridian.channels.api.adapter import generate_webhook_secret

        generated["webhook_secret"] = config["webhook_secret"] = generate_webhook_secret()
    public, secret = _validate_config(data.channel, config)
    inbox = Inbox(
        workspace_id=principal.workspace_id,
        name=data.name,
        channel=data.channel,
        config=public,
        secrets_encrypted=encrypt_json(secret) if secret else None,
        team_id=data.team_id,
        bot_mode=data.bot_mode,
        state={},
    )
    session.add(inbox)
    await session.flush()
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="inbox.created",
        payload={"inbox_id": str(inbox.id), "channel": inbox.channel},
    )
    await session.commit()
    return to_out(inbox, generated)


async def update_inbox(
    *, session: AsyncSession, principal: Principal, inbox_id: uuid.UUID, data: InboxUpdate
) -> InboxOut:
    inbox = await get_inbox(session, workspace_id=principal.workspace_id, inbox_id=inbox_id)
    changes = data.model_dump(exclude_unset=True)
    if "team_id" in changes:
        if data.team_id is not None:
            await get_team(session, workspace_id=principal.workspace_id, team_id=data.team_id)
        inbox.team_id = data.team_id
    if data.config is not None:
        # Secrets not sent again are kept: the API never shows them, so a client
        # editing other settings cannot be expected to resend them.
        public, secret = _validate_config(inbox.channel, {**channel_config(inbox), **data.config})
        inbox.config = public
        inbox.secrets_encrypted = encrypt_json(secret) if secret else None
    if data.name is not None:
        inbox.name = data.name
    if data.bot_mode is not None:
        inbox.bot_mode = data.bot_mode
    await publish(
        session,
        workspace_id=principal.workspace_id,
        type="inbox.updated",
        payload={"inbox_id": str(inbox.id), "fields": sorted(changes)},
    )
    await session.commit()
    return to_out(inbox)
