"""Housekeeping jobs that keep the job system itself healthy."""

from __future__ import annotations

import logging

from procrastinate import JobContext

from meridian.jobs.app import job_app

log = logging.getLogger(__name__)

STALLED_AFTER_SECONDS = 60


@job_app.periodic(cron="* * * * *", periodic_id="recover-stalled")
@job_app.task(name="meridian.recover_stalled_jobs", queue="maintenance", pass_context=True)
async def recover_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Re-queue jobs whose worker stopped heartbeating (killed, lost its host).

    procrastinate marks a job ``doing`` when a worker takes it; if that worker dies
    the job would stay ``doing`` forever. Retrying it is safe because every
    Meridian job is idempotent by design (it receives ids and re-reads state).
    """
    count = await recover_stalled(context.app, seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    if count:
        log.warning("re-queued stalled jobs", extra={"count": count})
    return count


async def recover_stalled(app: object, *, seconds_since_heartbeat: float) -> int:
    """The body of ``recover_stalled_jobs``, callable with a shorter threshold (tests, CLI)."""
    manager = app.job_manager  # type: ignore[attr-defined]
    count = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat):
        await manager.retry_job(job)
        count += 1
    return count
