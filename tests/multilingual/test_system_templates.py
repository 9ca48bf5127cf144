"""System templates: shipped per-locale wording, admin overrides, the pt-BR -> pt -> default chain."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from meridian.analytics.survey import SURVEY_TEXTS
from meridian.canned.system import render_system
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.db.engine import Database
from tests.analytics.helpers import drain, incoming, patch, reply
from tests.factories import Factory


async def _render(db: Database, conversation_id: str, key: str) -> tuple[str, str, bool]:
    async with db.session() as session:
        conversation = await session.get(Conversation, uuid.UUID(conversation_id))
        assert conversation is not None
        contact = await session.scalar(select(Contact).where(Contact.id == conversation.contact_id))
        assert contact is not None
        out = await render_system(
            session, key=key, conversation=conversation, contact=contact, language=contact.locale
        )
    return out.body, out.locale, out.overridden


async def test_overrides_follow_the_locale_chain_and_reach_the_customer(
    client: httpx.AsyncClient, db: Database, factory: Factory
) -> None:
    tenant = await factory.tenant()
    h = tenant.headers
    listed = (await client.get("/api/v1/system-templates", headers=h)).json()["items"]
    assert {t["key"] for t in listed} == {
        "routing_notice",
        "csat_survey",
        "bot_handoff",
        "bot_feedback",
        "bot_resolved",
        "bot_read_more",
        "bot_only_in",
        "bot_machine_translated",
        "bot_order_not_found",
        "bot_order_unavailable",
        "privacy_erase",
        "privacy_export",
    }
    csat = next(t for t in listed if t["key"] == "csat_survey")
    assert csat["defaults"]["ja"] == SURVEY_TEXTS["ja"] and csat["variants"] == {}
    notice = next(t for t in listed if t["key"] == "routing_notice")
    assert {"time", "day", "zone", "your_time"} <= set(notice["variables"])
    assert "{{ time }}" in notice["defaults"]["es"]

    agent = await factory.agent(tenant)
    body = {"variants": {"pt-BR": "Nota de 1 a 5, {{ contact.first_name }}?", "pt": "Classifique de 1 a 5."}}
    assert (
        await client.put("/api/v1/system-templates/csat_survey", headers=agent.headers, json=body)
    ).status_code == 403
    assert (await client.put("/api/v1/system-templates/nope", headers=h, json=body)).status_code == 404
    broken = await client.put(
        "/api/v1/system-templates/csat_survey", headers=h, json={"variants": {"pt": "{{ x"}}
    )
    assert broken.status_code == 422
    assert (await client.get("/api/v1/system-templates", headers=h)).json()["items"][0]["variants"] == {}
    saved = await client.put("/api/v1/system-templates/csat_survey", headers=h, json=body)
    assert saved.status_code == 200, saved.text

    inbox_id, _ = await factory.inbox(tenant)
    conversations = {}
    for identifier, locale, text in [
        ("br", "pt-BR", "Oi, meu pedido chegou quebrado."),
        ("pt", "pt-PT", "Olá, a minha encomenda chegou partida."),
        ("sv", "sv", "Hej, min beställning kom trasig."),
        ("ja", "ja", "注文した商品が壊れて届きました。"),
    ]:
        arrived = await incoming(client, h, inbox_id, text, identifier=identifier, locale=locale)
        conversations[identifier] = arrived["conversation_id"]
    await drain(db)

    assert await _render(db, conversations["br"], "csat_survey") == (
        "Nota de 1 a 5, Customer?",
        "pt-BR",
        True,
    )
    # pt-PT has no variant of its own: the pt one.
    assert await _render(db, conversations["pt"], "csat_survey") == ("Classifique de 1 a 5.", "pt", True)
    # No Swedish wording at all: the workspace's default locale, as shipped.
    assert await _render(db, conversations["sv"], "csat_survey") == (SURVEY_TEXTS["en"], "en", False)
    assert await _render(db, conversations["ja"], "csat_survey") == (SURVEY_TEXTS["ja"], "ja", False)

    # A template that parses but fails to render never costs the customer the message.
    await client.put(
        "/api/v1/system-templates/csat_survey", headers=h, json={"variants": {"ja": "{{ 1 / 0 }}"}}
    )
    assert await _render(db, conversations["ja"], "csat_survey") == (SURVEY_TEXTS["ja"], "ja", False)
    # An empty set restores the defaults.
    await client.put("/api/v1/system-templates/csat_survey", headers=h, json=body)

    # The survey after a resolution goes out with the override.
    await reply(client, h, conversations["br"], "Vamos enviar outro hoje.")
    await patch(client, h, conversations["br"], status="resolved")
    await drain(db)
    thread = (await client.get(f"/api/v1/conversations/{conversations['br']}/messages", headers=h)).json()
    surveys = [m for m in thread["items"] if m["author_kind"] == "system"]
    assert [(m["body"], m["language"]) for m in surveys] == [("Nota de 1 a 5, Customer?", "pt-BR")]

    intruder = await factory.tenant("Intruder")
    theirs = (await client.get("/api/v1/system-templates", headers=intruder.headers)).json()["items"]
    assert all(t["variants"] == {} for t in theirs)
