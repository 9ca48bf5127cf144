"""The async engine and session factory, created once per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from meridian.config import Settings
from meridian.db.embedded import start_embedded, to_sqlalchemy_url


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    def psycopg_conninfo(self) -> str:
        """The same server as a libpq URI, for procrastinate and LISTEN connections."""
        return self.url.replace("postgresql+psycopg://", "postgresql://", 1)

    async def dispose(self) -> None:
        await self.engine.dispose()


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return to_sqlalchemy_url(settings.database_url)
    return start_embedded(settings.data_dir)


def make_database(url: str, *, pool_size: int = 10) -> Database:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # A dead server must fail fast so clients get 503, not a hung request.
        connect_args={"connect_timeout": 5},
    )
    return Database(
        url=url,
        engine=engine,
        sessionmaker=async_sessionmaker(engine, expire_on_commit=False),
    )


_current: Database | None = None


def set_database(db: Database | None) -> None:
    global _current
    _current = db


def get_database() -> Database:
    if _current is None:
        raise RuntimeError("database not initialised: call set_database() at startup")
    return _current
