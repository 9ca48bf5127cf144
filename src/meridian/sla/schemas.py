from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from meridian.conversations.schemas import Priority
from meridian.core.schemas import Name, StrictModel
from meridian.inboxes.schemas import ChannelKind

Minutes = Annotated[int, Field(ge=1, le=366 * 24 * 60)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _listify(value: Any) -> Any:
    # A single value is accepted where a list is expected: {"channel": "email"}.
    return [value] if isinstance(value, str) else value


class PolicyConditions(StrictModel):
    """All present keys must match; a list matches any of its values."""

    channel: Annotated[list[ChannelKind] | None, BeforeValidator(_listify)] = None
    inbox_id: Annotated[list[uuid.UUID] | None, BeforeValidator(_listify)] = None
    # The customer's data region or the owning team's region.
    region: Annotated[list[Label] | None, BeforeValidator(_listify)] = None
    tier: Annotated[list[Label] | None, BeforeValidator(_listify)] = None


class SlaPolicyCreate(StrictModel):
    name: Name
    priority: Priority | None = None
    first_response_minutes: Minutes | None = None
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    business_hours: bool = True
    conditions: PolicyConditions = Field(default_factory=PolicyConditions)

    @model_validator(mode="after")
    def _some_target(self) -> SlaPolicyCreate:
        if not (self.first_response_minutes or self.next_response_minutes or self.resolution_minutes):
            raise ValueError(
                "set at least one of first_response_minutes, next_response_minutes, resolution_minutes"
            )
        return self


class SlaPolicyUpdate(StrictModel):
    name: Name | None = None
    priority: Priority | None = None
    first_response_minutes: Minutes | None = None
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    business_hours: bool | None = None
    conditions: PolicyConditions | None = None


class SlaPolicyOut(BaseModel):
    id: str
    name: str
    priority: str | None
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    business_hours: bool
    conditions: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SlaPolicyList(BaseModel):
    items: list[SlaPolicyOut]
