"""Conversation numbers: unique per workspace, handed out without serializing ingest."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from meridian.conversations.service import next_number
from meridian.db.engine import Database
from tests.factories import Factory


async def test_an_open_transaction_does_not_block_the_next_number(db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    async with db.session() as first, db.session() as second:
        held = await next_number(first, tenant.workspace_id)
        # The first transaction stays open. A row lock would make the second wait; with
        # lock_timeout it would fail instead of hanging the test.
        await second.execute(text("SET LOCAL lock_timeout = '2s'"))
        following = await next_number(second, tenant.workspace_id)
        assert following == held + 1
        await second.commit()
        await first.rollback()
    async with db.session() as third:
        # The rolled-back number is a gap, never reused.
        assert await next_number(third, tenant.workspace_id) == held + 2
        await third.commit()


async def test_concurrent_numbers_are_distinct(db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()

    async def take() -> int:
        async with db.session() as session:
            number = await next_number(session, tenant.workspace_id)
            await session.commit()
            return number

    numbers = await asyncio.gather(*(take() for _ in range(12)))
    assert sorted(numbers) == list(range(min(numbers), min(numbers) + 12))
