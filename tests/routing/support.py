"""Shared set-up for routing, SLA and automation tests: rows written directly (fast,
no password hashing), messages through the real ingest, events through the real
dispatcher."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from meridian.agents.models import Agent, AgentTeam
from meridian.channels.base import InboundContact, InboundMessage
from meridian.channels.ingest import IngestResult, ingest_message
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from meridian.events.dispatch import dispatch_batch, load_subscribers
from meridian.events.models import DomainEvent
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.teams.models import Team
from meridian.vault import service as vault
from meridian.workspaces.service import create_workspace

WEEKDAYS_9_TO_6 = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
TEAMS: dict[str, dict[str, Any]] = {
    "Berlin": {
        "timezone": "Europe/Berlin",
        "languages": ["de", "en", "fr"],
        "holidays": {"country": "DE", "subdivision": "BE"},
    },
    "Shanghai": {
        "timezone": "Asia/Shanghai",
        "languages": ["zh-Hans", "zh-Hant", "ja", "ko", "en"],
        "holidays": {"country": "CN"},
    },
    "Mexico City": {
        "timezone": "America/Mexico_City",
        "languages": ["es", "pt", "en"],
        "holidays": {"country": "MX"},
    },
}
# Customer messages the language detector recognises without doubt.
TEXTS = {
    "es": "Hola, mi pedido todavía no ha llegado y ya pasaron dos semanas. ¿Me pueden ayudar, por favor?",
    "es-MX": "Hola, mi pedido todavía no ha llegado y ya pasaron dos semanas. ¿Me pueden ayudar, por favor?",
    "pt": "Olá! Posso trocar o tamanho do tênis que comprei ontem? Obrigado pela ajuda.",
    "pt-BR": "Olá! Posso trocar o tamanho do tênis que comprei ontem? Obrigado pela ajuda.",
    "de": "Guten Tag, die Rechnung für meine Bestellung fehlt. Können Sie sie mir bitte schicken?",
    "fr": "Bonjour, est-ce que vous livrez en Belgique ? Je voudrais commander aujourd'hui.",
    "en": "Hi, I was charged twice for my order last week. Please refund one of the payments.",
    "ja": "返品したいのですが、手続きを教えてください。よろしくお願いします。",
    "zh-Hans": "你好，我的订单显示已发货，但是物流信息三天没有更新了。",
    "ko": "안녕하세요, 주문한 상품이 아직 도착하지 않았습니다. 확인 부탁드립니다.",
    "ar": "مرحبا، أريد استرداد المبلغ لأن المنتج وصل تالفاً. شكرا لكم.",
}


async def leave_outbox_empty(request: pytest.FixtureRequest) -> None:
    """After a database test, send what it left in the outbox (notices and replies to
    inboxes without a webhook fail at once), so no later test's relay meets it."""
    if "db" in request.fixturenames:
        from tests.support.outbox import drain

        await drain(request.getfixturevalue("db"))


async def workspace(db: Database, name: str = "Routing test") -> uuid.UUID:
    """A bare workspace (no admin, no token): enough for everything below the API."""
    async with db.session() as session:
        row = await create_workspace(session, name=name)
        await session.commit()
        return row.id


async def settle(db: Database) -> None:
    """Dispatch events (and the events they cause) until none is due."""
    load_subscribers()
    for _ in range(30):
        if await dispatch_batch(db, limit=200) == 0:
            return
    raise AssertionError("events kept coming")


async def failures(db: Database, workspace_id: uuid.UUID) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(DomainEvent.last_error).where(
                DomainEvent.workspace_id == workspace_id, DomainEvent.last_error.is_not(None)
            )
        )
        return [r for r in rows if r and any(n in r for n in ("routing", "sla", "automations"))]


