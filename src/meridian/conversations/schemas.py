from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from meridian.core.schemas import StrictModel, Tag

Status = Literal["open", "pending", "snoozed", "resolved"]
Priority = Literal["low", "normal", "high", "urgent"]


class ConversationUpdate(StrictModel):
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    custom_attributes: dict[str, Any] | None = None
    snoozed_until: datetime | None = None


class ContactSummary(BaseModel):
    id: str
    name: str | None
    email: str | None
    phone: str | None
    locale: str | None
    region: str
    erased: bool
    # Set when the caller has no grant for this region: name/email/phone are withheld.
    withheld_region: str | None = None


class ConversationOut(BaseModel):
    id: str
    number: int
    inbox_id: str
    channel: str
    contact: ContactSummary
    status: str
    priority: str
    assignee_id: str | None
    team_id: str | None
    language: str | None
    tags: list[str]
    custom_attributes: dict[str, Any]
    subject: str | None
    snoozed_until: datetime | None
    sla: dict[str, Any] | None
    routing: dict[str, Any] | None
    last_activity_at: datetime
    last_incoming_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime


class ConversationList(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None
