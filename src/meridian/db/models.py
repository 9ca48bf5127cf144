"""Imports every feature's ``models`` module so ``Base.metadata`` is complete
(Alembic autogenerate, tests). Features are found by folder, not listed here."""

from __future__ import annotations

from meridian.core.discovery import import_all
from meridian.db.base import Base

import_all("models")

__all__ = ["Base"]
