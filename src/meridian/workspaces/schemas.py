from __future__ import annotations

from pydantic import BaseModel, Field

from meridian.core.schemas import LanguageTag, Name, StrictModel, TimeZoneName


class WorkspaceUpdate(StrictModel):
    name: Name | None = None
    default_locale: LanguageTag | None = None
    # Languages customers write in; narrows language detection.
    languages: list[LanguageTag] | None = Field(default=None, max_length=75)
    # Used where no team or agent timezone applies (e.g. reports without a team).
    timezone: TimeZoneName | None = None


class WorkspaceOut(BaseModel):
    id: str
    name: str
    default_locale: str
    languages: list[str]
    timezone: str
