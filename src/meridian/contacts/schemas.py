from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from meridian.core.schemas import Email, LanguageTag, StrictModel, TimeZoneName


class IdentityIn(StrictModel):
    kind: str = Field(min_length=2, max_length=16, pattern=r"^[a-z]+$")
    identifier: str = Field(min_length=1, max_length=320)


class ContactCreate(StrictModel):
    name: str | None = Field(default=None, max_length=200)
    email: Email | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164")
    locale: LanguageTag | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    timezone: TimeZoneName | None = None
    tier: str | None = Field(default=None, max_length=32)
    attributes: dict[str, Any] = Field(default_factory=dict)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)
    # Data region; when absent it follows from country, phone, email (residency/rules.py).
    region: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,31}$")


class ContactUpdate(StrictModel):
    name: str | None = Field(default=None, max_length=200)
    email: Email | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$")
    locale: LanguageTag | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    timezone: TimeZoneName | None = None
    tier: str | None = Field(default=None, max_length=32)
    attributes: dict[str, Any] | None = None


class IdentityOut(BaseModel):
    id: str
    kind: str
    identifier: str | None
    verified: bool


class ContactOut(BaseModel):
    id: str
    name: str | None
    email: str | None
    phone: str | None
    locale: str | None
    country: str | None
    timezone: str | None
    tier: str | None
    region: str
    attributes: dict[str, Any]
    identities: list[IdentityOut]
    erased: bool
    # Set when the caller has no grant for the contact's region: PII fields are withheld.
    withheld_region: str | None = None
    created_at: datetime


class ContactList(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None = None


class MergeIn(StrictModel):
    other_contact_id: uuid.UUID


class UnmergeIn(StrictModel):
    merge_id: uuid.UUID


class MergeOut(BaseModel):
    id: str
    contact_id: str
    other_contact_id: str
    identity_ids: list[str]
    conversation_ids: list[str]
    merged_by_id: str | None
    created_at: datetime
    unmerged_at: datetime | None
    unmerged_by_id: str | None


class MergeList(BaseModel):
    items: list[MergeOut]
