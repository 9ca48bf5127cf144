"""Translating customers' messages in the background, retrying a provider that failed."""

from __future__ import annotations

import logging
import math
import random
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.core.backoff import doubling
from meridian.core.clock import utcnow
from meridian.db.engine import get_database
from meridian.jobs.app import job_app
from meridian.jobs.defer import defer_in_transaction
from meridian.translation import incoming
from meridian.translation.base import QuotaExceeded, TranslationError
from meridian.translation.engine import TranslationUnavailable

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A used-up quota resets per day or month: asking again within the hour is pointless.
QUOTA_RETRY = timedelta(hours=1)


def retry_delay(exc: TranslationError, attempt: int) -> timedelta:
    """Exponential backoff with jitter (30 s, 1 min, 2 min... capped at 1 h), never before Retry-After."""
    if isinstance(exc, QuotaExceeded):
        floor = QUOTA_RETRY
    else:
        floor = timedelta(seconds=doubling(attempt, base=30.0, cap=3600.0) * random.uniform(0.8, 1.2))  # noqa: S311
    if exc.retry_after is not None:
        return max(floor, timedelta(seconds=exc.retry_after))
    return floor


async def run_translation(message_id: uuid.UUID, attempt: int) -> None:
    """One attempt; on failure the marker and the next attempt commit together."""
    async with get_database().session() as session:
        try:
            await incoming.translate_incoming(session, message_id=message_id)
        except TranslationUnavailable:
            # Translation was switched off after the job was queued: nothing to show.
            await session.rollback()
            return
        except TranslationError as exc:
            await session.rollback()
            retrying = (exc.transient or isinstance(exc, QuotaExceeded)) and attempt < MAX_ATTEMPTS
            retry_at = utcnow() + retry_delay(exc, attempt) if retrying else None
            log.warning(
                "translation failed",
                extra={"message_id": str(message_id), "attempt": attempt, "error": exc.message},
            )
            await incoming.record_failure(
                session, message_id=message_id, error=exc.message, attempts=attempt, retry_at=retry_at
            )
            if retry_at is not None:
                await defer_translation(
                    session, message_id=message_id, attempt=attempt + 1, delay=retry_at - utcnow()
                )
        await session.commit()


@job_app.task(name="meridian.translate_message", queue="translation")
async def translate_message(message_id: str, attempt: int = 1) -> None:
    await run_translation(uuid.UUID(message_id), attempt)


async def defer_translation(
    session: AsyncSession, *, message_id: uuid.UUID, attempt: int = 1, delay: timedelta | None = None
) -> None:
    """Queue a translation in the caller's transaction: it exists iff the caller commits."""
    await defer_in_transaction(
        session,
        translate_message,
        # One waiting job per message, however many times a retry is asked for.
        queueing_lock=f"translate:{message_id}",
        schedule_in={"seconds": math.ceil(delay.total_seconds())} if delay else None,
        message_id=str(message_id),
        attempt=attempt,
    )
