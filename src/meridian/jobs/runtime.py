"""Running the background side: procrastinate workers and the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from contextlib import AsyncExitStack

from procrastinate import App

from meridian.channels.email.idle import IdleWatchers
from meridian.core.backoff import doubling
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
        self._stopping = False
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
        self._worker_task = asyncio.create_task(self._run_worker(app, name), name="procrastinate-worker")
        await self.relay.start()
        await self.dispatcher.start()
        await self.imap_idle.start()
        log.info("workers started", extra={"worker": name, "concurrency": self._concurrency})

    async def _run_worker(self, app: App, name: str) -> None:
        """The procrastinate worker, started again whenever it stops on an error.

        procrastinate stops its worker when a side task fails, and its job listener fails
        as soon as the database goes away (a restart, a failover): without this loop the
        jobs (SLA checks, routing passes, mail polls) stayed stopped until ``serve`` was
        restarted by hand, and ``/readyz`` said so forever. Backoff doubles to 30 s and
        resets once a run has lasted a minute.
        """
        loop = asyncio.get_running_loop()
        failures = 0
        # A cancelled worker may finish its shutdown and return instead of raising: the
        # flag, not the CancelledError, is what ends the loop.
        while not self._stopping:
            started = loop.time()
            try:
                await app.run_worker_async(
                    name=name,
                    concurrency=self._concurrency,
                    install_signal_handlers=False,
                    # Finish running jobs on shutdown; anything cut off is re-queued by
                    # recover_stalled_jobs, so nothing in flight is lost.
                    shutdown_graceful_timeout=self._graceful_timeout,
                    update_heartbeat_interval=10,
                    delete_jobs="successful",
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job worker stopped on an error; starting it again")
            else:
                if self._stopping:
                    return
                log.warning("job worker stopped; starting it again")
            # A run that lasted a minute was a recovery: the next failure starts over.
            failures = 1 if loop.time() - started > 60 else failures + 1
            await asyncio.sleep(doubling(failures, base=1.0, cap=30.0))

    async def stop(self) -> None:
        self._stopping = True
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
