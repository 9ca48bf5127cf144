"""Privacy jobs: completing erasures and applying retention policies."""

from __future__ import annotations

from meridian.db.engine import get_database
from meridian.jobs.app import job_app
from meridian.privacy.erasure import process_pending_erasures
from meridian.privacy.retention import apply_all

QUEUE = "privacy"


@job_app.periodic(cron="* * * * *", periodic_id="privacy-erasures")
@job_app.task(name="meridian.privacy.process_erasures", queue=QUEUE)
async def process_erasures(timestamp: int) -> int:
    """The sweep: a pending erasure whose job failed or was lost is completed within a minute."""
    return await process_pending_erasures(get_database())


@job_app.task(name="meridian.privacy.erase_now", queue=QUEUE)
async def erase_now() -> int:
    """Deferred by each erasure request, in its transaction (see ``request_erasure``)."""
    return await process_pending_erasures(get_database())


@job_app.periodic(cron="17 * * * *", periodic_id="privacy-retention")
@job_app.task(name="meridian.privacy.apply_retention", queue=QUEUE)
async def apply_retention_policies(timestamp: int) -> int:
    """Hourly: each workspace's due conversations, one batch per run."""
    return await apply_all(get_database())
