"""Without a translation provider, a person's earlier translation in the memory still reaches
agents who cannot read the customer; a text the memory does not know shows its original."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from meridian.translation.memory import remember_human
from tests.console.helpers import sign_in
from tests.factories import Factory, Tenant
from tests.multilingual.support import dispatch_all, incoming, messages

KNOWN = "Hola, mi pedido no ha llegado todavía y ya pasaron dos semanas."
KNOWN_EN = "Hello, my order still hasn't arrived and it's been two weeks."
UNKNOWN = "¿Tienen la chaqueta azul en talla mediana?"
FROM_MEMORY = {
    "language": "en",
    "body": KNOWN_EN,
    "provider": "human",
    "origin": "memory",
    "source_language": "es",
}


async def _remember(db: Database, tenant: Tenant) -> None:
    async with db.session() as session:
        await remember_human(
            session,
            workspace_id=tenant.workspace_id,
            source="es",
            target="en",
            source_text=KNOWN,
            target_text=KNOWN_EN,
            contact_id=None,
            region="default",
            author_agent_id=None,
        )
        await session.commit()


async def _queued_translations(db: Database, message_ids: list[str]) -> int:
    async with db.session() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'meridian.translate_message' "
                "AND args->>'message_id' = ANY(:ids)"
            ),
            {"ids": message_ids},
        )
    return int(count or 0)


async def test_incoming_messages_use_the_memory_without_a_provider(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    await factory.agent(tenant, languages=["en"])
    await _remember(db, tenant)

    known = await incoming(client, tenant.headers, inbox_id, KNOWN)
    # The same words re-typed with other spacing are the same segment.
    spaced = await incoming(client, tenant.headers, inbox_id, KNOWN.replace(" ", "  "), identifier="c-2")
    unknown = await incoming(client, tenant.headers, inbox_id, UNKNOWN, identifier="c-3")
    await dispatch_all(db)

    [first] = await messages(client, tenant.headers, known["conversation_id"])
    assert first["body"] == KNOWN and first["translation"] == FROM_MEMORY
    [second] = await messages(client, tenant.headers, spaced["conversation_id"])
    assert second["translation"] == FROM_MEMORY
    # A miss is not a failure: no marker, no retry queued, the original as it is.
    [third] = await messages(client, tenant.headers, unknown["conversation_id"])
    assert third["body"] == UNKNOWN and third["translation"] is None
    assert await _queued_translations(db, [first["id"], second["id"], third["id"]]) == 0
    async with db.session() as session:
        updates = await session.scalar(
            text(
                "SELECT count(*) FROM domain_events WHERE type = 'message.updated' "
                "AND payload->>'message_id' = ANY(:ids)"
            ),
            {"ids": [first["id"], third["id"]]},
        )
    # The console thread refreshes for the translated message only.
    assert updates == 1


async def test_retry_without_a_provider_answers_from_memory_or_says_why_not(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    mexico = await factory.team(tenant, name="Mexico City", timezone="America/Mexico_City")
    # A Spanish speaker may answer, so nothing is translated on arrival.
    await factory.agent(tenant, languages=["es", "en"], team_ids=[mexico])
    inbox_id, _ = await factory.inbox(tenant, team_id=mexico)
    known = await incoming(client, tenant.headers, inbox_id, KNOWN)
    unknown = await incoming(client, tenant.headers, inbox_id, UNKNOWN, identifier="c-2")
    await dispatch_all(db)
    [message] = await messages(client, tenant.headers, known["conversation_id"])
    assert message["translation"] is None
    await _remember(db, tenant)

    retried = await client.post(f"/api/v1/messages/{message['id']}/translation/retry", headers=tenant.headers)
    assert retried.status_code < 300, retried.text
    [message] = await messages(client, tenant.headers, known["conversation_id"])
    assert message["translation"] == FROM_MEMORY

    [other] = await messages(client, tenant.headers, unknown["conversation_id"])
    refused = await client.post(f"/api/v1/messages/{other['id']}/translation/retry", headers=tenant.headers)
    assert refused.status_code == 422
    assert "no translation provider" in refused.json()["detail"]
    [other] = await messages(client, tenant.headers, unknown["conversation_id"])
    assert other["translation"] is None
    assert await _queued_translations(db, [message["id"], other["id"]]) == 0


async def test_console_shows_a_reader_the_memory_translation_of_what_they_cannot_read(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    mexico = await factory.team(tenant, name="Mexico City", timezone="America/Mexico_City")
    sofia = await factory.agent(tenant, languages=["es", "en"], team_ids=[mexico])
    reader = await factory.agent(tenant, languages=["en"], role="supervisor")
    inbox_id, _ = await factory.inbox(tenant, team_id=mexico)
    await _remember(db, tenant)
    # One thread: a message the memory knows, one it does not, and one in English.
    known = await incoming(client, tenant.headers, inbox_id, KNOWN)
    await incoming(client, tenant.headers, inbox_id, UNKNOWN)
    await incoming(client, tenant.headers, inbox_id, "Also, can I pay by card?")
    await dispatch_all(db)
    # Sofía reads Spanish: the pipeline stored nothing, it is the reader's view.
    stored = await messages(client, tenant.headers, known["conversation_id"])
    assert [m["translation"] for m in stored] == [None, None, None]

    await sign_in(client, reader.email)
    page = await client.get(f"/conversations/{known['conversation_id']}")
    assert page.status_code == 200
    items = [html.unescape(item) for item in page.text.split('<li class="message ')[1:]]
    assert len(items) == 3
    assert KNOWN in items[0] and KNOWN_EN in items[0]
    assert 'data-translation-origin="human-memory"' in items[0]
    assert "Human translation, from memory" in items[0] and "Not translated" not in items[0]
    assert UNKNOWN in items[1]
    assert "Not translated: no translation provider is configured." in items[1]
    assert "Translation unavailable" not in items[1]
    # English needs nothing for this reader.
    assert "Translation" not in items[2] and "Not translated" not in items[2]
    thread = html.unescape((await client.get(f"/conversations/{known['conversation_id']}/thread")).text)
    assert KNOWN_EN in thread and "Not translated: no translation provider is configured." in thread

    # Someone who reads Spanish gets the originals alone.
    client.cookies.clear()
    await sign_in(client, sofia.email)
    own = html.unescape((await client.get(f"/conversations/{known['conversation_id']}/thread")).text)
    assert KNOWN in own and KNOWN_EN not in own and "Not translated" not in own
