"""The outgoing compliance check: risky replies are refused until overridden, and audited."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from meridian.audit.models import AuditEntry
from meridian.db.engine import Database
from meridian.privacy.compliance import scan
from tests.factories import Factory, Tenant


@pytest.mark.parametrize(
    ("text", "region", "rules"),
    [
        ("Could you send me your card number and the CVV?", "default", ["card_number_request"]),
        ("Please type your full credit card number here.", "eu", ["card_number_request"]),
        ("Bitte nennen Sie uns Ihre vollständige Kartennummer.", "eu", ["card_number_request"]),
        ("Envíenos el número de su tarjeta, por favor.", "default", ["card_number_request"]),
        ("Don't worry, we will share your personal data with our partners.", "eu", ["share_personal_data"]),
        ("Nous allons partager vos données avec des tiers.", "eu", ["share_personal_data"]),
        ("What is your social security number?", "us", ["ssn_request"]),
        ("What is your social security number?", "eu", []),
        ("Please share your Aadhaar number.", "in", ["aadhaar_request"]),
        ("Your parcel left our warehouse today; the card was not charged twice.", "us", []),
    ],
)
def test_rules_per_region(text: str, region: str, rules: list[str]) -> None:
    assert [r.id for r in scan(text, region=region)] == rules


async def _audit(db: Database, tenant: Tenant, action: str) -> list[dict[str, object]]:
    async with db.session() as session:
        return [
            e.details
            for e in await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.workspace_id == tenant.workspace_id, AuditEntry.action == action
                )
            )
        ]


async def test_risky_reply_is_refused_then_sent_with_override(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    created = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": f"c-{uuid.uuid4().hex[:8]}"}, "body": "I want to pay"},
    )
    conversation_id = created.json()["conversation_id"]
    url = f"/api/v1/conversations/{conversation_id}/messages"
    risky = "Sure! Just send me your full card number and the CVV."

    refused = await client.post(url, headers=tenant.headers, json={"body": risky})
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["title"] == "Compliance warning" and problem["override"] is True
    assert [f["rule"] for f in problem["findings"]] == ["card_number_request"]
    assert len((await client.get(url, headers=tenant.headers)).json()["items"]) == 1, "nothing was written"
    assert await _audit(db, tenant, "compliance.warned") == [
        {"conversation_id": conversation_id, "region": "default", "rules": ["card_number_request"]}
    ]

    # Internal notes are not sent: not checked.
    note = await client.post(url, headers=tenant.headers, json={"body": risky, "private": True})
    assert note.status_code == 201
    sent = await client.post(url, headers=tenant.headers, json={"body": risky, "override": True})
    assert sent.status_code == 201, sent.text
    assert sent.json()["delivery_status"] == "queued"
    assert len(await _audit(db, tenant, "compliance.overridden")) == 1


async def test_region_rule_applies_to_that_regions_contacts_only(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    question = "To verify you, what is your social security number?"
    outcome = {}
    for region in ("us", "default"):
        identifier = f"r-{uuid.uuid4().hex[:8]}"
        contact = await client.post(
            "/api/v1/contacts",
            headers=tenant.headers,
            json={"name": "X", "region": region, "identities": [{"kind": "api", "identifier": identifier}]},
        )
        assert contact.status_code == 201 and contact.json()["region"] == region
        created = await client.post(
            f"/api/v1/inboxes/{inbox_id}/incoming",
            headers=tenant.headers,
            json={"contact": {"identifier": identifier}, "body": "hello"},
        )
        conversation_id = created.json()["conversation_id"]
        reply = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            headers=tenant.headers,
            json={"body": question},
        )
        outcome[region] = reply.status_code
    assert outcome == {"us": 422, "default": 201}
