from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Team(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    languages: Mapped[list[str]] = mapped_column(default=list)
    # None means always open; see shared/api-contract.md for the shape.
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    holidays: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    region: Mapped[str | None] = mapped_column(String(32), default=None)
