"""Downloading inbound media that a channel only announced by id or URL."""

from __future__ import annotations

import random
import uuid

import httpx
from procrastinate import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from meridian.attachments.service import fetch_attachment as fetch_one
from meridian.channels.base import DeliveryError
from meridian.core.backoff import doubling
from meridian.db.engine import get_database
from meridian.jobs.app import job_app

MAX_ATTEMPTS = 8
BACKOFF_CAP_SECONDS = 900


class VendorRetry(BaseRetryStrategy):
    """Exponential backoff with jitter; a vendor's Retry-After is the floor.

    Vendor media URLs expire (WhatsApp's after about five minutes, then a new one is
    issued by the same media id), so the early retries come quickly."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts + 1 >= MAX_ATTEMPTS:
            return None
        if isinstance(exception, DeliveryError) and exception.permanent:
            return None
        wait = random.uniform(1, doubling(job.attempts + 2, base=1.0, cap=BACKOFF_CAP_SECONDS))  # noqa: S311
        if isinstance(exception, DeliveryError) and exception.retry_after:
            wait = max(wait, exception.retry_after)
        return RetryDecision(retry_in={"seconds": int(wait) + 1})


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0))


@job_app.task(name="meridian.fetch_attachment", queue="media", retry=VendorRetry(), pass_context=True)
async def fetch_attachment(context: JobContext, attachment_id: str) -> str:
    """Fetch one pending attachment; safe to run twice (a stored file is skipped)."""
    async with _http() as http:
        return await fetch_one(
            get_database(),
            attachment_id=uuid.UUID(attachment_id),
            http=http,
            last_attempt=context.job.attempts + 1 >= MAX_ATTEMPTS,
        )
