"""PII redaction: cards (Luhn), IBANs (mod 97), workspace patterns; applied before translation."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from meridian.db.engine import Database
from meridian.privacy.redaction import redact
from meridian.translation.base import ProviderSettings
from meridian.translation.engine import translate_text
from meridian.translation.service import WorkspaceTranslation
from meridian.vault.models import VaultMessageSearch
from tests.factories import Factory
from tests.support.vendor_server import RecordedRequest, ScriptedResponse, vendor_server


def test_cards_need_a_valid_luhn_checksum() -> None:
    out = redact("Card 4111 1111 1111 1111, amex 3782-822463-10005, order 4111 1111 1111 1112.")
    assert out.text == "Card •••• •••• •••• 1111, amex ••••-••••••-•0005, order 4111 1111 1111 1112."
    assert out.found == ("card", "card")
    # Too short to be a card, though it passes Luhn.
    assert redact("PIN 4242424242").text == "PIN 4242424242"
    assert not redact("tracking 1Z999AA10123456784").changed


def test_ibans_need_a_valid_mod_97_check() -> None:
    out = redact("IBAN DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432, not DE89370400440532013001")
    assert out.text == (
        "IBAN DE•• •••• •••• •••• ••30 00 or GB••••••••••••••••5432, not DE89370400440532013001"
    )
    assert out.found == ("iban", "iban")


def test_configured_patterns() -> None:
    out = redact("SSN 123-45-6789 and passport X1234567", patterns=[r"\b\d{3}-\d{2}-\d{4}\b", r"\bX\d{7}\b"])
    assert out.text == "SSN [redacted] and passport [redacted]" and out.found == ("pattern", "pattern")


async def test_redaction_settings_and_translation_see_only_the_masked_copy(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    bad = await client.put("/api/v1/settings/redaction", headers=tenant.headers, json={"patterns": ["("]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/patterns/0"
    denied = await client.put("/api/v1/settings/redaction", headers=agent.headers, json={"patterns": []})
    assert denied.status_code == 403
    saved = await client.put(
        "/api/v1/settings/redaction", headers=tenant.headers, json={"patterns": [r"\bCLIENT-\d+\b"]}
    )
    assert saved.status_code == 200
    assert (await client.get("/api/v1/settings/redaction", headers=tenant.headers)).json() == {
        "patterns": [r"\bCLIENT-\d+\b"]
    }
    audit = (await client.get("/api/v1/audit", headers=tenant.headers)).json()["items"]
    assert audit[0]["action"] == "settings.redaction_changed"

    def echo(request: RecordedRequest) -> ScriptedResponse:
        return ScriptedResponse(200, {"translatedText": [f"EN: {q}" for q in request.json()["q"]]})

    with vendor_server() as vendor:
        vendor.script(
            "/languages",
            ScriptedResponse(200, [{"code": c, "name": c, "targets": ["en", "es"]} for c in ("en", "es")]),
        )
        vendor.respond("/translate", echo)
        async with db.session() as session:
            result = await translate_text(
                session,
                workspace_id=tenant.workspace_id,
                config=WorkspaceTranslation(
                    ProviderSettings(provider="libretranslate", api_base_url=vendor.url), agent_language="en"
                ),
                text="Mi tarjeta es 4111 1111 1111 1111, cliente CLIENT-991",
                source="es",
                target="en",
                contact_id=None,
                region="default",
            )
        sent = [r.json()["q"] for r in vendor.requests_to("/translate")]
    assert sent == [["Mi tarjeta es •••• •••• •••• 1111, cliente [redacted]"]]
    assert "4111 1111" not in result.text


async def test_the_plain_search_copy_has_card_numbers_masked(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    body = "Please refund card 4111 1111 1111 1111 for order Ω-778"
    sent = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": "refund-1"}, "body": body},
    )
    conversation_id = sent.json()["conversation_id"]
    async with db.session() as session:
        plain = await session.scalar(
            select(VaultMessageSearch.text).where(
                VaultMessageSearch.conversation_id == uuid.UUID(conversation_id)
            )
        )
    assert plain == "please refund card •••• •••• •••• 1111 for order ω-778"
    # The display copy is masked too (test_display_redaction.py); search still finds it.
    items = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()
    assert items["items"][0]["body"] == "Please refund card •••• •••• •••• 1111 for order Ω-778"
    found = (await client.get("/api/v1/conversations?q=Ω-778", headers=tenant.headers)).json()["items"]
    assert [c["id"] for c in found] == [conversation_id]
    assert (await client.get("/api/v1/conversations?q=4111 1111", headers=tenant.headers)).json()[
        "items"
    ] == []
