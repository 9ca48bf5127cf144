"""The "we'll answer by" notice as a system template: a workspace's wording per locale
reaches the customer through the real sender; the shipped text is the fallback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import time_machine

from meridian.bot.phrases import phrase, workspace_phrases
from meridian.canned.system import SystemTexts, set_overrides
from meridian.db.engine import Database
from tests.routing import support

SUNDAY_NIGHT = datetime(2027, 6, 14, 3, 0, tzinfo=UTC)  # Sun 21:00 in Mexico City
MEXICO = {"timezone": "America/Mexico_City"}


async def _notices(db: Database, conversation_id: uuid.UUID) -> list[tuple[str, str | None]]:
    return [
        (body, m.language)
        for m, body in await support.thread(db, conversation_id)
        if m.direction == "outgoing" and m.author_kind == "system"
    ]


async def test_the_routing_notice_uses_the_workspaces_wording_down_the_locale_chain(db: Database) -> None:
    ws = await support.workspace(db)
    teams = await support.make_teams(db, ws, ["Mexico City"])
    inbox = await support.api_inbox(db, ws, team_id=teams["Mexico City"])
    await support.make_agent(db, ws, "Diego", teams=[teams["Mexico City"]], languages=["es", "pt"])
    async with db.session() as session:
        await set_overrides(
            session=session,
            workspace_id=ws,
            key="routing_notice",
            variants={
                # Only "pt": a pt-BR customer gets it through the chain pt-BR -> pt.
                "pt": "Olá {{ contact.first_name }}! Respondemos {{ day or 'hoje' }} às {{ time }}"
                "{{ '' if your_time else ' (' ~ zone ~ ')' }}.",
                # Parses, fails to render: the shipped Spanish goes out instead.
                "es": "{{ 1 / 0 }}",
            },
        )
    with time_machine.travel(SUNDAY_NIGHT, tick=False):
        brazilian = await support.incoming(
            db, inbox, identifier="ana", language="pt-BR", contact={**MEXICO, "locale": "pt-BR"}
        )
        spanish = await support.incoming(db, inbox, identifier="luis", language="es", contact=MEXICO)
        await support.settle(db)

    # Weekday and time in Brazilian Portuguese, on the customer's clock.
    assert await _notices(db, brazilian.conversation_id) == [
        ("Olá Ana! Respondemos segunda-feira às 09:00.", "pt")
    ]
    [(text, language)] = await _notices(db, spanish.conversation_id)
    assert language == "es"
    assert "lunes a las 9:00 (tu hora local)" in text and text.startswith("Gracias por tu mensaje.")

    # Restoring the defaults: the next opening's notice is the shipped one again.
    async with db.session() as session:
        await set_overrides(session=session, workspace_id=ws, key="routing_notice", variants={})
    with time_machine.travel(datetime(2027, 6, 19, 3, 0, tzinfo=UTC), tick=False):  # Fri 21:00
        again = await support.incoming(db, inbox, identifier="bia", language="pt-BR", contact=MEXICO)
        await support.settle(db)
    [(text, language)] = await _notices(db, again.conversation_id)
    assert language == "pt" and "Responderemos até segunda-feira, às 09:00 (seu horário local)." in text


def test_bot_lines_take_the_workspace_wording_and_fall_back_to_the_shipped_ones() -> None:
    texts = SystemTexts(
        custom={
            "bot_feedback": {"pt": "Resolveu, {{ contact.first_name }}?"},
            "bot_read_more": {"en": "More: {{ url }}"},
        },
        default_locale="en",
        wanted="pt-BR",
        timezone=None,
        variables={"contact": {"first_name": "Ana"}},
    )
    say = workspace_phrases(texts)
    assert say("feedback", "pt-BR") == "Resolveu, Ana?"
    # No Spanish override: the shipped Spanish line.
    assert say("feedback", "es") == phrase("feedback", "es")
    # The English override does not leak into Portuguese; variables fill in.
    assert say("read_more", "pt-BR", url="https://x.test/a") == "Artigo completo: https://x.test/a"
    assert say("read_more", "en", url="https://x.test/a") == "More: https://x.test/a"
    # Fragments of composed answers are not editable and stay as shipped.
    assert say("order_status", "es", order="A1", status="enviado") == phrase(
        "order_status", "es", order="A1", status="enviado"
    )
