"""The conversation screen shows translations beside originals and previews translated replies."""

from __future__ import annotations

import html

import httpx

from meridian.db.engine import Database
from tests.console.helpers import sign_in
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

QUESTION = "Hola, ¿puedo cambiar la talla de las zapatillas?"
ANSWER = "Yes, reply with the size you need."


async def test_translation_toggle_preview_and_translated_reply(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, languages=["en"], role="supervisor")
    inbox_id, _ = await factory.inbox(tenant)
    vendor.respond(
        DEEPL_PATH,
        PhraseBook(
            {
                "EN-US": {QUESTION: "Hi, can I change the size of the sneakers?"},
                "ES": {ANSWER: "Sí, responde con la talla que necesitas."},
            }
        ),
    )
    await configure_deepl(client, tenant.headers, vendor)
    sent = await incoming(client, tenant.headers, inbox_id, QUESTION)
    await dispatch_all(db)
    await run_translation_jobs(db)

    csrf = await sign_in(client, agent.email)
    page = await client.get(f"/conversations/{sent['conversation_id']}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert QUESTION in text and "Hi, can I change the size of the sneakers?" in text
    assert '<details class="translation" open>' in page.text
    assert "Translate before sending" in text

    preview = await client.post(
        f"/conversations/{sent['conversation_id']}/translation-preview",
        data={"body": ANSWER, "translate": "1", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert 'name="sent_body"' in preview.text
    assert "Sí, responde con la talla que necesitas." in html.unescape(preview.text)
    unchecked = await client.post(
        f"/conversations/{sent['conversation_id']}/translation-preview",
        data={"body": ANSWER, "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert "sent_body" not in unchecked.text

    edited = "Sí, contéstanos con la talla que necesitas."
    reply = await client.post(
        f"/conversations/{sent['conversation_id']}/messages",
        data={"body": ANSWER, "kind": "reply", "translate": "1", "sent_body": edited, "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert reply.status_code == 200
    assert "Sent to the customer as" in reply.text and edited in html.unescape(reply.text)
    out = (await messages(client, tenant.headers, sent["conversation_id"]))[-1]
    assert (out["body"], out["sent_body"], out["language"]) == (ANSWER, edited, "es")

    # A note with the box still ticked stays an untranslated note.
    note = await client.post(
        f"/conversations/{sent['conversation_id']}/messages",
        data={"body": "Check stock first", "kind": "note", "translate": "1", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert note.status_code == 200
    last = (await messages(client, tenant.headers, sent["conversation_id"]))[-1]
    assert last["direction"] == "note" and last["sent_body"] is None


async def test_failed_translation_shows_a_marker_and_a_retry(
    client: httpx.AsyncClient, factory: Factory, db: Database, vendor: Vendor
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, languages=["en"], role="supervisor")
    inbox_id, _ = await factory.inbox(tenant)
    vendor.script(DEEPL_PATH, ScriptedResponse(403, {"message": "Authorization failure, check auth_key"}))
    vendor.respond(
        DEEPL_PATH, PhraseBook({"EN-US": {QUESTION: "Hi, can I change the size of the sneakers?"}})
    )
    await configure_deepl(client, tenant.headers, vendor)
    sent = await incoming(client, tenant.headers, inbox_id, QUESTION)
    await dispatch_all(db)
    await run_translation_jobs(db)

    csrf = await sign_in(client, agent.email)
    page = html.unescape((await client.get(f"/conversations/{sent['conversation_id']}")).text)
    assert "Translation unavailable:" in page and "Authorization failure" in page
    [message] = await messages(client, tenant.headers, sent["conversation_id"])
    retried = await client.post(
        f"/conversations/{sent['conversation_id']}/messages/{message['id']}/translation/retry",
        data={"csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert retried.status_code == 200
    await run_translation_jobs(db)
    thread = html.unescape((await client.get(f"/conversations/{sent['conversation_id']}/thread")).text)
    assert "Hi, can I change the size of the sneakers?" in thread and "Translation unavailable" not in thread


async def test_no_translation_box_without_a_provider(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, role="supervisor")
    inbox_id, _ = await factory.inbox(tenant)
    sent = await incoming(client, tenant.headers, inbox_id, QUESTION)
    await sign_in(client, agent.email)
    page = await client.get(f"/conversations/{sent['conversation_id']}")
    assert QUESTION in html.unescape(page.text)
    assert "Translate before sending" not in page.text
