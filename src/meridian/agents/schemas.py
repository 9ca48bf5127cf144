from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from meridian.agents.languages import Level
from meridian.core.schemas import Email, LanguageTag, Name, StrictModel, Tag, TimeZoneName
from meridian.inboxes.schemas import ChannelKind

Role = Literal["admin", "supervisor", "agent"]
Availability = Literal["online", "away", "offline"]
# A data region's name (docs/privacy.md, "Data residency").
RegionName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class AgentCreate(StrictModel):
    email: Email
    name: Name
    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: Role = "agent"
    languages: list[LanguageTag] = Field(default_factory=list, max_length=50)
    # How well each spoken language is spoken; a language left out is "fluent".
    language_proficiency: dict[LanguageTag, Level] = Field(default_factory=dict, max_length=50)
    locale: LanguageTag = "en"
    timezone: TimeZoneName = "UTC"
    team_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    skills: list[Tag] = Field(default_factory=list, max_length=100)
    max_concurrent: int = Field(default=10, ge=0, le=1000)
    # Open conversations per channel, within max_concurrent: {"whatsapp": 3, "email": 20}.
    channel_capacity: dict[ChannelKind, Annotated[int, Field(ge=0, le=1000)]] = Field(default_factory=dict)
    availability: Availability = "offline"
    region: RegionName = "default"
    # Regions whose content the agent may read besides their own; None: every region.
    regions: list[RegionName] | None = Field(default=None, max_length=50)


class AgentUpdate(StrictModel):
    email: Email | None = None
    name: Name | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: Role | None = None
    languages: list[LanguageTag] | None = Field(default=None, max_length=50)
    language_proficiency: dict[LanguageTag, Level] | None = Field(default=None, max_length=50)
    locale: LanguageTag | None = None
    timezone: TimeZoneName | None = None
    team_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    skills: list[Tag] | None = Field(default=None, max_length=100)
    max_concurrent: int | None = Field(default=None, ge=0, le=1000)
    channel_capacity: dict[ChannelKind, Annotated[int, Field(ge=0, le=1000)]] | None = None
    availability: Availability | None = None
    region: RegionName | None = None
    regions: list[RegionName] | None = Field(default=None, max_length=50)


class AgentOut(BaseModel):
    id: str
    workspace_id: str
    email: str
    name: str
    role: str
    languages: list[str]
    language_proficiency: dict[str, str]
    locale: str
    timezone: str
    team_ids: list[str]
    skills: list[str]
    max_concurrent: int
    channel_capacity: dict[str, int]
    availability: str
    region: str
    regions: list[str] | None
    # A custom role (PUT /agents/{id}/role, roles/); None: the built-in set of ``role``.
    role_id: str | None = None
    created_at: datetime


class AgentList(BaseModel):
    items: list[AgentOut]


class MeOut(AgentOut):
    workspace_name: str
