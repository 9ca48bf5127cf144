from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from meridian.core.schemas import LanguageTag, Name, StrictModel, Tag, TimeZoneName

# An intent the bot detects on customer messages (bot/signals.py: "order_status").
IntentName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class WorkspaceUpdate(StrictModel):
    name: Name | None = None
    default_locale: LanguageTag | None = None
    # Languages customers write in; narrows language detection.
    languages: list[LanguageTag] | None = Field(default=None, max_length=75)
    # Used where no team or agent timezone applies (e.g. reports without a team).
    timezone: TimeZoneName | None = None
    # Skills a detected intent asks routing for: {"order_status": ["orders"]}. Replaces
    # the whole map; {} clears it.
    intent_skills: dict[IntentName, Annotated[list[Tag], Field(max_length=20)]] | None = Field(
        default=None, max_length=100
    )


class WorkspaceOut(BaseModel):
    id: str
    name: str
    default_locale: str
    languages: list[str]
    timezone: str
    intent_skills: dict[str, list[str]] = Field(default_factory=dict)
