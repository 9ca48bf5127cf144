"""The lock order of conversations/locks.py, on real PostgreSQL: the dispatcher and
ingest working on the same customer at the same moment wait for each other, never
in a circle."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy import select, text

from meridian.automations.subscribers import on_event as automations_on_event
from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from meridian.messages.models import Message
from meridian.sla.subscribers import on_event as sla_on_event
from tests.factories import Factory
from tests.routing import support
from tests.support.outbox import drain


async def _lock_waiters(db: Database) -> int:
    async with db.session() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(waiting or 0)


async def _until_someone_waits(db: Database, task: asyncio.Task[object]) -> None:
    deadline = time.monotonic() + 60
    while await _lock_waiters(db) == 0:
        assert not task.done(), "the other transaction should have waited for a lock"
        assert time.monotonic() < deadline, "nobody ever waited for a lock"
        await asyncio.sleep(0.05)


async def test_dispatcher_and_ingest_on_the_same_customer_do_not_deadlock(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id = await support.api_inbox(db, tenant.workspace_id)
    rule = await client.post(
        "/api/v1/automations",
        headers=tenant.headers,
        json={
            "name": "Note every message",
            "event": "message.created",
            "conditions": {},
            "actions": [{"type": "add_note", "body": "Seen by the rules"}],
        },
    )
    assert rule.status_code == 201, rule.text
    first = await support.incoming(db, inbox_id, identifier="ana", language="en")
    async with db.session() as session:
        event_id = await session.scalar(
            select(DomainEvent.id).where(
                DomainEvent.conversation_id == first.conversation_id, DomainEvent.type == "message.created"
            )
        )
    assert event_id is not None

    # The dispatcher runs a batch of events in one transaction: the first event's
    # subscriber locks the conversation; meanwhile the same customer writes again;
    # a later event's rule then writes a note, a row that names the contact. Before
    # the lock order, ingest held the contact and waited for the conversation while
    # the note waited for the contact: DeadlockDetected after a second.
    async with db.session() as dispatcher:
        event = await dispatcher.get(DomainEvent, event_id)
        assert event is not None
        await sla_on_event(dispatcher, event)
        second = asyncio.create_task(
            support.incoming(db, inbox_id, identifier="ana", language="en", body="Any news about my refund?")
        )
        await _until_someone_waits(db, second)
        await automations_on_event(dispatcher, event)
        await dispatcher.commit()
    result = await asyncio.wait_for(second, timeout=60)

    assert result.created and result.conversation_id == first.conversation_id
    async with db.session() as session:
        kinds = sorted(
            await session.scalars(
                select(Message.direction).where(Message.conversation_id == first.conversation_id)
            )
        )
    assert kinds == ["incoming", "incoming", "note"]
    await support.settle(db)
    await drain(db)
