"""Running the real outbox relay in a test until nothing is due."""

from __future__ import annotations

from sqlalchemy import text

from meridian.db.engine import Database
from meridian.deliveries.relay import OutboxRelay


async def drain(db: Database, *, now: bool = True) -> int:
    """Send every due delivery once through the relay; returns how many were tried.

    ``now`` makes retries due at once (the test stands in for the passing of time);
    without it, a retry waits for its backoff as in production."""
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
        while await relay.run_once():
            tried += 1
    finally:
        await relay.stop()
    return tried
