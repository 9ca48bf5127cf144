from __future__ import annotations

from pydantic import BaseModel, Field

from meridian.core.schemas import Email, LanguageTag, StrictModel


class IncomingContact(StrictModel):
    identifier: str = Field(min_length=1, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    email: Email | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164")
    locale: LanguageTag | None = None


class IncomingMessage(StrictModel):
    contact: IncomingContact
    body: str = Field(min_length=1, max_length=65_536)
    external_id: str | None = Field(default=None, min_length=1, max_length=255)


class IncomingAccepted(BaseModel):
    conversation_id: str
    message_id: str
    duplicate: bool = False
