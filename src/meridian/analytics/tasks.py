"""Folding appended rollup deltas together, every minute."""

from __future__ import annotations

import logging

from meridian.analytics import occupancy
from meridian.analytics.rollups import compact, workspaces_with_pending
from meridian.core.clock import utcnow
from meridian.db.engine import Database, get_database
from meridian.jobs.app import job_app

log = logging.getLogger(__name__)


async def compact_all(db: Database) -> int:
    """Compact every workspace with pending deltas, one transaction each."""
    async with db.session() as session:
        workspaces = await workspaces_with_pending(session)
    done = 0
    for workspace_id in workspaces:
        async with db.session() as session:
            done += await compact(session, workspace_id)
            await session.commit()
    return done


@job_app.periodic(cron="* * * * *", periodic_id="analytics-compact")
@job_app.task(
    name="meridian.analytics.compact_rollups", queue="maintenance", queueing_lock="analytics-compact"
)
async def compact_rollups(timestamp: int) -> int:
    batches = await compact_all(get_database())
    if batches:
        log.info("compacted analytics rollups", extra={"batches": batches})
    return batches


async def sample_all(db: Database) -> int:
    """Sample each workspace with an agent online (one statement and transaction each);
    idle workspaces cost only their share of the listing query."""
    async with db.session() as session:
        workspaces = await occupancy.workspaces(session)
        await occupancy.stop_idle_clocks(session)
        await session.commit()
    sampled = 0
    for workspace_id in workspaces:
        async with db.session() as session:
            if await occupancy.sample(session, workspace_id=workspace_id, at=utcnow()):
                sampled += 1
            await session.commit()
    return sampled


@job_app.periodic(cron="* * * * *", periodic_id="analytics-occupancy")
@job_app.task(
    name="meridian.analytics.sample_occupancy", queue="maintenance", queueing_lock="analytics-occupancy"
)
async def sample_occupancy(timestamp: int) -> int:
    return await sample_all(get_database())
