"""Subscribers run once per event, effects commit with the bookkeeping, failures retry."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text, update

from meridian.db.engine import Database
from meridian.events.dispatch import SUBSCRIBERS, dispatch_batch, subscriber
from meridian.events.models import DomainEvent
from meridian.events.models import DomainEvent as Event
from meridian.events.service import publish

FAIL_ONCE: set[int] = set()


async def _mark(session, event: Event, who: str) -> None:  # type: ignore[no-untyped-def]
    await session.execute(
        text("INSERT INTO test_dispatch_marks(event_id, who) VALUES (:e, :w)"), {"e": event.id, "w": who}
    )


async def test_each_subscriber_runs_once_and_failures_retry_alone(db: Database) -> None:
    async with db.session() as session:
        await session.execute(
            text("CREATE TABLE IF NOT EXISTS test_dispatch_marks (event_id bigint, who text)")
        )
        # Older events from other tests must not be dispatched here with our test subscribers.
        await session.execute(
            update(DomainEvent).where(DomainEvent.dispatched_at.is_(None)).values(dispatched_at=text("now()"))
        )
        await session.commit()

    @subscriber("test-steady", "test.ping")
    async def steady(session, event):  # type: ignore[no-untyped-def]
        await _mark(session, event, "steady")

    @subscriber("test-flaky", "test.ping")
    async def flaky(session, event):  # type: ignore[no-untyped-def]
        await _mark(session, event, "flaky")  # rolled back with its savepoint on failure
        if event.id not in FAIL_ONCE:
            FAIL_ONCE.add(event.id)
            raise RuntimeError("downstream hiccup")

    try:
        ws = uuid.uuid4()
        async with db.session() as session:
            from meridian.workspaces.models import Workspace

            session.add(Workspace(id=ws, name="dispatch", languages=[], settings={}))
            await session.flush()
            event = await publish(session, workspace_id=ws, type="test.ping", payload={})
            other = await publish(session, workspace_id=ws, type="test.other", payload={})
            await session.commit()
        assert await dispatch_batch(db) >= 2
        async with db.session() as session:
            row = await session.get(DomainEvent, event.id)
            assert row is not None
            assert row.handled == ["test-steady"] and row.dispatched_at is None and row.attempts == 1
            assert "downstream hiccup" in (row.last_error or "")
            untouched = await session.get(DomainEvent, other.id)
            assert untouched is not None and untouched.dispatched_at is not None
            await session.execute(
                update(DomainEvent).where(DomainEvent.id == event.id).values(next_attempt_at=text("now()"))
            )
            await session.commit()
        await dispatch_batch(db)
        async with db.session() as session:
            row = await session.get(DomainEvent, event.id)
            assert row is not None and row.dispatched_at is not None
            assert row.handled == ["test-steady", "test-flaky"]
            marks = (
                (
                    await session.execute(
                        select(text("who"))
                        .select_from(text("test_dispatch_marks"))
                        .where(text(f"event_id = {event.id}"))
                    )
                )
                .scalars()
                .all()
            )
        assert sorted(marks) == ["flaky", "steady"], "each subscriber's effect committed exactly once"
    finally:
        SUBSCRIBERS.pop("test-steady", None)
        SUBSCRIBERS.pop("test-flaky", None)
