from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from meridian.core.schemas import StrictModel

Purpose = Literal["marketing", "proactive", "support"]
Channel = Literal["api", "email", "webchat", "whatsapp", "messenger", "instagram", "telegram", "line", "sms"]


class PrivacyRequestOut(BaseModel):
    id: str
    type: str
    status: str
    regime: str
    contact_id: str | None
    due_at: datetime
    overdue: bool
    handled_by_id: str | None
    source: str
    result: dict[str, Any]
    # For the requester, in their language: {"language", "text"} (privacy/confirmation.py).
    confirmation: dict[str, str] | None = None
    error: str | None
    created_at: datetime
    completed_at: datetime | None


class PrivacyRequestList(BaseModel):
    items: list[PrivacyRequestOut]
    next_cursor: str | None = None


class ConsentIn(StrictModel):
    purpose: Purpose
    # Omitted: every channel.
    channel: Channel | None = None
    granted: bool
    source: str = Field(default="agent", min_length=1, max_length=64, pattern=r"^[a-z0-9_.:-]+$")


class ConsentOut(BaseModel):
    purpose: str
    channel: str | None
    granted: bool
    source: str
    recorded_at: datetime


class ConsentList(BaseModel):
    # The record in force for each purpose and channel.
    items: list[ConsentOut]
    # Every grant and revocation, oldest first.
    history: list[ConsentOut]


class RetentionPolicyIn(StrictModel):
    region: str | None = Field(default=None, min_length=1, max_length=32)
    channel: Channel | None = None
    max_age_days: int = Field(ge=1, le=36_500)
    enabled: bool = True


class RetentionPolicyUpdate(StrictModel):
    max_age_days: int | None = Field(default=None, ge=1, le=36_500)
    enabled: bool | None = None


class RetentionPolicyOut(BaseModel):
    id: str
    region: str | None
    channel: str | None
    max_age_days: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class RetentionPolicyList(BaseModel):
    items: list[RetentionPolicyOut]


class RetentionCandidate(BaseModel):
    conversation_id: str
    number: int
    contact_id: str
    region: str
    channel: str
    closed_at: datetime
    policy_id: str
    max_age_days: int
    # The contact has nothing else left, so their profile is erased too.
    erases_contact: bool


class RetentionReport(BaseModel):
    dry_run: bool
    items: list[RetentionCandidate]
    total: int


class RedactionSettings(StrictModel):
    # Extra regular expressions (Python syntax) whose matches are masked.
    patterns: list[str] = Field(default_factory=list, max_length=50)


class ConsentKeywordSettings(StrictModel):
    # Whole-message keywords on WhatsApp and SMS (privacy/keywords.py); matched without
    # regard to case, accents or end punctuation.
    opt_out: list[str] = Field(max_length=100)
    opt_in: list[str] = Field(max_length=100)
