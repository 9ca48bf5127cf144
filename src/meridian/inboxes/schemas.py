from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from meridian.core.schemas import Name, StrictModel

ChannelKind = Literal[
    "api", "email", "webchat", "whatsapp", "messenger", "instagram", "telegram", "line", "sms"
]
BotMode = Literal["off", "always", "outside_hours"]


class InboxCreate(StrictModel):
    name: Name
    channel: ChannelKind
    config: dict[str, Any] = Field(default_factory=dict)
    team_id: uuid.UUID | None = None
    bot_mode: BotMode = "off"


class InboxUpdate(StrictModel):
    name: Name | None = None
    config: dict[str, Any] | None = None
    team_id: uuid.UUID | None = None
    bot_mode: BotMode | None = None


class InboxOut(BaseModel):
    id: str
    name: str
    channel: str
    config: dict[str, Any]
    # Names of write-only settings that have a value (the values are never returned).
    secrets_set: list[str]
    team_id: str | None
    bot_mode: str
    callback_url: str | None = None
    embed_snippet: str | None = None
    created_at: datetime
    # Shown once: a generated secret (the api channel's webhook_secret).
    generated_secrets: dict[str, str] | None = None
    # Read-only health the channel reports (email: last IMAP poll, last error,
    # backoff). Never secrets or cursors.
    status: dict[str, Any] | None = None


class InboxList(BaseModel):
    items: list[InboxOut]
