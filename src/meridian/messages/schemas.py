from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from meridian.core.schemas import StrictModel


class ReplyCreate(StrictModel):
    body: str = Field(min_length=1, max_length=65_536)
    private: bool = False
    translate: bool = False
    # The agent's reviewed translation of ``body`` (from the preview), sent instead of it.
    sent_body: str | None = Field(default=None, min_length=1, max_length=65_536)
    # Approved WhatsApp template for replies outside the 24-hour window.
    template: dict[str, Any] | None = None


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(BaseModel):
    id: str
    conversation_id: str
    direction: str
    author_kind: str
    author_agent_id: str | None
    content_type: str
    body: str
    sent_body: str | None = None
    language: str | None
    language_confidence: float | None = None
    translation: dict[str, Any] | None = None
    delivery_status: str
    delivery_error: str | None = None
    external_id: str | None = None
    attachments: list[AttachmentOut] = Field(default_factory=list)
    created_at: datetime
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None


class MessageList(BaseModel):
    items: list[MessageOut]
