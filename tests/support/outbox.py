"""Running the real outbox relay in a test until nothing is due."""

from __future__ import annotations

from sqlalchemy import text

from meridian.db.engine import Database
from meridian.deliveries.relay import OutboxRelay


async def drain(db: Database, *, now: bool = True) -> int:
    """Send every due delivery once through the relay; returns how many were tried.

    ``now`` makes retries due at once and empties the send-rate buckets before each
    send (the test stands in for the passing of time); without it, a retry waits for
    its backoff and a send for its rate limit as in production."""
    relay = OutboxRelay(db, concurrency=1)
    tried = 0
    try:
        if now:
            async with db.session() as session:
                await session.execute(
                    text(
                        "UPDATE deliveries SET next_attempt_at = now() WHERE state IN ('pending','retrying')"
                    )
                )
                await session.commit()
        while True:
            if now:
                # Time also refills the vendors' send-rate buckets between two sends.
                async with db.session() as session:
                    await session.execute(text("DELETE FROM send_rate_buckets"))
                    await session.commit()
            if not await relay.run_once():
                break
            tried += 1
    finally:
        await relay.stop()
    return tried
