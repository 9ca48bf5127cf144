"""A workspace with a small indexed knowledge base and an api inbox whose bot is on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, text, update

from meridian.db.engine import Database
from meridian.events.dispatch import dispatch_batch, load_subscribers
from meridian.events.models import DomainEvent
from meridian.messages.models import Message
from tests.factories import Factory, Tenant
from tests.kb.support import Kb, build_kb


@dataclass
class BotWorld:
    tenant: Tenant
    kb: Kb
    inbox_id: uuid.UUID


async def bot_world(
    client: httpx.AsyncClient, factory: Factory, db: Database, *, bot_mode: str = "always", **inbox: Any
) -> BotWorld:
    tenant = await factory.tenant()
    kb = await build_kb(client, db, tenant)
    inbox_id, _ = await factory.inbox(tenant, bot_mode=bot_mode, **inbox)
    return BotWorld(tenant, kb, inbox_id)


async def customer_says(
    client: httpx.AsyncClient,
    world: BotWorld,
    body: str,
    *,
    identifier: str = "cust-1",
    locale: str | None = None,
) -> tuple[uuid.UUID, uuid.UUID]:
    contact: dict[str, str] = {"identifier": identifier}
    if locale:
        contact["locale"] = locale
    response = await client.post(
        f"/api/v1/inboxes/{world.inbox_id}/incoming",
        headers=world.tenant.headers,
        json={"contact": contact, "body": body},
    )
    assert response.status_code == 202, response.text
    data = response.json()
    return uuid.UUID(data["conversation_id"]), uuid.UUID(data["message_id"])


async def dispatch(db: Database, workspace_id: uuid.UUID) -> None:
    """Run subscribers for this workspace's events only (other tests' events stay put)."""
    load_subscribers()
    async with db.session() as session:
        await session.execute(
            update(DomainEvent)
            .where(DomainEvent.dispatched_at.is_(None), DomainEvent.workspace_id != workspace_id)
            .values(next_attempt_at=text("now() + interval '1 hour'"))
        )
        await session.commit()
    while await dispatch_batch(db):
        pass


async def bot_jobs_for(db: Database, message_id: uuid.UUID) -> int:
    async with db.session() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'bot.respond' AND args->>'message_id' = :m"
            ),
            {"m": str(message_id)},
        )
    return int(count or 0)


async def thread(db: Database, conversation_id: uuid.UUID) -> list[tuple[Message, str]]:
    from meridian.vault import service as vault

    async with db.session() as session:
        messages = list(
            await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at, Message.id)
            )
        )
        contents = await vault.get_messages(session, [(m.id, "default") for m in messages])
    return [(m, contents[m.id].body if m.id in contents else "") for m in messages]
