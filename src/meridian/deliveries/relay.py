"""The outbox relay: claims due deliveries and sends them through their channel.

Claiming is a short transaction that takes rows ``FOR UPDATE SKIP LOCKED`` and pushes
their ``next_attempt_at`` one lease into the future before any network call. A
process killed mid-send therefore loses nothing: when the lease runs out the row is
due again and another relay picks it up, sending the same idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from datetime import datetime, timedelta

import httpx
import psycopg
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.base import DeliveryError
from meridian.channels.registry import get_adapter
from meridian.core.backoff import doubling
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.deliveries import ratelimit
from meridian.deliveries.build import build_outbound
from meridian.deliveries.models import Delivery, DeliveryAttempt
from meridian.deliveries.outcome import (
    record_failure,
    record_success,
    regional_contact_region,
    withheld_error,
)
from meridian.deliveries.service import NOTIFY_CHANNEL
from meridian.inboxes.models import Inbox
from meridian.inboxes.service import channel_config
from meridian.ops import metrics

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12
BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter; a vendor's Retry-After is a floor."""
    delay = random.uniform(0, doubling(attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP))  # noqa: S311
    return max(delay, retry_after or 0.0, 1.0)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        *,
        concurrency: int = 8,
        poll_interval: float = 2.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._db = db
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name="outbox-listen")]
        self._tasks += [
            asyncio.create_task(self._work(i), name=f"outbox-{i}") for i in range(self._concurrency)
        ]

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._http.aclose()

    async def _listen(self) -> None:
        while not self._stopping:
            try:
                conn = await psycopg.AsyncConnection.connect(self._db.psycopg_conninfo(), autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox listener reconnecting: %s", exc)
                await asyncio.sleep(2)

    async def _work(self, index: int) -> None:
        while not self._stopping:
            try:
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay iteration failed")
                claimed = 0
            if claimed == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)

    async def claim(self, limit: int = 1) -> list[uuid.UUID]:
        now = utcnow()
        async with self._db.session() as session:
            rows = await session.execute(
                text(
                    "UPDATE deliveries SET next_attempt_at = :lease, attempts = attempts + 1 "
                    "WHERE id IN (SELECT id FROM deliveries WHERE state IN ('pending','retrying') "
                    "AND next_attempt_at <= :now ORDER BY next_attempt_at, id LIMIT :limit "
                    "FOR UPDATE SKIP LOCKED) RETURNING id"
                ),
                {"lease": now + LEASE, "now": now, "limit": limit},
            )
            ids = [r[0] for r in rows]
            await session.commit()
        return ids

    async def run_once(self) -> int:
        ids = await self.claim()
        for delivery_id in ids:
            await self.deliver(delivery_id)
        return len(ids)

    async def deliver(self, delivery_id: uuid.UUID) -> None:
        started = utcnow()
        async with self._db.session() as session:
            delivery = await session.get(Delivery, delivery_id)
            if delivery is None or delivery.state not in ("pending", "retrying"):
                return
            inbox = await session.get(Inbox, delivery.inbox_id)
            assert inbox is not None
            adapter = get_adapter(inbox.channel)
            config = channel_config(inbox)
            try:
                outbound = await build_outbound(session, delivery=delivery, inbox=inbox)
            except DeliveryError as exc:
                await self._finish(session, delivery, started, exc)
                return
            wanted = ratelimit.buckets(adapter.rate_limit, inbox_id=inbox.id, recipient=outbound.recipient)
            wait = await ratelimit.acquire(session, wanted)
            if wait > 0:
                # Over the vendor's rate: back in the queue for when the bucket allows it.
                # Not an attempt; ties go to the older delivery, so a chat keeps its order.
                delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
                delivery.attempts -= 1
                await session.commit()
                metrics.DELIVERIES.labels(channel=inbox.channel, outcome="deferred").inc()
                self._wake_after(wait)
                return
            await session.commit()
        try:
            result = await adapter.send(config, outbound, self._http)
            error: DeliveryError | None = None
        except DeliveryError as exc:
            error, result = exc, None
        except httpx.HTTPError as exc:
            error, result = DeliveryError(f"{type(exc).__name__}: {exc}"), None
        async with self._db.session() as session:
            delivery = await session.get(Delivery, delivery_id, with_for_update=True)
            assert delivery is not None
            if result is not None:
                session.add(
                    DeliveryAttempt(
                        delivery_id=delivery.id,
                        number=delivery.attempts,
                        started_at=started,
                        finished_at=utcnow(),
                        outcome="ok",
                    )
                )
                await record_success(session, delivery=delivery, external_id=result.external_id)
                metrics.DELIVERIES.labels(channel=inbox.channel, outcome="delivered").inc()
                await session.commit()
            else:
                assert error is not None
                await self._finish(session, delivery, started, error, channel=inbox.channel)

    def _wake_after(self, seconds: float) -> None:
        """Look again when a deferred delivery falls due, not at the next poll."""
        if self._tasks and not self._stopping:
            asyncio.get_running_loop().call_later(seconds, self._wake.set)

    async def _finish(
        self,
        session: AsyncSession,
        delivery: Delivery,
        started: datetime,
        error: DeliveryError,
        channel: str = "",
    ) -> None:
        permanent = error.permanent or delivery.attempts >= MAX_ATTEMPTS
        region = await regional_contact_region(session, delivery.message_id)
        stored = (
            str(error)
            if region is None
            else withheld_error(region=region, permanent=error.permanent, http_status=error.http_status)
        )
        session.add(
            DeliveryAttempt(
                delivery_id=delivery.id,
                number=delivery.attempts,
                started_at=started,
                finished_at=utcnow(),
                outcome="permanent" if error.permanent else "transient",
                http_status=error.http_status,
                error=stored[:2000],
            )
        )
        retry_at = (
            None
            if permanent
            else utcnow() + timedelta(seconds=backoff_delay(delivery.attempts, error.retry_after))
        )
        await record_failure(session, delivery=delivery, error=stored, retry_at=retry_at)
        metrics.DELIVERIES.labels(channel=channel, outcome="failed" if permanent else "retrying").inc()
        await session.commit()


async def pending_count(db: Database) -> tuple[int, float]:
    """Queue depth and the age in seconds of the oldest due delivery (for /metrics)."""
    async with db.session() as session:
        row = (
            await session.execute(
                select(text("count(*)"), text("min(created_at)"))
                .select_from(Delivery)
                .where(Delivery.state.in_(("pending", "retrying")))
            )
        ).one()
    count, oldest = int(row[0]), row[1]
    age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    return count, age
