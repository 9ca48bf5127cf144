"""Running the background side: procrastinate workers and the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from contextlib import AsyncExitStack

from meridian.channels.email.idle import IdleWatchers
from meridian.db.engine import Database
from meridian.deliveries.relay import OutboxRelay
from meridian.events.dispatch import EventDispatcher
from meridian.jobs.app import open_job_app
from meridian.languages.service import start_warm_up

log = logging.getLogger(__name__)


class Workers:
    """Everything that runs outside a request, started and stopped as one unit."""

    def __init__(self, db: Database, *, concurrency: int = 8, graceful_timeout: float = 30.0) -> None:
        self._db = db
        self._concurrency = concurrency
        self._graceful_timeout = graceful_timeout
        self._stack = AsyncExitStack()
        self._worker_task: asyncio.Task[None] | None = None
        self.relay = OutboxRelay(db, concurrency=max(2, concurrency // 2))
        self.dispatcher = EventDispatcher(db)
        # IMAP IDLE: mail fetched as it lands; the minute poll stays as the fallback.
        self.imap_idle = IdleWatchers(db)

    async def start(self) -> None:
        # Workers ingest too (mail polling): detection should not wait for models then.
        start_warm_up()
        app = await self._stack.enter_async_context(
            open_job_app(self._db.psycopg_conninfo(), max_size=self._concurrency + 2)
        )
        name = f"{socket.gethostname()}-{os.getpid()}"
        self._worker_task = asyncio.create_task(
            app.run_worker_async(
                name=name,
                concurrency=self._concurrency,
                install_signal_handlers=False,
                # Finish running jobs on shutdown; anything cut off is re-queued by
                # recover_stalled_jobs, so nothing in flight is lost.
                shutdown_graceful_timeout=self._graceful_timeout,
                update_heartbeat_interval=10,
                delete_jobs="successful",
            ),
            name="procrastinate-worker",
        )
        await self.relay.start()
        await self.dispatcher.start()
        await self.imap_idle.start()
        log.info("workers started", extra={"worker": name, "concurrency": self._concurrency})

    async def stop(self) -> None:
        await self.imap_idle.stop()
        await self.dispatcher.stop()
        await self.relay.stop()
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._worker_task
        with contextlib.suppress(Exception):
            await self._stack.aclose()
        log.info("workers stopped")
