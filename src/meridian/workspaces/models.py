from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin


class Workspace(IdMixin, Base):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(35), default="en")
    # Languages the workspace expects customers to write in; narrows language detection.
    languages: Mapped[list[str]] = mapped_column(default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Allocates the per-workspace conversation display numbers (#1, #2, ...).
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
