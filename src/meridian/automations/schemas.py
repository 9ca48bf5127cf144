from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from meridian.canned.render import check_template
from meridian.conversations.schemas import Priority, Status
from meridian.core.schemas import LanguageTag, Name, StrictModel, Tag
from meridian.inboxes.schemas import ChannelKind

Event = Literal[
    "conversation.created",
    "message.created",
    "conversation.updated",
    "sla.warning",
    "sla.breached",
    "time_since",
]
EVENTS: tuple[str, ...] = Event.__args__  # type: ignore[attr-defined]
# "time_since" is no domain event: the periodic pass (automations/tasks.py) raises it
# when a conversation's clock runs out; the others come from the event dispatcher.
TIME_SINCE = "time_since"
DOMAIN_EVENTS: tuple[str, ...] = tuple(e for e in EVENTS if e != TIME_SINCE)
# What a "time since" rule counts from.
Since = Literal["created", "last_customer_message", "last_agent_message", "status_change"]
TIMING_KEYS = ("since", "after_minutes", "business_time")
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
    # True: someone owns the conversation; False: nobody does ("unassigned for 30 min").
    assigned: bool | None = None
    # Only with event "time_since": the clock starts at ``since`` and the rule runs once
    # ``after_minutes`` have passed (of the owning team's business time when
    # ``business_time``), once per episode: a new ``since`` moment starts a new one.
    since: Since | None = None
    after_minutes: int | None = Field(default=None, ge=1, le=366 * 24 * 60)
    business_time: bool | None = None


def timing_problem(event: str, conditions: Conditions) -> str | None:
    """Why this event and these conditions do not go together, or None."""
    if event == TIME_SINCE:
        if conditions.since is None or conditions.after_minutes is None:
            return "a time_since rule needs conditions.since and conditions.after_minutes"
        return None
    present = [k for k in TIMING_KEYS if getattr(conditions, k) is not None]
    if present:
        return f"conditions.{present[0]} is only for time_since rules"
    return None


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
    """A reply in the customer's language: ``bodies`` by locale (pt-BR -> pt), ``body``
    otherwise; or a canned response's variants (``canned_response_id``). Texts are
    templates rendered with the customer's locale and time zone, like canned responses."""

    type: Literal["send_reply"]
    body: Body | None = None
    bodies: dict[LanguageTag, Body] = Field(default_factory=dict, max_length=50)
    canned_response_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _has_text(self) -> SendReply:
        if not self.body and not self.bodies and self.canned_response_id is None:
            raise ValueError("give body, bodies or canned_response_id")
        if self.canned_response_id is not None and (self.body or self.bodies):
            raise ValueError("give either a canned response or texts, not both")
        for text in [self.body or "", *self.bodies.values()]:
            if (problem := check_template(text)) is not None:
                raise ValueError(f"a reply text does not parse: {problem}")
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

    @model_validator(mode="after")
    def _timing(self) -> AutomationCreate:
        if (problem := timing_problem(self.event, self.conditions)) is not None:
            raise ValueError(problem)
        return self


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
