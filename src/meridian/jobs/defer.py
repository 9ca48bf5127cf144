"""Deferring a procrastinate job inside the caller's database transaction.

``task.defer_async()`` takes a connection of its own from procrastinate's pool, so a
job deferred by a subscriber or an action would exist even when that transaction
rolls back, and could run before the rows it reads are committed. Passing the
session's own psycopg connection (procrastinate's ``configure(connection=...)``)
makes the job commit, or vanish, with everything else.
"""

from __future__ import annotations

from typing import Any

from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.tasks import Task
from procrastinate.types import JSONValue
from sqlalchemy.ext.asyncio import AsyncSession


async def defer_in_transaction(
    session: AsyncSession,
    task: Task[Any, Any, Any],
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    schedule_in: dict[str, int] | None = None,
    **kwargs: JSONValue,
) -> int | None:
    """Defer ``task`` in ``session``'s transaction; the job id, or None when a job with
    the same ``queueing_lock`` is already waiting (that one will do the work)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    options: dict[str, Any] = {"connection": raw.driver_connection}
    if lock is not None:
        options["lock"] = lock
    if queueing_lock is not None:
        options["queueing_lock"] = queueing_lock
    if schedule_in is not None:
        options["schedule_in"] = schedule_in
    try:
        # A savepoint, so a queueing-lock conflict leaves the transaction usable.
        async with session.begin_nested():
            # SQLAlchemy emits the SAVEPOINT only when the session next uses its
            # connection; procrastinate writes on the raw connection, so ask for it here
            # or a conflict would abort the whole transaction instead of the savepoint.
            await session.connection()
            return await task.configure(**options).defer_async(**kwargs)
    except AlreadyEnqueued:
        return None
