from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Base64Bytes, BaseModel, Field, ValidationInfo, field_validator, model_validator

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


class AttachmentIn(StrictModel):
    """A file sent with a reply or note through the JSON API (the console uploads multipart)."""

    filename: str = Field(min_length=1, max_length=255)
    # Checked against the allowed types in ``attachments/uploads.py``; guessed from the
    # filename when empty or application/octet-stream.
    content_type: str = Field(default="", max_length=127)
    # The file's bytes, base64 (RFC 4648, standard alphabet).
    data: Base64Bytes


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
    # Files sent with the message (limits in attachments/uploads.py).
    attachments: list[AttachmentIn] = Field(default_factory=list)
    # Why the message goes out: "marketing" and "proactive" need the contact's consent for
    # this channel (privacy/consent.py), and email then carries a one-click unsubscribe.
    purpose: Literal["support", "marketing", "proactive"] = "support"

    @model_validator(mode="after")
    def _has_content(self, info: ValidationInfo) -> ReplyCreate:
        # The console passes its multipart uploads' count as context: files alone are a message.
        uploads = int((info.context or {}).get("uploads", 0))
        if not self.body and self.template is None and not self.attachments and not uploads:
            raise ValueError("body: write a message, attach a file (or choose a template)")
        if self.template is not None and self.private:
            raise ValueError("template: a private note cannot be a template")
        if self.private and self.purpose != "support":
            raise ValueError("purpose: a private note is not sent to anyone")
        if self.template is not None and (self.attachments or uploads):
            raise ValueError("attachments: a WhatsApp template is sent as approved, without files")
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
