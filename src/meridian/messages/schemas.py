from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from meridian.core.schemas import StrictModel


class TemplateRef(StrictModel):
    """An approved WhatsApp template of the inbox, with its ``{{n}}`` values in order."""

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=35)
    variables: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("variables")
    @classmethod
    def _values(cls, values: list[str]) -> list[str]:
        if any(not v.strip() or len(v) > 1024 for v in values):
            raise ValueError("each variable needs 1 to 1024 characters")
        return values


class ReplyCreate(StrictModel):
    # Optional only with a template: the message then reads as the filled-in template.
    body: str = Field(default="", max_length=65_536)
    private: bool = False
    translate: bool = False
    # The agent's reviewed translation of ``body`` (from the preview), sent instead of it.
    sent_body: str | None = Field(default=None, min_length=1, max_length=65_536)
    # Approved WhatsApp template, the one reply allowed outside the 24-hour window.
    template: TemplateRef | None = None
    # Send even though the outgoing compliance check warned (privacy/compliance.py).
    override: bool = False

    @model_validator(mode="after")
    def _has_content(self) -> ReplyCreate:
        if not self.body and self.template is None:
            raise ValueError("body: write a message (or choose a template)")
        if self.template is not None and self.private:
            raise ValueError("template: a private note cannot be a template")
        return self


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
    # Set when the caller has no grant for the conversation's data region: ``body`` is a
    # "content in region ... — no access" notice, other content fields are empty.
    withheld_region: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None


class MessageList(BaseModel):
    items: list[MessageOut]
