"""Imports every model so ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from meridian.agents import models as agents
from meridian.attachments import models as attachments
from meridian.auth import models as auth
from meridian.contacts import models as contacts
from meridian.conversations import models as conversations
from meridian.db.base import Base
from meridian.deliveries import models as deliveries
from meridian.events import models as events
from meridian.inboxes import models as inboxes
from meridian.messages import models as messages
from meridian.teams import models as teams
from meridian.vault import models as vault
from meridian.workspaces import models as workspaces

__all__ = [
    "Base",
    "agents",
    "attachments",
    "auth",
    "contacts",
    "conversations",
    "deliveries",
    "events",
    "inboxes",
    "messages",
    "teams",
    "vault",
    "workspaces",
]
