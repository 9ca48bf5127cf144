"""The procrastinate app: background jobs on the same PostgreSQL.

Feature packages register their jobs in their own ``tasks.py`` with ``@job_app.task``;
``TASK_MODULES`` lists them so a worker imports every task before it starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from procrastinate import App, PsycopgConnector

from meridian.core.discovery import feature_modules

# Every feature's tasks.py, found by folder name.
TASK_MODULES = list(feature_modules("tasks"))

job_app = App(connector=PsycopgConnector(), import_paths=TASK_MODULES)


@asynccontextmanager
async def open_job_app(conninfo: str, *, max_size: int = 10) -> AsyncIterator[App]:
    """Give ``job_app`` a fresh connector (and pool) for the block's lifetime.

    A connector cannot be reopened once its pool is closed, and tests and ``serve``
    open and close the app several times per process; a new connector each time
    keeps those lifetimes independent.
    """
    connector = PsycopgConnector(conninfo=conninfo, min_size=1, max_size=max_size)
    with job_app.replace_connector(connector) as app:
        await app.open_async()
        try:
            yield app
        finally:
            await app.close_async()
