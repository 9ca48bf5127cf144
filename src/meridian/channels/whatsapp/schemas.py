from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from meridian.core.schemas import StrictModel

Category = Literal["marketing", "utility", "authentication"]
Status = Literal["approved", "pending", "rejected", "paused", "disabled"]


class TemplateIn(StrictModel):
    """A template entered by hand, as approved in Meta's WhatsApp Manager."""

    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    language: str = Field(min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
    category: Category = "utility"
    status: Status = "approved"
    body: str = Field(min_length=1, max_length=1024)

    @field_validator("category", "status", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class TemplateOut(BaseModel):
    id: str
    inbox_id: str
    name: str
    language: str
    category: str
    status: str
    body: str
    variables: int
    components: list[dict[str, Any]]
    external_id: str | None
    synced_at: datetime | None
    updated_at: datetime


class TemplateList(BaseModel):
    items: list[TemplateOut]


class TemplateSync(BaseModel):
    items: list[TemplateOut]
    added: int
    updated: int
    removed: int
