"""Background jobs that keep the knowledge-base search index current."""

from __future__ import annotations

import logging
import uuid

from procrastinate import JobContext

from meridian.db.engine import get_database
from meridian.jobs.app import job_app
from meridian.kb.index import reindex_article, stale_article_ids

log = logging.getLogger(__name__)


@job_app.task(name="kb.reindex_article", queue="kb", retry=5)
async def reindex_article_job(article_id: str) -> None:
    # Re-reads the article: running twice, or after a newer change, is harmless.
    await reindex_article(get_database(), uuid.UUID(article_id))


@job_app.periodic(cron="* * * * *", periodic_id="kb-reindex-stale")
@job_app.task(name="kb.reindex_stale", queue="maintenance", pass_context=True)
async def reindex_stale_job(context: JobContext, timestamp: int) -> int:
    """Catch anything a lost deferral or a failed embedding left stale."""
    from procrastinate.exceptions import AlreadyEnqueued

    async with get_database().session() as session:
        ids = await stale_article_ids(session)
    queued = 0
    for article_id in ids:
        try:
            await reindex_article_job.configure(
                lock=f"kb-reindex-{article_id}", queueing_lock=f"kb-sweep-{article_id}"
            ).defer_async(article_id=str(article_id))
            queued += 1
        except AlreadyEnqueued:
            continue
    if queued:
        log.info("re-queued stale knowledge-base articles", extra={"count": queued})
    return queued
