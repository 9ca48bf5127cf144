"""Fan-out of domain events to this process's SSE clients.

One LISTEN connection per web process (not per client): each notification is read
from ``domain_events`` once and offered to every local subscriber, which applies its
own visibility filter. After a lost connection the hub replays what it missed from
the table, so a database restart does not silently drop events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import psycopg
from sqlalchemy import select

from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from meridian.events.service import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

Filter = Callable[[DomainEvent], bool]


@dataclass(eq=False)
class Subscription:
    accepts: Filter
    queue: asyncio.Queue[DomainEvent] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    overflowed: bool = False


class EventHub:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._last_id: int | None = None
        # Ids already offered, so a late notification for an event caught up earlier
        # is not sent twice.
        self._seen: OrderedDict[int, None] = OrderedDict()
        self.connected = asyncio.Event()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @contextlib.asynccontextmanager
    async def subscribe(self, accepts: Filter) -> AsyncIterator[Subscription]:
        sub = Subscription(accepts)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def _offer(self, event: DomainEvent) -> None:
        if event.id in self._seen:
            return
        self._seen[event.id] = None
        if len(self._seen) > 20_000:
            self._seen.popitem(last=False)
        for sub in list(self._subscribers):
            if not sub.accepts(event):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A client too slow to keep up is cut off; it reconnects with Last-Event-ID.
                sub.overflowed = True

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                await self._listen()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                log.warning("event hub lost its connection: %s; retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _listen(self) -> None:
        conn = await psycopg.AsyncConnection.connect(self._db.psycopg_conninfo(), autocommit=True)
        async with conn:
            await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            if self._last_id is None:
                self._last_id = await self._max_id()
            else:
                await self._catch_up()
            self.connected.set()
            async for notify in conn.notifies():
                try:
                    event_id = int(json.loads(notify.payload)["id"])
                except (ValueError, KeyError, TypeError):
                    continue
                await self._deliver_upto(event_id)

    async def _max_id(self) -> int:
        async with self._db.session() as session:
            value = await session.scalar(select(DomainEvent.id).order_by(DomainEvent.id.desc()).limit(1))
        return int(value or 0)

    async def _deliver_upto(self, event_id: int) -> None:
        if not self._subscribers:
            # Nobody is listening in this process: reading the row would cost a pooled
            # session and a query per event for nothing (ingestion publishes two or three
            # per message). A stream that connects later starts from here, and one that
            # resumes reads what it missed from the table itself.
            self._last_id = max(self._last_id or 0, event_id)
            return
        if event_id in self._seen:
            return  # already offered by an earlier catch-up
        # Fetching every id after the last one seen (rather than just ``event_id``)
        # also covers notifications that arrive out of commit order.
        if self._last_id is not None and event_id <= self._last_id:
            async with self._db.session() as session:
                event = await session.get(DomainEvent, event_id)
            if event is not None:
                self._offer(event)
            return
        await self._catch_up()

    async def _catch_up(self) -> None:
        async with self._db.session() as session:
            rows = await session.scalars(
                select(DomainEvent)
                .where(DomainEvent.id > (self._last_id or 0))
                .order_by(DomainEvent.id)
                .limit(5000)
            )
            events = list(rows)
        for event in events:
            self._offer(event)
            self._last_id = event.id
