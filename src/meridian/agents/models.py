from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

ROLES = ("admin", "supervisor", "agent")
AVAILABILITY = ("online", "away", "offline")


class Agent(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "agents"
    __table_args__ = (Index("uq_agents_email", text("lower(email)"), unique=True),)

    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    role: Mapped[str] = mapped_column(String(16), default="agent")
    # A custom role (roles/) replaces the built-in "agent" permission set; see roles/service.py.
    role_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("roles.id", ondelete="SET NULL"), default=None, index=True
    )
    languages: Mapped[list[str]] = mapped_column(default=list)
    # Level per spoken tag ("native", "fluent", "basic"; absent: fluent). agents/languages.py.
    language_proficiency: Mapped[dict[str, str]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    locale: Mapped[str] = mapped_column(String(35), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    skills: Mapped[list[str]] = mapped_column(default=list)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=10)
    # Open conversations per channel ({"whatsapp": 3}), within max_concurrent; a channel
    # left out is limited by max_concurrent alone.
    channel_capacity: Mapped[dict[str, int]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    availability: Mapped[str] = mapped_column(String(16), default="offline")
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    deactivated_at: Mapped[datetime | None] = mapped_column(default=None)
    # Data residency: the agent's home region, and the regions whose content they may
    # read (None: every region). Reads outside the home region are audited.
    region: Mapped[str] = mapped_column(String(32), default="default", server_default="default")
    regions: Mapped[list[str] | None] = mapped_column(JSONB(none_as_null=True), default=None)


class AgentTeam(Base):
    __tablename__ = "agent_teams"

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )
