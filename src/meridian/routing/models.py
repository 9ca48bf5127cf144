from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, WorkspaceScoped


class RoutingAgentState(WorkspaceScoped, Base):
    """Per-agent routing bookkeeping: when the agent last got a conversation.

    "Longest idle first" breaks ties between equally loaded agents; counting it from
    conversations would mean scanning an agent's whole history on every decision.
    """

    __tablename__ = "routing_agent_state"

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    last_assigned_at: Mapped[datetime | None] = mapped_column(default=None)
