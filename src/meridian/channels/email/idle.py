"""IMAP IDLE watchers: new mail is fetched seconds after it lands, not at the next minute.

Each worker process runs one ``IdleWatchers``. Every ``refresh`` seconds it lists the
IMAP inboxes and takes a PostgreSQL session advisory lock per inbox on its own
connection; only the lock holder watches, so a mailbox has one IDLE connection however
many workers run, and another worker takes over when that connection dies. A watcher
IDLEs on the folder (RFC 2177) and on ``EXISTS``/``RECENT`` queues the existing poll job
(``tasks.queue_poll``: the poll keeps its job lock and cursor, so nothing changes about
how mail is stored). Errors back off exponentially up to five minutes; a server without
IDLE is simply left to the every-minute poll, which always runs as the fallback.

IDLE blocks a socket, so it runs in a daemon thread: stopping the workers never waits
for an IDLE to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import psycopg

from meridian.channels.email.config import EmailConfig
from meridian.channels.email.imap_poll import MAX_IDLE_SECONDS, ImapError, idle_once
from meridian.channels.email.polling import imap_inbox_ids
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.inboxes.service import channel_config

log = logging.getLogger(__name__)
T = TypeVar("T")
Wake = Callable[[uuid.UUID], Awaitable[Any]]
MAX_BACKOFF = 300.0


def _lock_key(inbox_id: uuid.UUID) -> str:
    return f"imap-idle:{inbox_id}"


def in_daemon_thread(fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run blocking ``fn`` in a daemon thread; the future gets its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            outcome: tuple[Any, BaseException | None] = (fn(), None)
        except BaseException as exc:  # handed to the awaiting task
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=target, name="imap-idle", daemon=True).start()
    return future


async def _default_wake(inbox_id: uuid.UUID) -> None:
    from meridian.channels.email.tasks import queue_poll  # tasks import the job app

    await queue_poll(inbox_id)


class IdleWatchers:
    def __init__(
        self,
        db: Database,
        *,
        wake: Wake | None = None,
        refresh: float = 60.0,
        idle_seconds: float = 600.0,
    ) -> None:
        self._db = db
        self._wake = wake or _default_wake
        self._refresh = refresh
        self._idle_seconds = min(idle_seconds, MAX_IDLE_SECONDS)
        self._watchers: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def watching(self) -> frozenset[uuid.UUID]:
        return frozenset(i for i, task in self._watchers.items() if not task.done())

    async def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="imap-idle")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._stop_watchers()

    async def _stop_watchers(self) -> None:
        for task in self._watchers.values():
            task.cancel()
        for task in self._watchers.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._watchers.clear()

    async def _supervise(self) -> None:
        failures = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self._db.psycopg_conninfo(), autocommit=True)
                async with conn:
                    failures = 0
                    while True:
                        await self._reconcile(conn)
                        await asyncio.sleep(self._refresh)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The locks went with the connection: let whoever gets them watch.
                await self._stop_watchers()
                failures += 1
                log.warning("imap idle supervisor reconnecting: %s", exc)
                await asyncio.sleep(min(MAX_BACKOFF, 2.0**failures))

    async def _reconcile(self, conn: psycopg.AsyncConnection[Any]) -> None:
        wanted = set(await imap_inbox_ids(self._db))
        for inbox_id in list(self._watchers):
            task = self._watchers[inbox_id]
            if inbox_id not in wanted or task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                del self._watchers[inbox_id]
                await conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_lock_key(inbox_id),)
                )
        for inbox_id in sorted(wanted - set(self._watchers)):
            cursor = await conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (_lock_key(inbox_id),)
            )
            row = await cursor.fetchone()
            if row and row[0]:
                self._watchers[inbox_id] = asyncio.create_task(
                    self._watch(inbox_id), name=f"imap-idle-{inbox_id}"
                )

    async def _config(self, inbox_id: uuid.UUID) -> EmailConfig | None:
        async with self._db.session() as session:
            inbox = await session.get(Inbox, inbox_id)
            if inbox is None or inbox.channel != "email":
                return None
            return EmailConfig.coerce(channel_config(inbox))

    async def _watch(self, inbox_id: uuid.UUID) -> None:
        failures = 0
        while True:
            try:
                # Re-read each round: an admin may have changed the settings.
                config = await self._config(inbox_id)
                if config is None or not config.imap_host:
                    return
                clients: list[Any] = []
                try:
                    supported, arrived = await in_daemon_thread(
                        partial(idle_once, config, self._idle_seconds, connected=clients.append)
                    )
                finally:
                    # Cancelled (stop, inbox gone): end the thread's IDLE now, not in minutes.
                    for client in clients:
                        with contextlib.suppress(Exception):
                            client.socket().shutdown(socket.SHUT_RDWR)
                if not supported:
                    log.info("IMAP server has no IDLE; polling only", extra={"inbox_id": str(inbox_id)})
                    return
                failures = 0
                if arrived:
                    await self._wake(inbox_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(MAX_BACKOFF, 2.0**failures)
                level = logging.WARNING if isinstance(exc, ImapError) else logging.ERROR
                log.log(
                    level,
                    "imap idle failed, retrying in %.0fs: %s",
                    delay,
                    exc,
                    extra={"inbox_id": str(inbox_id)},
                )
                await asyncio.sleep(delay)
