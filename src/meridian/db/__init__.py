from meridian.db.base import Base, IdMixin, TimestampMixin, WorkspaceScoped
from meridian.db.engine import Database, get_database, make_database, set_database

__all__ = [
    "Base",
    "Database",
    "IdMixin",
    "TimestampMixin",
    "WorkspaceScoped",
    "get_database",
    "make_database",
    "set_database",
]
