"""Regional databases: where each data region's vault tables live.

``MERIDIAN_REGIONS`` lists the regions that have their own PostgreSQL database
(``eu=postgresql://...,us=postgresql://...``). A region not listed lives in the home
database. In embedded mode (no ``MERIDIAN_DATABASE_URL``) a region may be given as
``eu=embedded`` (or ``eu=`` with nothing after it): it then gets its own database,
``<home database>_region_<name>``, on the embedded server, created on start.

A regional database holds the vault tables only (``vault_*``), created from the ORM
metadata of those tables (``create_vault_schema``), never the home schema: nothing but
personal data and content under that region's key ever lands there.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import make_url

from meridian.db.embedded import to_sqlalchemy_url
from meridian.db.engine import Database, make_database
from meridian.vault import bigrams, searchsql
from meridian.vault.models import VaultContact, VaultIdentity, VaultKey, VaultMessage, VaultMessageSearch

EMBEDDED = "embedded"
# Beside the migration lock (migrations/env.py), for create_vault_schema.
SCHEMA_LOCK = 827_364_502
REGION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
VAULT_TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (VaultKey, VaultContact, VaultIdentity, VaultMessage, VaultMessageSearch)
)

_databases: dict[str, Database] = {}


class RegionConfigError(ValueError):
    pass


def parse_regions(spec: str | None) -> dict[str, str]:
    """``eu=postgresql://...,us=embedded`` -> {region: url, or "" for embedded}."""
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, sep, url = part.strip().partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not REGION_NAME.match(name):
            raise RegionConfigError(
                f"MERIDIAN_REGIONS: {part.strip()!r} is not 'region=postgresql://...' "
                "(region: lower-case letters, digits, _)"
            )
        if name in out:
            raise RegionConfigError(f"MERIDIAN_REGIONS: region {name!r} is listed twice")
        out[name] = "" if url in ("", EMBEDDED) else to_sqlalchemy_url(url)
    return out


def region_urls(spec: Mapping[str, str], *, home_url: str, embedded: bool) -> dict[str, str]:
    """Each listed region's SQLAlchemy URL; embedded regions get a database beside home."""
    home = make_url(home_url)
    out: dict[str, str] = {}
    for name, url in spec.items():
        if url:
            out[name] = url
            continue
        if not embedded:
            # On an external server a region without its own URL would silently share the
            # home server, which is not residency: refuse.
            raise RegionConfigError(
                f"MERIDIAN_REGIONS: region {name!r} needs a database URL (only the embedded "
                "server creates region databases by itself)"
            )
        out[name] = home.set(database=f"{home.database}_region_{name}").render_as_string(hide_password=False)
    return out


def create_database_if_missing(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def create_vault_schema(url: str) -> None:
    """The vault tables (and the trigram extension and bigram function their search
    indexes need, and the search function), idempotent."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            # serve and worker start together; two CREATE OR REPLACE FUNCTION of one
            # function at once fail ("tuple concurrently updated"), so they take turns.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK})
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(text(bigrams.FUNCTION_DDL))
            VaultKey.metadata.create_all(conn, tables=list(VAULT_TABLES), checkfirst=True)
            # A database made before the bigram index has the table, so create_all skipped it.
            conn.execute(text(bigrams.INDEX_DDL))
            # The message search goes through this function at home and here alike.
            conn.execute(text(searchsql.FUNCTION_DDL))
            conn.execute(text(searchsql.REVOKE_DDL))
    finally:
        engine.dispose()


def prepare_regions(*, spec: str | None, home_url: str, embedded: bool) -> dict[str, str]:
    """Create missing embedded region databases and their vault tables; {region: url}."""
    listed = parse_regions(spec)
    urls = region_urls(listed, home_url=home_url, embedded=embedded)
    for name, url in urls.items():
        if not listed[name]:
            create_database_if_missing(url)
        create_vault_schema(url)
    return urls


def configure(urls: Mapping[str, str], *, pool_size: int = 5) -> None:
    """Open one engine per regional database for this process (replacing any before)."""
    _databases.clear()
    for name, url in urls.items():
        _databases[name] = make_database(url, pool_size=pool_size)


def database_for(region: str) -> Database | None:
    """The region's own database, or None when the region lives in the home database."""
    return _databases.get(region)


def regional() -> list[str]:
    return sorted(_databases)


async def dispose() -> None:
    for database in _databases.values():
        await database.dispose()
    _databases.clear()


async def start(*, spec: str | None, home_url: str, embedded: bool) -> None:
    """Prepare and open the configured regional databases once per process."""
    if _databases or not (spec or "").strip():
        return
    urls = await asyncio.to_thread(prepare_regions, spec=spec, home_url=home_url, embedded=embedded)
    configure(urls)