async def make_teams(
    db: Database, workspace_id: uuid.UUID, names: list[str] | None = None
) -> dict[str, uuid.UUID]:
    async with db.session() as session:
        teams = {
            name: Team(workspace_id=workspace_id, name=name, business_hours=WEEKDAYS_9_TO_6, **TEAMS[name])
            for name in names or list(TEAMS)
        }
        session.add_all(teams.values())
        await session.commit()
        return {name: team.id for name, team in teams.items()}


async def make_agent(
    db: Database,
    workspace_id: uuid.UUID,
    name: str,
    *,
    teams: list[uuid.UUID],
    languages: list[str],
    max_concurrent: int = 8,
    availability: str = "online",
    skills: list[str] | None = None,
    language_proficiency: dict[str, str] | None = None,
    channel_capacity: dict[str, int] | None = None,
) -> uuid.UUID:
    async with db.session() as session:
        agent = Agent(
            language_proficiency=language_proficiency or {},
            channel_capacity=channel_capacity or {},
            workspace_id=workspace_id,
            email=f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com",
            name=name,
            role="agent",
            languages=languages,
            skills=skills or [],
            max_concurrent=max_concurrent,
            availability=availability,
        )
        session.add(agent)
        await session.flush()
        session.add_all(AgentTeam(agent_id=agent.id, team_id=t) for t in teams)
        await session.commit()
        return agent.id


async def api_inbox(db: Database, workspace_id: uuid.UUID, team_id: uuid.UUID | None = None) -> uuid.UUID:
    async with db.session() as session:
        inbox = Inbox(
            workspace_id=workspace_id, name="API", channel="api", config={}, team_id=team_id, state={}
        )
        session.add(inbox)
        await session.commit()
        return inbox.id


async def give_load(
    db: Database, workspace_id: uuid.UUID, inbox_id: uuid.UUID, agent_id: uuid.UUID, n: int
) -> None:
    """``n`` open conversations owned by the agent (its load)."""
    async with db.session() as session:
        contact = Contact(workspace_id=workspace_id, attributes={})
        session.add(contact)
        await session.flush()
        from meridian.conversations.service import next_number
        from meridian.core.clock import utcnow

        for _ in range(n):
            session.add(
                Conversation(
                    workspace_id=workspace_id,
                    number=await next_number(session, workspace_id),
                    inbox_id=inbox_id,
                    contact_id=contact.id,
                    status="open",
                    priority="normal",
                    assignee_id=agent_id,
                    tags=[],
                    custom_attributes={},
                    last_activity_at=utcnow(),
                )
            )
        await session.commit()


async def incoming(
    db: Database,
    inbox_id: uuid.UUID,
    *,
    identifier: str,
    language: str,
    body: str | None = None,
    contact: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> IngestResult:
    """A customer message through the real ingest (language detection included)."""
    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        result = await ingest_message(
            session,
            inbox=inbox,
            msg=InboundMessage(
                external_id=uuid.uuid4().hex,
                contact=InboundContact(identifier=identifier, name=identifier.title(), locale=language),
                body=body or TEXTS[language],
                meta=meta or {},
            ),
        )
        if contact:
            row = await session.scalar(
                select(Contact)
                .join(Conversation, Conversation.contact_id == Contact.id)
                .where(Conversation.id == result.conversation_id)
            )
            assert row is not None
            for key, value in contact.items():
                setattr(row, key, value)
        await session.commit()
        return result


async def conversation(db: Database, conversation_id: uuid.UUID) -> Conversation:
    async with db.session() as session:
        row = await session.get(Conversation, conversation_id)
        assert row is not None
        return row


async def thread(db: Database, conversation_id: uuid.UUID) -> list[tuple[Message, str]]:
    """(message, body) in order."""
    async with db.session() as session:
        rows = list(
            await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at, Message.id)
            )
        )
        region = await session.scalar(
            select(Contact.region)
            .join(Conversation, Conversation.contact_id == Contact.id)
            .where(Conversation.id == conversation_id)
        )
        bodies = await vault.get_messages(session, [(m.id, region or "default") for m in rows])
        return [(m, bodies[m.id].body if m.id in bodies else "") for m in rows]
