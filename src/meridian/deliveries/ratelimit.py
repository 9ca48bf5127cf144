"""Keeping the outbox within each vendor's documented send rate, across processes.

Each adapter declares a ``RateLimit`` (per inbox, per recipient). Before a send the
relay asks ``acquire`` in a short transaction: every bucket involved is a row in
``send_rate_buckets`` locked ``FOR UPDATE`` in key order (two relays never deadlock, and
any number of processes share one budget), checked with GCRA (a token bucket kept as one
timestamp), and charged only when all of them allow the send. Otherwise the answer is
how long to wait: the relay puts the delivery back with ``next_attempt_at`` at that
moment. It is deferred, not failed, and not counted as an attempt.

Time is the relay's own clock (``utcnow``), like every other outbox timestamp: workers
are NTP-synced, and milliseconds of skew are nothing against second-scale spacing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.base import Rate, RateLimit
from meridian.core.clock import utcnow
from meridian.core.crypto import identifier_hash


@dataclass(frozen=True)
class Bucket:
    key: str
    rate: Rate


def buckets(limit: RateLimit | None, *, inbox_id: uuid.UUID, recipient: str) -> list[Bucket]:
    out: list[Bucket] = []
    if limit is None:
        return out
    if limit.per_inbox is not None:
        out.append(Bucket(f"inbox:{inbox_id}", limit.per_inbox))
    if limit.per_recipient is not None and recipient:
        # The recipient is personal data: only a keyed hash of it is stored.
        out.append(Bucket(f"to:{inbox_id}:{identifier_hash('rate', recipient)}", limit.per_recipient))
    return sorted(out, key=lambda b: b.key)


async def acquire(session: AsyncSession, wanted: list[Bucket]) -> float:
    """Charge one send to every bucket and return 0, or return the seconds to wait
    (charging nothing). Runs in the caller's transaction; the caller commits."""
    if not wanted:
        return 0.0
    rows: list[tuple[Bucket, datetime]] = []
    for bucket in wanted:
        await session.execute(
            text("INSERT INTO send_rate_buckets (key, tat) VALUES (:key, :now) ON CONFLICT (key) DO NOTHING"),
            {"key": bucket.key, "now": utcnow()},
        )
        tat = await session.scalar(
            text("SELECT tat FROM send_rate_buckets WHERE key = :key FOR UPDATE"), {"key": bucket.key}
        )
        rows.append((bucket, tat))
    # Read after every lock is held: time spent waiting for a lock counts.
    now = utcnow()
    wait = 0.0
    for bucket, tat in rows:
        tolerance = timedelta(seconds=(bucket.rate.burst - 1) * bucket.rate.interval)
        allowed_at = tat - tolerance
        if allowed_at > now:
            wait = max(wait, (allowed_at - now).total_seconds())
    if wait > 0:
        return wait
    for bucket, tat in rows:
        await session.execute(
            text("UPDATE send_rate_buckets SET tat = :tat WHERE key = :key"),
            {"key": bucket.key, "tat": max(tat, now) + timedelta(seconds=bucket.rate.interval)},
        )
    return 0.0


async def purge_idle(session: AsyncSession, *, idle: timedelta = timedelta(hours=1)) -> int:
    """Drop buckets that are full again long since (they read the same as no row)."""
    result = await session.execute(
        text("DELETE FROM send_rate_buckets WHERE tat < :before"), {"before": utcnow() - idle}
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
