from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from meridian.conversations.schemas import Priority, Status
from meridian.core.schemas import LanguageTag, Name, StrictModel, Tag
from meridian.inboxes.schemas import ChannelKind

Event = Literal[
    "conversation.created", "message.created", "conversation.updated", "sla.warning", "sla.breached"
]
EVENTS: tuple[str, ...] = Event.__args__  # type: ignore[attr-defined]
Metric = Literal["first_response", "next_response", "resolution"]
Body = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Needle = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


T = TypeVar("T")
# A list, or one value standing for a one-item list: {"channel": "email"}.
# The length limit sits on the list itself: on the union it would also meet an
# explicit null, which pydantic cannot measure (a 500 found by the API fuzzer).
OneOrMany = Annotated[Annotated[list[T], Field(max_length=100)] | None, BeforeValidator(_listify)]


class Conditions(StrictModel):
    """Every present key must hold; a list holds when any of its values matches."""

    channel: OneOrMany[ChannelKind] = None
    inbox_id: OneOrMany[uuid.UUID] = None
    # Primary-subtag match: "es" matches es-MX.
    language: OneOrMany[LanguageTag] = None
    tags_any: OneOrMany[Tag] = None
    tags_all: OneOrMany[Tag] = None
    tags_none: OneOrMany[Tag] = None
    # Case-insensitive, in the customer's message (the triggering one, else the latest).
    text_contains: OneOrMany[Needle] = None
    contact_tier: OneOrMany[Label] = None
    contact_attributes: dict[str, str | int | float | bool] | None = None
    # The owning team's calendar (else the inbox's team); no team means always open.
    business_hours: Literal["open", "closed"] | None = None
    status: OneOrMany[Status] = None
    priority: OneOrMany[Priority] = None
    sla_metric: OneOrMany[Metric] = None


class AssignAgent(StrictModel):
    type: Literal["assign_agent"]
    agent_id: uuid.UUID


class AssignTeam(StrictModel):
    """Move to a team and let routing pick an agent there."""

    type: Literal["assign_team"]
    team_id: uuid.UUID


class Reassign(StrictModel):
    """Route again, away from the current agent (an escalation)."""

    type: Literal["reassign"]


class AddTag(StrictModel):
    type: Literal["add_tag"]
    tag: Tag


class RemoveTag(StrictModel):
    type: Literal["remove_tag"]
    tag: Tag


class SetPriority(StrictModel):
    type: Literal["set_priority"]
    priority: Priority


class RaisePriority(StrictModel):
    type: Literal["raise_priority"]


class SetStatus(StrictModel):
    type: Literal["set_status"]
    status: Literal["open", "pending", "resolved"]


class SendReply(StrictModel):
    """A reply in the conversation's language: ``bodies`` by language, ``body`` otherwise."""

    type: Literal["send_reply"]
    body: Body | None = None
    bodies: dict[LanguageTag, Body] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _has_text(self) -> SendReply:
        if not self.body and not self.bodies:
            raise ValueError("give body or bodies")
        return self


class AddNote(StrictModel):
    type: Literal["add_note"]
    body: Body


class CallWebhook(StrictModel):
    """POST the event to an api inbox's webhook_url, through the outbox (signed, retried)."""

    type: Literal["webhook"]
    inbox_id: uuid.UUID


class Notify(StrictModel):
    """An ``automation.notification`` event on the live stream (supervisors, or the agents named)."""

    type: Literal["notify"]
    message: Body
    agent_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


Action = Annotated[
    AssignAgent
    | AssignTeam
    | Reassign
    | AddTag
    | RemoveTag
    | SetPriority
    | RaisePriority
    | SetStatus
    | SendReply
    | AddNote
    | CallWebhook
    | Notify,
    Field(discriminator="type"),
]
Actions = Annotated[list[Action], Field(min_length=1, max_length=20)]


class AutomationCreate(StrictModel):
    name: Name
    event: Event
    conditions: Conditions = Field(default_factory=Conditions)
    actions: Actions
    enabled: bool = True
    position: int = Field(default=0, ge=-1000, le=1000)


class AutomationUpdate(StrictModel):
    name: Name | None = None
    event: Event | None = None
    conditions: Conditions | None = None
    actions: Actions | None = None
    enabled: bool | None = None
    position: int | None = Field(default=None, ge=-1000, le=1000)


class AutomationOut(BaseModel):
    id: str
    name: str
    event: str
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    enabled: bool
    position: int
    created_at: datetime
    updated_at: datetime


class AutomationList(BaseModel):
    items: list[AutomationOut]


class DryRunRequest(StrictModel):
    conversation_id: uuid.UUID


class ConditionResult(BaseModel):
    name: str
    passed: bool
    detail: str


class DryRunOut(BaseModel):
    automation_id: str
    conversation_id: str
    event: str
    matched: bool
    conditions: list[ConditionResult]
    actions: list[str]


class MacroCreate(StrictModel):
    name: Name
    description: str | None = Field(default=None, max_length=1000)
    actions: Actions


class MacroUpdate(StrictModel):
    name: Name | None = None
    description: str | None = Field(default=None, max_length=1000)
    actions: Actions | None = None


class MacroOut(BaseModel):
    id: str
    name: str
    description: str | None
    actions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class MacroList(BaseModel):
    items: list[MacroOut]


class MacroApplied(BaseModel):
    conversation_id: str
    macro_id: str
    applied: list[str]
