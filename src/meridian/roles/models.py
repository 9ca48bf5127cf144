from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Role(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A custom role: a subset of the permission catalog (auth/permissions.py) and
    optional limits. A limit of None means "no limit"; region access stays with the
    agent's region grants (vault/access.py)."""

    __tablename__ = "roles"
    __table_args__ = (Index("uq_roles_workspace_name", "workspace_id", "name", unique=True),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    permissions: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # Team and inbox ids as strings (JSONB); the service checks they exist in the workspace.
    team_ids: Mapped[list[str] | None] = mapped_column(JSONB(none_as_null=True), default=None)
    inbox_ids: Mapped[list[str] | None] = mapped_column(JSONB(none_as_null=True), default=None)
