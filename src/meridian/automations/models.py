from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Automation(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """When ``event`` happens and every condition holds, run ``actions`` in order."""

    __tablename__ = "automations"

    name: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(64))
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Rules run in ascending position (then creation order).
    position: Mapped[int] = mapped_column(Integer, default=0)


class Macro(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A named list of actions an agent applies to a conversation in one click."""

    __tablename__ = "macros"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
