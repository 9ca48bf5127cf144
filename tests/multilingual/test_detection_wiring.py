"""Every incoming message gets a language; the contact and conversation follow the customer."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from meridian.db.engine import Database
from meridian.events.models import DomainEvent
from tests.factories import Factory
from tests.multilingual.support import dispatch_all, incoming, messages


async def test_spanish_message_sets_message_contact_and_conversation_language(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    sent = await incoming(
        client,
        tenant.headers,
        inbox_id,
        "Hola, ¿dónde está mi pedido? Lo compré hace dos semanas y no llega.",
    )
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    assert message["language"] == "es" and message["language_confidence"] > 0.5
    conversation = (
        await client.get(f"/api/v1/conversations/{sent['conversation_id']}", headers=tenant.headers)
    ).json()
    assert conversation["language"] == "es"
    assert conversation["contact"]["locale"] == "es"
    # Routing and other subscribers read the language from the event itself.
    async with db.session() as session:
        event = await session.scalar(
            select(DomainEvent).where(
                DomainEvent.workspace_id == tenant.workspace_id, DomainEvent.type == "message.created"
            )
        )
    assert event is not None and event.payload["language"] == "es"


async def test_short_text_falls_back_to_the_contacts_locale(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    sent = await incoming(client, tenant.headers, inbox_id, "ok 👍", locale="pt-BR")
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    assert message["language"] == "pt-BR"
    assert message["language_confidence"] == 0.0


async def test_reliable_detection_keeps_a_known_locale_but_moves_the_conversation(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    first = await incoming(
        client, tenant.headers, inbox_id, "Guten Tag, ich warte immer noch auf meine Bestellung.", locale="de"
    )
    await incoming(
        client,
        tenant.headers,
        inbox_id,
        "Excusez-moi, je préfère écrire en français : la commande n'est toujours pas arrivée.",
        locale="de",
    )
    items = await messages(client, tenant.headers, first["conversation_id"])
    assert [m["language"] for m in items] == ["de", "fr"]
    conversation = (
        await client.get(f"/api/v1/conversations/{first['conversation_id']}", headers=tenant.headers)
    ).json()
    assert conversation["language"] == "fr"
    # What the channel or an agent said about the contact is not overwritten by one message.
    assert conversation["contact"]["locale"] == "de"


async def test_agent_correction_of_contact_locale_reaches_open_conversations(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    sent = await incoming(
        client, tenant.headers, inbox_id, "Olá, preciso de ajuda com a minha encomenda, por favor."
    )
    conversation = (
        await client.get(f"/api/v1/conversations/{sent['conversation_id']}", headers=tenant.headers)
    ).json()
    contact_id = conversation["contact"]["id"]
    patched = await client.patch(
        f"/api/v1/contacts/{contact_id}", headers=tenant.headers, json={"locale": "pt-PT"}
    )
    assert patched.status_code == 200 and patched.json()["locale"] == "pt-PT"
    await dispatch_all(db)
    conversation = (
        await client.get(f"/api/v1/conversations/{sent['conversation_id']}", headers=tenant.headers)
    ).json()
    assert conversation["language"] == "pt-PT"
    # The next message keeps the corrected variant: same language, more specific knowledge.
    await incoming(client, tenant.headers, inbox_id, "Obrigado, já recebi a encomenda hoje de manhã.")
    items = await messages(client, tenant.headers, sent["conversation_id"])
    assert items[-1]["language"] == "pt-PT"


async def test_workspace_languages_narrow_the_candidates(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    settings = await client.put(
        "/api/v1/settings/translation",
        headers=tenant.headers,
        json={"provider": "none", "agent_language": "en", "languages": ["en", "de"]},
    )
    assert settings.status_code == 200 and settings.json()["languages"] == ["en", "de"]
    # Dutch, which this workspace does not serve, can only come out as one of its languages.
    sent = await incoming(client, tenant.headers, inbox_id, "Goedemorgen, waar is mijn bestelling gebleven?")
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    assert message["language"] in ("en", "de")
