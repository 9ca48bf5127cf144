from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from meridian.core.schemas import LanguageTag, StrictModel

Body = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class CannedCreate(StrictModel):
    # What an agent types after "/" in the composer.
    shortcut: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    title: str | None = Field(default=None, max_length=200)
    # One body per locale (BCP 47), with Jinja2 variables: {{ contact.name }}.
    variants: dict[LanguageTag, Body] = Field(min_length=1, max_length=100)


class CannedOut(BaseModel):
    id: str
    shortcut: str
    title: str | None
    variants: dict[str, str]
    created_at: datetime
    updated_at: datetime


class CannedList(BaseModel):
    items: list[CannedOut]


class RenderedOut(BaseModel):
    id: str
    shortcut: str
    # The variant used, after the fallback chain (pt-BR -> pt -> workspace default).
    locale: str
    # The locale numbers and dates were formatted for (the customer's).
    format_locale: str
    body: str


class SystemTemplateUpdate(StrictModel):
    # The workspace's wording per locale (BCP 47), Jinja2; locales left out keep the default.
    variants: dict[LanguageTag, Body] = Field(max_length=100)


class SystemTemplateOut(BaseModel):
    key: str
    description: str
    # What Meridian ships, per language.
    defaults: dict[str, str]
    # What the text may use besides contact.* and conversation.number ("time", "url").
    variables: list[str]
    # This workspace's overrides, per locale.
    variants: dict[str, str]


class SystemTemplateList(BaseModel):
    items: list[SystemTemplateOut]
