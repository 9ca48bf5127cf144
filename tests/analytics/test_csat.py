"""CSAT: the survey in the customer's language after a resolution, ratings by reply and by API."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from meridian.analytics.models import CsatSurvey
from meridian.analytics.survey import SURVEY_TEXTS, parse_rating, survey_language
from meridian.db.engine import Database
from tests.analytics.helpers import drain, incoming, patch, reply
from tests.analytics.scenario import Scenario
from tests.factories import Factory


async def messages(client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers)
    assert response.status_code == 200
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_survey_goes_out_in_the_customers_language_once(
    module_client: httpx.AsyncClient, week: Scenario
) -> None:
    h = week.tenant.headers
    c2 = await messages(module_client, h, week.c[2])
    surveys = [m for m in c2 if m["direction"] == "outgoing" and m["author_kind"] == "system"]
    # Resolved twice, asked once; in German, the customer's language.
    assert [m["body"] for m in surveys] == [SURVEY_TEXTS["de"]]
    assert surveys[0]["delivery_status"] in ("queued", "retrying", "sent", "failed")
    # Nobody answered C4 before resolving it: no survey for a conversation nobody worked on.
    c4 = await messages(module_client, h, week.c[4])
    assert not [m for m in c4 if m["author_kind"] == "system"]


async def test_a_rating_reply_is_recorded_and_its_conversation_closed(
    module_client: httpx.AsyncClient, week: Scenario, db: Database
) -> None:
    async with db.session() as session:
        survey = await session.scalar(
            select(CsatSurvey).where(CsatSurvey.conversation_id == uuid.UUID(week.c[1]))
        )
    assert survey is not None
    assert (survey.status, survey.rating, survey.source, survey.language) == ("answered", 5, "reply", "de")
    assert survey.reply_conversation_id is not None and str(survey.reply_conversation_id) != week.c[1]
    listed = (
        await module_client.get(
            "/api/v1/analytics/csat", headers=week.tenant.headers, params={"since": "2026-01-01"}
        )
    ).json()["items"]
    assert [(r["conversation_id"], r["rating"], r["comment"]) for r in listed] == [
        (week.c[1], 5, "Sehr hilfreich, danke!")
    ]
    carrier = (
        await module_client.get(
            f"/api/v1/conversations/{survey.reply_conversation_id}", headers=week.tenant.headers
        )
    ).json()
    assert carrier["status"] == "resolved" and "csat" in carrier["tags"]


async def test_a_message_that_is_not_a_rating_is_a_new_request(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    h = tenant.headers
    inbox_id, _ = await factory.inbox(tenant)
    first = await incoming(
        client, h, inbox_id, "Bonjour, où est ma commande ?", identifier="fr1", locale="fr"
    )
    await reply(client, h, first["conversation_id"], "Elle arrive demain.")
    await patch(client, h, first["conversation_id"], status="resolved")
    await drain(db)
    sent = [m for m in await messages(client, h, first["conversation_id"]) if m["author_kind"] == "system"]
    assert [m["body"] for m in sent] == [SURVEY_TEXTS["fr"]]
    second = await incoming(client, h, inbox_id, "Autre question : livrez-vous en Suisse ?", identifier="fr1")
    # And a later "5" is no longer an answer: only the next message counts.
    await drain(db)
    await incoming(client, h, inbox_id, "5", identifier="fr1")
    await drain(db)
    async with db.session() as session:
        survey = await session.scalar(
            select(CsatSurvey).where(CsatSurvey.conversation_id == uuid.UUID(first["conversation_id"]))
        )
    assert survey is not None and (survey.status, survey.rating) == ("ignored", None)
    report = (await client.get("/api/v1/analytics/overview", headers=h)).json()
    assert report["totals"]["conversations"] == 2 and report["totals"]["csat_responses"] == 0
    assert second["conversation_id"] != first["conversation_id"]


async def test_rating_through_the_api(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    h = tenant.headers
    inbox_id, _ = await factory.inbox(tenant)
    conversation = await incoming(client, h, inbox_id, "Hi, I need a refund please.", identifier="api1")
    url = f"/api/v1/conversations/{conversation['conversation_id']}/csat"
    assert (await client.post(url, headers=h, json={"rating": 6})).status_code == 422
    assert (await client.post(url, headers=h, json={"rating": 3, "stars": 2})).status_code == 422
    assert (
        await client.post(f"/api/v1/conversations/{uuid.uuid4()}/csat", headers=h, json={"rating": 3})
    ).status_code == 404
    # A card number in the comment is masked like in any customer message.
    comment = "Quick and kind, card 4111 1111 1111 1111"
    created = await client.post(url, headers=h, json={"rating": 4, "comment": comment})
    assert created.status_code == 201, created.text
    assert created.json()["rating"] == 4 and created.json()["source"] == "api"
    again = await client.post(url, headers=h, json={"rating": 2})
    assert again.status_code == 201 and again.json()["id"] == created.json()["id"]
    await drain(db)
    report = (await client.get("/api/v1/analytics/overview", headers=h)).json()
    assert report["totals"]["csat_avg"] == 2.0 and report["totals"]["csat_responses"] == 1
    thread = await messages(client, h, conversation["conversation_id"])
    [stored] = [m["body"] for m in thread if m["body"].startswith("Quick and kind")]
    assert "4111 1111 1111 1111" not in stored and stored.endswith("1111")
    # The latest rating counts; its comment went with the first one.
    listed = (await client.get("/api/v1/analytics/csat", headers=h)).json()["items"]
    assert [(r["conversation_id"], r["rating"], r["source"]) for r in listed] == [
        (conversation["conversation_id"], 2, "api")
    ]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (("pt-BR",), "pt"),
        (("zh-TW",), "zh-Hant"),
        (("zh",), "zh-Hans"),
        (("zh-Hans-SG",), "zh-Hans"),
        (("ar-EG",), "ar"),
        (("sw", "de-AT"), "de"),
        ((None, "xx"), "en"),
    ],
)
def test_survey_language(tags: tuple[str | None, ...], expected: str) -> None:
    assert survey_language(*tags) == expected


def test_survey_texts_cover_the_required_languages() -> None:
    assert {"en", "es", "pt", "de", "fr", "ja", "zh-Hans", "ar"} <= set(SURVEY_TEXTS)
    for language, text in SURVEY_TEXTS.items():
        assert "1" in text and "5" in text, language


@pytest.mark.parametrize(
    ("text", "score", "comment"),
    [
        ("5", 5, ""),
        (" 4/5 great service", 4, "great service"),
        ("3 - slow but fine", 3, "slow but fine"),
        ("５", 5, ""),
        ("٥ شكرا جزيلا", 5, "شكرا جزيلا"),
        ("2 estrellas, tardaron mucho", 2, "tardaron mucho"),
        ("⭐⭐⭐⭐ sehr gut", 4, "sehr gut"),
        ("5点、ありがとう", 5, "ありがとう"),
    ],
)
def test_ratings_are_read_in_many_forms(text: str, score: int, comment: str) -> None:
    rating = parse_rating(text)
    assert rating is not None and (rating.score, rating.comment) == (score, comment)


@pytest.mark.parametrize("text", ["", "Thanks!", "0", "6", "10", "1234 is my order number", "order 5"])
def test_other_messages_are_not_ratings(text: str) -> None:
    assert parse_rating(text) is None
