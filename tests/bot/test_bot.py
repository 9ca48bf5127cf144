"""The first-contact bot end to end: incoming message -> subscriber -> job -> reply or handoff."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import time_machine
from sqlalchemy import select

from meridian.bot.models import BotSession
from meridian.bot.service import respond
from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from meridian.deliveries.models import Delivery
from meridian.events.models import DomainEvent
from tests.bot.support import bot_jobs_for, bot_world, customer_says, dispatch, thread
from tests.factories import Factory


async def test_answers_in_the_customers_language_then_resolves(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    world = await bot_world(client, factory, db)
    conversation_id, message_id = await customer_says(
        client, world, "返品したいのですが、手続きを教えてください。"
    )
    await dispatch(db, world.tenant.workspace_id)
    assert await bot_jobs_for(db, message_id) == 1

    plan = await respond(db, message_id)
    assert plan is not None and plan.kind == "reply"
    messages = await thread(db, conversation_id)
    reply, body = messages[-1]
    assert reply.direction == "outgoing" and reply.author_kind == "bot" and reply.language == "ja"
    assert body.startswith("商品の返品方法") and "返品ラベル" in body
    assert "/ja/articles/return-policy" in body and "これで解決しましたか" in body
    meta = reply.meta["bot"]
    assert meta["confidence"] >= 0.8 and meta["mode"] == "variant"
    assert meta["sources"][0]["article_id"] == world.kb.ja_returns
    async with db.session() as session:
        # Sent like any reply: through the outbox.
        assert await session.scalar(select(Delivery).where(Delivery.message_id == reply.id)) is not None
    # Running the same turn again changes nothing.
    assert await respond(db, message_id) is None

    _, thanks_id = await customer_says(client, world, "はい、解決しました")
    await dispatch(db, world.tenant.workspace_id)
    resolved = await respond(db, thanks_id)
    assert resolved is not None and resolved.kind == "resolve"
    async with db.session() as session:
        state = await session.get(BotSession, conversation_id)
        assert state is not None and state.state == "resolved"


async def test_original_with_a_note_when_no_variant_and_no_translation(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    world = await bot_world(client, factory, db)
    conversation_id, message_id = await customer_says(client, world, "Olvidé mi contraseña, ¿cómo la cambio?")
    await dispatch(db, world.tenant.workspace_id)
    plan = await respond(db, message_id)
    assert plan is not None and plan.kind == "reply", plan
    _, body = (await thread(db, conversation_id))[-1]
    assert "Resetting your password" in body
    assert "(Este artículo solo está disponible en inglés.)" in body
    assert "¿Esto resolvió tu duda?" in body


async def test_hands_off_with_a_summary_when_unsure(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    world = await bot_world(client, factory, db)
    conversation_id, message_id = await customer_says(
        client, world, "Are you hiring engineers in the Berlin office?"
    )
    await dispatch(db, world.tenant.workspace_id)
    plan = await respond(db, message_id)
    assert plan is not None and plan.kind == "handoff" and plan.reason in ("low_confidence", "ambiguous")
    messages = await thread(db, conversation_id)
    told, told_body = messages[-2]
    note, note_body = messages[-1]
    assert told.direction == "outgoing" and "passing your message to a person" in told_body
    assert note.direction == "note" and note.author_kind == "bot"
    assert "Are you hiring engineers in the Berlin office?" in note_body and "Closest articles" in note_body
    async with db.session() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None and "bot-handoff" in conversation.tags
        handoff = await session.scalar(
            select(DomainEvent).where(
                DomainEvent.type == "bot.handoff", DomainEvent.conversation_id == conversation_id
            )
        )
        assert handoff is not None
    # Once handed over, the bot stays quiet.
    _, later = await customer_says(client, world, "How do I reset my password?")
    await dispatch(db, world.tenant.workspace_id)
    assert await bot_jobs_for(db, later) == 0


async def test_angry_customer_skips_the_bot_and_rises_in_priority(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    world = await bot_world(client, factory, db)
    conversation_id, message_id = await customer_says(
        client, world, "This is RIDICULOUS!!! Third time I ask where my refund is, what a scam"
    )
    await dispatch(db, world.tenant.workspace_id)
    async with db.session() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None and conversation.priority == "high"
    plan = await respond(db, message_id)
    assert plan is not None and plan.kind == "handoff" and plan.reason == "angry"
    _, note = (await thread(db, conversation_id))[-1]
    assert "sounds upset" in note

    # With the bot off, an angry message still rises in priority.
    quiet = await bot_world(client, factory, db, bot_mode="off")
    other_id, other_message = await customer_says(client, quiet, "Your service is a scam, I am furious")
    await dispatch(db, quiet.tenant.workspace_id)
    assert await bot_jobs_for(db, other_message) == 0
    async with db.session() as session:
        other = await session.get(Conversation, other_id)
        assert other is not None and other.priority == "high"


async def test_asking_for_a_person_and_saying_no(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    world = await bot_world(client, factory, db)
    _, message_id = await customer_says(client, world, "Quiero hablar con una persona")
    await dispatch(db, world.tenant.workspace_id)
    plan = await respond(db, message_id)
    assert plan is not None and plan.kind == "handoff" and plan.reason == "asked_for_person"

    conversation_id, first = await customer_says(
        client, world, "How long does shipping take?", identifier="cust-2"
    )
    await dispatch(db, world.tenant.workspace_id)
    assert (await respond(db, first)).kind == "reply"  # type: ignore[union-attr]
    _, no = await customer_says(client, world, "No, that did not help", identifier="cust-2")
    await dispatch(db, world.tenant.workspace_id)
    plan = await respond(db, no)
    assert plan is not None and plan.reason == "not_helpful"
    _, note = (await thread(db, conversation_id))[-1]
    assert (
        "How long does shipping take?" in note
        and "Bot answered with “Shipping times and delivery estimates”" in note
    )


async def test_outside_hours_mode_follows_the_team_calendar(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    team_id = await factory.team(
        tenant,
        name="Berlin",
        timezone="Europe/Berlin",
        business_hours={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    inbox_id, _ = await factory.inbox(tenant, bot_mode="outside_hours", team_id=team_id)
    from tests.bot.support import BotWorld
    from tests.kb.support import Kb

    world = BotWorld(tenant, Kb({}, ""), inbox_id)
    # Wednesday 2026-11-25, 10:00 in Berlin (09:00 UTC): the team is in, the bot is not.
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
        _, daytime = await customer_says(client, world, "How do I return an item?", identifier="day")
        await dispatch(db, tenant.workspace_id)
    assert await bot_jobs_for(db, daytime) == 0
    # The same Wednesday at 23:30 in Berlin: closed, so the bot answers first.
    with time_machine.travel(datetime(2026, 11, 25, 22, 30, tzinfo=UTC), tick=False):
        _, night = await customer_says(client, world, "How do I return an item?", identifier="night")
        await dispatch(db, tenant.workspace_id)
    assert await bot_jobs_for(db, night) == 1


async def test_a_person_replying_ends_the_bots_turns(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    world = await bot_world(client, factory, db)
    conversation_id, _ = await customer_says(client, world, "Hello")
    reply = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=world.tenant.headers,
        json={"body": "Hi, Ana here!"},
    )
    assert reply.status_code == 201, reply.text
    _, second = await customer_says(client, world, "How do I return an item?")
    await dispatch(db, world.tenant.workspace_id)
    assert await bot_jobs_for(db, second) == 0
    assert await respond(db, second) is None


async def test_bot_settings_are_per_workspace(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await factory.tenant("Owner")
    intruder = await factory.tenant("Intruder")
    saved = await client.put(
        "/api/v1/bot/settings",
        headers=owner.headers,
        json={
            "confidence_threshold": 0.9,
            "order_status_url": "https://shop.example/orders/{order_id}",
            "order_status_api_key": "sk-secret",
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["secrets_set"] == ["order_status_api_key"] and "sk-secret" not in saved.text
    assert (await client.get("/api/v1/bot/settings", headers=intruder.headers)).json()[
        "confidence_threshold"
    ] == 0.815
    agent = await factory.agent(owner)
    assert (await client.put("/api/v1/bot/settings", headers=agent.headers, json={})).status_code == 403
    bad = await client.put("/api/v1/bot/settings", headers=owner.headers, json={"confidence_threshold": 3})
    assert bad.status_code == 422
