"""Translation memory on real multilingual text: exact reuse, human over machine, fuzzy offers."""

from __future__ import annotations

import unicodedata
import uuid

import httpx

from meridian.db.engine import Database
from meridian.translation import memory
from tests.factories import Factory


def test_sentences_split_in_every_script() -> None:
    assert memory.split_sentences("Hola. ¿Dónde está mi pedido?\nGracias!") == [
        "Hola.",
        "¿Dónde está mi pedido?",
        "Gracias!",
    ]
    assert memory.split_sentences("我的订单在哪里？已经两周了。谢谢") == [
        "我的订单在哪里？",
        "已经两周了。",
        "谢谢",
    ]
    assert memory.split_sentences("أين طلبي؟ شكرا لكم") == ["أين طلبي؟", "شكرا لكم"]
    # A decimal point or an abbreviation glued to a number is no sentence end.
    assert memory.split_sentences("Total 3.5 kg today") == ["Total 3.5 kg today"]


CASES = [
    # Accented Latin typed decomposed (NFD) and with extra spaces still matches.
    (
        "es-MX",
        "en",
        "¿Dónde está mi pedido?",
        unicodedata.normalize("NFD", "¿Dónde  está mi pedido? "),
        "Where is my order?",
    ),
    ("zh-Hans", "ja", "我的订单在哪里？", "我的订单在哪里？", "注文はどこですか？"),
    ("ar", "fr", "أين طلبي؟", " أين طلبي؟", "Où est ma commande ?"),
]


async def test_exact_match_and_human_wins(db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    intruder = await factory.tenant("Intruder")
    ws = tenant.workspace_id
    async with db.session() as session:
        for source, target, original, retyped, translation in CASES:
            await memory.remember(
                session,
                workspace_id=ws,
                source=source,
                target=target,
                source_text=original,
                target_text="machine words",
                origin="machine",
                provider="deepl",
            )
            await session.commit()
            # The source variant does not matter (es-MX finds es), the target's does.
            found = await memory.lookup(
                session, workspace_id=ws, source=source.split("-")[0], target=target, texts=[retyped]
            )
            assert [(m.target_text, m.origin) for m in found.values()] == [("machine words", "machine")]
            assert (
                await memory.lookup(
                    session, workspace_id=ws, source=source, target=target + "-CA", texts=[retyped]
                )
                == {}
            )

            await memory.remember_human(
                session,
                workspace_id=ws,
                source=source,
                target=target,
                source_text=retyped,
                target_text=translation,
                contact_id=None,
                region="default",
                author_agent_id=tenant.admin_id,
            )
            await session.commit()
            found = await memory.lookup(
                session, workspace_id=ws, source=source, target=target, texts=[original]
            )
            assert [(m.target_text, m.origin) for m in found.values()] == [(translation, "human")]
            assert (
                await memory.lookup(
                    session,
                    workspace_id=intruder.workspace_id,
                    source=source,
                    target=target,
                    texts=[original],
                )
                == {}
            )


async def test_human_translation_is_stored_per_sentence_when_aligned(db: Database, factory: Factory) -> None:
    tenant = await factory.tenant()
    async with db.session() as session:
        await memory.remember_human(
            session,
            workspace_id=tenant.workspace_id,
            source="en",
            target="es",
            source_text="Thanks for waiting. Your parcel ships today.",
            target_text="Gracias por esperar. Tu paquete sale hoy.",
            contact_id=None,
            region="default",
            author_agent_id=None,
        )
        await session.commit()
        found = await memory.lookup(
            session,
            workspace_id=tenant.workspace_id,
            source="en",
            target="es",
            texts=["Your parcel ships today."],
        )
    assert [m.target_text for m in found.values()] == ["Tu paquete sale hoy."]


async def test_suggestions_endpoint_offers_fuzzy_matches(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    pairs = [
        ("es", "en", "¿Dónde está mi pedido número 1234?", "Where is my order number 1234?"),
        ("es", "en", "Quiero devolver los zapatos", "I want to return the shoes"),
        ("zh-Hans", "en", "我的订单什么时候到？", "When will my order arrive?"),
        ("ar", "en", "شكرا جزيلا على المساعدة", "Thank you very much for the help"),
    ]
    async with db.session() as session:
        for source, target, original, translated in pairs:
            await memory.remember_human(
                session,
                workspace_id=tenant.workspace_id,
                source=source,
                target=target,
                source_text=original,
                target_text=translated,
                contact_id=None,
                region="default",
                author_agent_id=None,
            )
        await session.commit()

    async def suggest(text: str, source: str, target: str = "en") -> list[str]:
        response = await client.get(
            "/api/v1/translation/suggestions",
            headers=tenant.headers,
            params={"text": text, "source": source, "target": target},
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert all(0.3 <= item["similarity"] <= 1 for item in items)
        return [item["target_text"] for item in items]

    assert await suggest("¿Dónde está mi pedido número 5678?", "es") == ["Where is my order number 1234?"]
    assert await suggest("我的订单什么时候发货？", "zh-Hans") == ["When will my order arrive?"]
    assert await suggest("شكرا جزيلا على مساعدتك", "ar") == ["Thank you very much for the help"]
    assert await suggest("Completely unrelated sentence", "es") == []
    assert await suggest("¿Dónde está mi pedido número 5678?", "es", target="de") == []

    intruder = await factory.tenant("Intruder")
    response = await client.get(
        "/api/v1/translation/suggestions",
        headers=intruder.headers,
        params={"text": "¿Dónde está mi pedido número 1234?", "source": "es", "target": "en"},
    )
    assert response.json()["items"] == []
    bad = await client.get(
        "/api/v1/translation/suggestions",
        headers=tenant.headers,
        params={"text": "x", "source": "!!", "target": "en"},
    )
    assert bad.status_code == 422


async def test_erasing_a_contact_forgets_the_segments_made_from_their_messages(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    from sqlalchemy import select

    from meridian.translation.models import TranslationSegment
    from tests.multilingual.support import dispatch_all, incoming

    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    erased = await incoming(client, tenant.headers, inbox_id, "Mi pedido 4471 no llegó", identifier="a")
    kept = await incoming(client, tenant.headers, inbox_id, "我的订单4472在哪里？", identifier="b")

    async def contact_of(accepted: dict[str, str]) -> str:
        response = await client.get(
            f"/api/v1/conversations/{accepted['conversation_id']}", headers=tenant.headers
        )
        contact_id: str = response.json()["contact"]["id"]
        return contact_id

    erased_id = await contact_of(erased)
    sentences = {erased_id: "Mi pedido 4471 no llegó", await contact_of(kept): "我的订单4472在哪里？"}
    async with db.session() as session:
        for contact_id, sentence in sentences.items():
            await memory.remember_human(
                session,
                workspace_id=tenant.workspace_id,
                source="es" if sentence.startswith("Mi") else "zh-Hans",
                target="en",
                source_text=sentence,
                target_text="My order did not arrive",
                contact_id=uuid.UUID(contact_id),
                region="default",
                author_agent_id=tenant.admin_id,
            )
        await session.commit()

    response = await client.post(f"/api/v1/contacts/{erased_id}/erase", headers=tenant.headers)
    assert response.status_code == 202, response.text
    await dispatch_all(db)

    async with db.session() as session:
        left = list(
            await session.scalars(
                select(TranslationSegment.source_text).where(
                    TranslationSegment.workspace_id == tenant.workspace_id
                )
            )
        )
    assert left == ["我的订单4472在哪里？"]
