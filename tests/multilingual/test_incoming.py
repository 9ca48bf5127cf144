"""Customers' messages are translated in the background for agents who cannot read them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import text

from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.translation.tasks import defer_translation
from tests.factories import Factory
from tests.multilingual.support import (
    DEEPL_PATH,
    PhraseBook,
    configure_deepl,
    dispatch_all,
    incoming,
    messages,
    run_translation_jobs,
)
from tests.support.vendor_server import ScriptedResponse
from tests.translation.support import Vendor

SPANISH = "Hola, mi pedido llegó roto y necesito un reembolso."
ENGLISH = "Hello, my order arrived broken and I need a refund."


async def _queued(db: Database, message_id: str) -> list[tuple[str, datetime]]:
    async with db.session() as session:
        rows = await session.execute(
            text(
                "SELECT status::text, scheduled_at FROM procrastinate_jobs "
                "WHERE task_name = 'meridian.translate_message' AND args->>'message_id' = :id ORDER BY id"
            ),
            {"id": message_id},
        )
        return [(status, scheduled or utcnow()) for status, scheduled in rows]


async def test_translated_beside_the_untouched_original_and_cached(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    vendor.respond(DEEPL_PATH, PhraseBook({"EN-US": {SPANISH: ENGLISH}}))
    await configure_deepl(client, tenant.headers, vendor)

    first = await incoming(client, tenant.headers, inbox_id, SPANISH)
    await dispatch_all(db)
    await run_translation_jobs(db)
    [message] = await messages(client, tenant.headers, first["conversation_id"])
    assert message["body"] == SPANISH and message["language"] == "es"
    assert message["translation"] == {
        "language": "en",
        "body": ENGLISH,
        "provider": "deepl",
        "origin": "machine",
        "source_language": "es",
    }
    [request] = vendor.requests_to(DEEPL_PATH)
    assert request.json()["source_lang"] == "ES" and request.json()["target_lang"] == "EN-US"
    async with db.session() as session:
        updated = await session.scalar(
            text(
                "SELECT count(*) FROM domain_events WHERE type = 'message.updated' "
                "AND payload->>'message_id' = :id AND payload->'translation'->>'body' = :body"
            ),
            {"id": message["id"], "body": ENGLISH},
        )
    assert updated == 1

    # The same sentence from another customer comes from memory: the provider is not asked.
    second = await incoming(client, tenant.headers, inbox_id, SPANISH, identifier="customer-2")
    await dispatch_all(db)
    await run_translation_jobs(db)
    [again] = await messages(client, tenant.headers, second["conversation_id"])
    assert again["translation"]["body"] == ENGLISH and again["translation"]["origin"] == "memory"
    assert len(vendor.requests_to(DEEPL_PATH)) == 1


async def test_not_translated_when_someone_who_may_answer_reads_it(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    tenant = await factory.tenant()
    vendor.respond(DEEPL_PATH, PhraseBook())
    await configure_deepl(client, tenant.headers, vendor)
    mexico = await factory.team(tenant, name="Mexico City", timezone="America/Mexico_City")
    await factory.agent(tenant, languages=["es-MX", "en"], team_ids=[mexico])
    mx_inbox, _ = await factory.inbox(tenant, team_id=mexico)
    english = await factory.agent(tenant, languages=["en"])
    other_inbox, _ = await factory.inbox(tenant)

    # The team has a Spanish speaker: nothing to translate.
    team_case = await incoming(client, tenant.headers, mx_inbox, SPANISH)
    # Written in the agent language: nothing to translate.
    english_case = await incoming(client, tenant.headers, other_inbox, ENGLISH, identifier="c-en")
    # Assigned to an English-only agent: translated, although a Spanish speaker exists elsewhere.
    assigned = await incoming(client, tenant.headers, other_inbox, SPANISH, identifier="c-es")
    assign = await client.patch(
        f"/api/v1/conversations/{assigned['conversation_id']}",
        headers=tenant.headers,
        json={"assignee_id": str(english.id)},
    )
    assert assign.status_code == 200, assign.text
    await incoming(
        client, tenant.headers, other_inbox, "¿Alguna novedad sobre el reembolso?", identifier="c-es"
    )
    await dispatch_all(db)
    await run_translation_jobs(db)

    assert [
        m["translation"] for m in await messages(client, tenant.headers, team_case["conversation_id"])
    ] == [None]
    assert [
        m["translation"] for m in await messages(client, tenant.headers, english_case["conversation_id"])
    ] == [None]
    translated = await messages(client, tenant.headers, assigned["conversation_id"])
    assert translated[-1]["translation"]["body"] == "[EN-US] ¿Alguna novedad sobre el reembolso?"

    # The team's conversation handed to the English-only agent: its history is translated then.
    handed = await client.patch(
        f"/api/v1/conversations/{team_case['conversation_id']}",
        headers=tenant.headers,
        json={"assignee_id": str(english.id)},
    )
    assert handed.status_code == 200, handed.text
    await dispatch_all(db)
    await run_translation_jobs(db)
    [history] = await messages(client, tenant.headers, team_case["conversation_id"])
    assert history["translation"]["body"] == f"[EN-US] {SPANISH}"


async def test_rate_limit_marks_the_message_and_retries_after_the_vendors_delay(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    vendor.script(DEEPL_PATH, ScriptedResponse(429, {"message": "Too many requests"}, {"Retry-After": "120"}))
    vendor.respond(DEEPL_PATH, PhraseBook({"EN-US": {SPANISH: ENGLISH}}))
    await configure_deepl(client, tenant.headers, vendor)
    sent = await incoming(client, tenant.headers, inbox_id, SPANISH)
    await dispatch_all(db)
    before = utcnow()
    await run_translation_jobs(db)

    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    marker = message["translation"]
    assert message["body"] == SPANISH
    assert "Too many requests" in marker["error"] and marker["attempts"] == 1 and "body" not in marker
    retry_at = datetime.fromisoformat(marker["retry_at"])
    assert retry_at >= before + timedelta(seconds=119)
    queued = await _queued(db, message["id"])
    assert [status for status, _ in queued][-1] == "todo"
    assert abs((queued[-1][1] - retry_at).total_seconds()) < 2

    await run_translation_jobs(db, due_now=True)
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    assert message["translation"]["body"] == ENGLISH


async def test_quota_and_permanent_failures(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    vendor.script(
        DEEPL_PATH,
        ScriptedResponse(456, {"message": "Quota exceeded"}),
        ScriptedResponse(400, {"message": "Value for 'target_lang' not supported."}),
    )
    vendor.respond(DEEPL_PATH, PhraseBook({"EN-US": {SPANISH: ENGLISH}}))
    await configure_deepl(client, tenant.headers, vendor)
    sent = await incoming(client, tenant.headers, inbox_id, SPANISH)
    await dispatch_all(db)
    await run_translation_jobs(db)
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    quota = message["translation"]
    assert "quota" in quota["error"].lower()
    # A used-up quota is not asked again within the hour.
    assert datetime.fromisoformat(quota["retry_at"]) >= utcnow() + timedelta(minutes=59)

    await run_translation_jobs(db, due_now=True)
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    permanent = message["translation"]
    assert "not supported" in permanent["error"] and permanent["retry_at"] is None
    assert [status for status, _ in await _queued(db, message["id"]) if status == "todo"] == []

    # Someone fixed the settings: an agent asks for the translation again.
    retry = await client.post(f"/api/v1/messages/{message['id']}/translation/retry", headers=tenant.headers)
    assert retry.status_code == 202
    await run_translation_jobs(db)
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    assert message["translation"]["body"] == ENGLISH
    again = await client.post(f"/api/v1/messages/{message['id']}/translation/retry", headers=tenant.headers)
    assert again.status_code == 409


async def test_without_a_provider_nothing_is_queued_and_originals_show(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    sent = await incoming(client, tenant.headers, inbox_id, SPANISH)
    await dispatch_all(db)
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    assert message["body"] == SPANISH and message["translation"] is None
    assert await _queued(db, message["id"]) == []
    retry = await client.post(f"/api/v1/messages/{message['id']}/translation/retry", headers=tenant.headers)
    assert retry.status_code == 422


async def test_agent_corrects_a_translation_and_it_wins_next_time(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    vendor.respond(
        DEEPL_PATH,
        PhraseBook({"EN-US": {SPANISH: "Hello, my order came broken and I need a reimbursement."}}),
    )
    await configure_deepl(client, tenant.headers, vendor)
    first = await incoming(client, tenant.headers, inbox_id, SPANISH)
    await dispatch_all(db)
    await run_translation_jobs(db)
    [message] = await messages(client, tenant.headers, first["conversation_id"])

    agent = await factory.agent(tenant, languages=["en"])
    corrected = await client.put(
        f"/api/v1/messages/{message['id']}/translation", headers=agent.headers, json={"body": ENGLISH}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["translation"]["body"] == ENGLISH
    assert corrected.json()["translation"]["provider"] == "human"
    assert corrected.json()["body"] == SPANISH

    later = await incoming(client, tenant.headers, inbox_id, SPANISH, identifier="customer-9")
    await dispatch_all(db)
    await run_translation_jobs(db)
    [reused] = await messages(client, tenant.headers, later["conversation_id"])
    assert reused["translation"]["body"] == ENGLISH and reused["translation"]["provider"] == "human"
    assert len(vendor.requests_to(DEEPL_PATH)) == 1

    intruder = await factory.tenant("Intruder")
    hidden = await client.put(
        f"/api/v1/messages/{message['id']}/translation", headers=intruder.headers, json={"body": "pwned"}
    )
    assert hidden.status_code == 404
    assert (
        await client.post(f"/api/v1/messages/{message['id']}/translation/retry", headers=intruder.headers)
    ).status_code == 404


async def test_queueing_a_translation_twice_keeps_the_transaction_usable(db: Database) -> None:
    message_id = uuid.uuid4()
    async with db.session() as session:
        await defer_translation(session, message_id=message_id)
        # The second is refused by the queueing lock inside a savepoint, not by aborting.
        await defer_translation(session, message_id=message_id)
        assert (await session.execute(text("SELECT 1"))).scalar() == 1
        await session.commit()
    assert [status for status, _ in await _queued(db, str(message_id))] == ["todo"]
    # Nothing to translate for an unknown message: the job finishes without effect.
    await run_translation_jobs(db)
    assert [status for status, _ in await _queued(db, str(message_id))] == ["succeeded"]
