"""Outbox housekeeping jobs."""

from __future__ import annotations

from meridian.db.engine import get_database
from meridian.deliveries.ratelimit import purge_idle
from meridian.jobs.app import job_app


@job_app.periodic(cron="17 * * * *", periodic_id="send-rate-purge")
@job_app.task(name="meridian.deliveries.purge_rate_buckets", queue="maintenance")
async def purge_rate_buckets(timestamp: int) -> int:
    """Drop send-rate buckets idle for an hour (one row per recipient would pile up)."""
    async with get_database().session() as session:
        removed = await purge_idle(session)
        await session.commit()
    return removed
