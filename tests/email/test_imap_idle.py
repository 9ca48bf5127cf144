"""IMAP IDLE watchers against a real Dovecot: new mail wakes the poll job at once, one
watcher per mailbox across processes, and a lost server is retried."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import httpx

from meridian.channels.email.idle import IdleWatchers
from meridian.channels.email.tasks import poll_lock
from meridian.db.engine import Database
from meridian.jobs.app import open_job_app
from tests.email.dovecot import Dovecot
from tests.email.support import create_email_inbox
from tests.email.test_imap_poll import numbered
from tests.email.test_polling import imap_settings, queued_polls
from tests.factories import Factory


async def _until(check: Callable[[], object], *, seconds: float = 30.0) -> None:
    """Wait for ``check()`` to hold (a deadline, so a broken watcher fails instead of hanging)."""
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - the state belongs to the watchers, which signal nothing
            await asyncio.sleep(0.1)


async def _deliver_until(mailbox: Dovecot, woken: Callable[[], bool]) -> None:
    """Append mail until the watcher reacts: a message landing before the IDLE command
    reached the server is the minute poll's, not IDLE's, so try again."""
    async with asyncio.timeout(60):
        for n in range(1, 100):
            await asyncio.to_thread(mailbox.append, numbered(n))
            for _ in range(50):
                if woken():
                    return
                await asyncio.sleep(0.1)


async def test_new_mail_wakes_the_poll_at_once(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant, **imap_settings(mailbox))
    inbox_id = uuid.UUID(inbox["id"])
    woken: list[uuid.UUID] = []

    async def wake(ident: uuid.UUID) -> None:
        woken.append(ident)

    watchers = IdleWatchers(db, wake=wake, refresh=0.5, idle_seconds=20)
    await watchers.start()
    try:
        await _until(lambda: inbox_id in watchers.watching)
        await _deliver_until(mailbox, lambda: inbox_id in woken)
    finally:
        await watchers.stop()
    assert inbox_id in woken
    assert watchers.watching == frozenset()


async def test_the_default_wake_queues_one_poll_job(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    inbox = await create_email_inbox(client, tenant, **imap_settings(mailbox))
    queued: list[object] = []
    async with open_job_app(db.psycopg_conninfo()):
        watchers = IdleWatchers(db, refresh=0.5, idle_seconds=20)
        await watchers.start()
        try:
            await _until(lambda: uuid.UUID(inbox["id"]) in watchers.watching)

            async def poll_queued() -> bool:
                queued[:] = await queued_polls(db, inbox["id"])
                return bool(queued)

            async with asyncio.timeout(60):
                for n in range(1, 100):
                    await asyncio.to_thread(mailbox.append, numbered(n))
                    await asyncio.sleep(1)
                    if await poll_queued():
                        break
        finally:
            await watchers.stop()
    lock = poll_lock(inbox["id"])
    assert queued == [{"lock": lock, "queueing_lock": lock, "status": "todo"}]


async def test_one_watcher_per_mailbox_and_a_takeover(
    client: httpx.AsyncClient, factory: Factory, db: Database, mailbox: Dovecot
) -> None:
    tenant = await factory.tenant()
    inbox_id = uuid.UUID((await create_email_inbox(client, tenant, **imap_settings(mailbox)))["id"])

    async def ignore(ident: uuid.UUID) -> None:
        return None

    first = IdleWatchers(db, wake=ignore, refresh=0.3, idle_seconds=5)
    second = IdleWatchers(db, wake=ignore, refresh=0.3, idle_seconds=5)
    await first.start()
    try:
        await _until(lambda: inbox_id in first.watching)
        await second.start()
        await asyncio.sleep(1.0)  # several refreshes of the second process
        assert inbox_id not in second.watching, "the mailbox is watched once"
        await first.stop()  # the process goes away: its locks go with its connection
        await _until(lambda: inbox_id in second.watching)
    finally:
        await first.stop()
        await second.stop()


async def test_an_unreachable_server_is_retried_not_fatal(
    client: httpx.AsyncClient, factory: Factory, db: Database, dovecot: Dovecot
) -> None:
    tenant = await factory.tenant()
    inbox_id = uuid.UUID((await create_email_inbox(client, tenant, **imap_settings(dovecot)))["id"])
    woken: list[uuid.UUID] = []

    async def wake(ident: uuid.UUID) -> None:
        woken.append(ident)

    dovecot.stop()
    watchers = IdleWatchers(db, wake=wake, refresh=0.3, idle_seconds=20)
    await watchers.start()
    try:
        await _until(lambda: inbox_id in watchers.watching)
        await asyncio.sleep(1.5)  # connection refused, backing off
        assert inbox_id in watchers.watching, "a failing server keeps its watcher"
        dovecot.start()
        await _deliver_until(dovecot, lambda: inbox_id in woken)
    finally:
        await watchers.stop()
    assert inbox_id in woken
