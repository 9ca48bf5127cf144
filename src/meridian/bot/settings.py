"""A workspace's bot settings: public values, plus write-only keys (encrypted)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.auth.service import Principal
from meridian.bot.models import BotSettings
from meridian.bot.schemas import DEFAULT_THRESHOLD, BotSettingsIn, BotSettingsOut, GenerativeSettings
from meridian.core.crypto import decrypt_json, encrypt_json

SECRET_KEYS = ("llm_api_key", "order_status_api_key")


@dataclass(frozen=True)
class BotConfig:
    threshold: float
    generative: GenerativeSettings | None
    llm_api_key: str | None
    order_status_url: str | None
    order_status_api_key: str | None


def _config(row: BotSettings | None) -> BotConfig:
    public: dict[str, Any] = dict(row.config) if row else {}
    secrets = decrypt_json(row.secrets_encrypted) if row and row.secrets_encrypted else {}
    generative = public.get("generative")
    return BotConfig(
        threshold=float(public.get("confidence_threshold", DEFAULT_THRESHOLD)),
        generative=GenerativeSettings.model_validate(generative) if generative else None,
        llm_api_key=secrets.get("llm_api_key"),
        order_status_url=public.get("order_status_url"),
        order_status_api_key=secrets.get("order_status_api_key"),
    )


async def load_config(session: AsyncSession, *, workspace_id: uuid.UUID) -> BotConfig:
    return _config(await session.get(BotSettings, workspace_id))


def _out(row: BotSettings | None) -> BotSettingsOut:
    config = _config(row)
    secrets = decrypt_json(row.secrets_encrypted) if row and row.secrets_encrypted else {}
    return BotSettingsOut(
        confidence_threshold=config.threshold,
        generative=config.generative,
        order_status_url=config.order_status_url,
        secrets_set=sorted(k for k in SECRET_KEYS if secrets.get(k)),
        updated_at=row.updated_at if row else None,
    )


async def get_settings_out(session: AsyncSession, *, workspace_id: uuid.UUID) -> BotSettingsOut:
    return _out(await session.get(BotSettings, workspace_id))


async def update_settings(
    *, session: AsyncSession, principal: Principal, data: BotSettingsIn
) -> BotSettingsOut:
    row = await session.get(BotSettings, principal.workspace_id)
    if row is None:
        row = BotSettings(workspace_id=principal.workspace_id, config={}, secrets_encrypted=None)
        session.add(row)
    changes = data.model_dump(mode="json", exclude_unset=True)
    public = dict(row.config)
    secrets = decrypt_json(row.secrets_encrypted) if row.secrets_encrypted else {}
    for key, value in changes.items():
        # Keys are write-only: a client that never saw them cannot resend them, so
        # leaving one out keeps it; sending null clears it.
        target = secrets if key in SECRET_KEYS else public
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    row.config = public
    row.secrets_encrypted = encrypt_json(secrets) if secrets else None
    await session.commit()
    await session.refresh(row)
    return _out(row)
