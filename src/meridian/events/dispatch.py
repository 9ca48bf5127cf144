"""Running subscribers for domain events: routing, SLA, translation, analytics...

A feature subscribes in its own ``subscribers.py``::

    @subscriber("sla", "conversation.created", "message.created")
    async def on_activity(session: AsyncSession, event: DomainEvent) -> None: ...

The dispatcher (one per worker process) claims undispatched events with
``FOR UPDATE SKIP LOCKED`` and runs each matching subscriber in a savepoint of the
same transaction that records it in ``handled``. A subscriber's database effects and
the note that it ran commit together, so each subscriber takes effect once per event,
even across crashes. A failing subscriber is retried with backoff without re-running
the ones that succeeded. Subscribers must only touch the database (and defer jobs or
outbox rows for anything slow or external): they run while the event row is locked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from meridian.core.backoff import doubling
from meridian.core.clock import utcnow
from meridian.core.discovery import import_all
from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from meridian.events.service import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, DomainEvent], Awaitable[None]]
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Subscriber:
    name: str
    types: frozenset[str]
    handler: Handler

    def wants(self, event: DomainEvent) -> bool:
        return not self.types or event.type in self.types


SUBSCRIBERS: dict[str, Subscriber] = {}


def subscriber(name: str, *types: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for the given event types (none: every event)."""

    def register(handler: Handler) -> Handler:
        if name in SUBSCRIBERS and SUBSCRIBERS[name].handler is not handler:
            raise ValueError(f"a subscriber named {name!r} is already registered")
        SUBSCRIBERS[name] = Subscriber(name, frozenset(types), handler)
        return handler

    return register


def load_subscribers() -> None:
    import_all("subscribers")


def _pin_loaded(session: AsyncSession) -> list[object]:
    """Keep every object ``session`` loads alive until the session ends.

    The identity map holds only weak references, so the inbox, team, workspace and
    contact rows that every subscriber of every event reads were garbage-collected
    between two ``session.get`` calls and read again (about thirty extra queries per
    inbound message). The listener is on this one session, not on every ``Session``.
    """
    pinned: list[object] = []

    def pin(_session: Session, instance: object) -> None:
        pinned.append(instance)

    orm_event.listen(session.sync_session, "loaded_as_persistent", pin)
    return pinned


async def dispatch_batch(db: Database, *, limit: int = 50) -> int:
    """Handle up to ``limit`` due events; returns how many were claimed."""
    now = utcnow()
    async with db.session() as session:
        _pin_loaded(session)
        events = list(
            await session.scalars(
                select(DomainEvent)
                .where(DomainEvent.dispatched_at.is_(None), DomainEvent.next_attempt_at <= now)
                .order_by(DomainEvent.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        outcomes = [(event, await _dispatch_one(session, event)) for event in events]
        # The bookkeeping is written last: set while the events run, each row was flushed
        # by the next event's savepoint, one UPDATE apiece instead of one batch.
        for event, (handled, errors) in outcomes:
            _record(event, handled, errors)
        await session.commit()
    return len(events)


async def _run_together(
    session: AsyncSession, event: DomainEvent, due: list[Subscriber]
) -> tuple[int, Exception] | None:
    """Run ``due`` in one savepoint; the failing subscriber's index and its error, or None.

    A savepoint per subscriber cost two round trips and a flush each, about fourteen
    per inbound message, while subscribers almost never fail: the common case pays for
    one, and a failure falls back to one per subscriber (``_dispatch_one``).
    """
    if not due:
        return None
    index = 0
    try:
        async with session.begin_nested():
            for sub in due:
                await sub.handler(session, event)
                index += 1
            # Past the last handler (index ``len(due)``), a failure is the savepoint's
            # flush: whose change it was shows when each runs alone, so none is skipped.
    except Exception as exc:
        if index < len(due):
            log.exception("subscriber failed", extra={"subscriber": due[index].name, "event_id": event.id})
        return index, exc
    return None


def _error(sub: Subscriber, exc: Exception) -> str:
    return f"{sub.name}: {type(exc).__name__}: {exc}"[:500]


async def _dispatch_one(session: AsyncSession, event: DomainEvent) -> tuple[list[str], list[str]]:
    """Run the event's due subscribers; (who has handled it by now, errors)."""
    handled = list(event.handled or [])
    due = [sub for sub in SUBSCRIBERS.values() if sub.name not in handled and sub.wants(event)]
    errors: list[str] = []
    failed = await _run_together(session, event, due)
    if failed is None:
        handled += [sub.name for sub in due]
    else:
        # One of them raised and the shared savepoint undid them all. Each now runs in a
        # savepoint of its own, as if they had from the start: those before the failing
        # one again (their effects were rolled back, so they still take effect once),
        # the failing one not again until its retry, those after it for the first time.
        failed_at, error = failed
        if failed_at < len(due):
            errors.append(_error(due[failed_at], error))
        for index, sub in enumerate(due):
            if index == failed_at:
                continue
            try:
                async with session.begin_nested():
                    await sub.handler(session, event)
            except Exception as exc:
                log.exception("subscriber failed", extra={"subscriber": sub.name, "event_id": event.id})
                errors.append(_error(sub, exc))
            else:
                handled.append(sub.name)
    return handled, errors


def _record(event: DomainEvent, handled: list[str], errors: list[str]) -> None:
    event.handled = handled
    if not errors:
        event.dispatched_at = utcnow()
        return
    event.attempts += 1
    event.last_error = "\n".join(errors)[:2000]
    if event.attempts >= MAX_ATTEMPTS:
        # Dead-lettered: kept with its error for an operator, never blocking others.
        log.error("event dead-lettered", extra={"event_id": event.id, "error": event.last_error})
        event.dispatched_at = utcnow()
    else:
        wait = doubling(event.attempts + 1, base=1.0, cap=300.0)
        event.next_attempt_at = utcnow() + timedelta(seconds=wait)


class EventDispatcher:
    def __init__(self, db: Database, *, poll_interval: float = 1.0) -> None:
        self._db = db
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        load_subscribers()
        self._tasks = [
            asyncio.create_task(self._listen(), name="dispatch-listen"),
            asyncio.create_task(self._loop(), name="dispatch-loop"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _listen(self) -> None:
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self._db.psycopg_conninfo(), autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("dispatcher listener reconnecting: %s", exc)
                await asyncio.sleep(2)

    async def _loop(self) -> None:
        while True:
            try:
                claimed = await dispatch_batch(self._db)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event dispatch failed")
                claimed = 0
            if claimed == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
