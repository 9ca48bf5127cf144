"""Applying Alembic migrations from code (``serve``, ``migrate``, tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    # Alembic is synchronous; run it off the event loop.
    await asyncio.to_thread(upgrade, url)


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("postgresql+psycopg://")).get_heads()
    return ",".join(sorted(heads))


async def current_revision(session: AsyncSession) -> str | None:
    rows = await session.execute(text("SELECT version_num FROM alembic_version"))
    versions = sorted(r[0] for r in rows)
    return ",".join(versions) if versions else None
