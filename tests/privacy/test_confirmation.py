"""The requester's confirmation: in their language, with the reference and the legal deadline."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from meridian.db.engine import Database
from meridian.privacy.confirmation import confirmation_for
from meridian.privacy.erasure import process_pending_erasures
from tests.console.helpers import sign_in
from tests.factories import Factory


def test_wording_follows_the_language_and_falls_back_to_english() -> None:
    received = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    due = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    german = confirmation_for(
        type="erase", language="de-AT", reference="R1", received_at=received, due_at=due
    )
    assert german.language == "de-AT"
    assert german.text.startswith("Wir haben Ihren Antrag auf Löschung")
    assert "2. März 2026" in german.text and "1. April 2026" in german.text and "R1" in german.text
    brazil = confirmation_for(
        type="export", language="pt-BR", reference="R2", received_at=received, due_at=due
    )
    assert "cópia dos seus dados" in brazil.text and "1 de abril de 2026" in brazil.text
    japanese = confirmation_for(
        type="export", language="ja", reference="R3", received_at=received, due_at=due
    )
    assert "2026年4月1日" in japanese.text
    swahili = confirmation_for(type="erase", language="sw", reference="R4", received_at=received, due_at=due)
    assert swahili.language == "en" and "April 1, 2026" in swahili.text


async def test_erasure_and_export_carry_the_confirmation(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    made = await client.post(
        "/api/v1/contacts",
        headers=tenant.headers,
        json={"name": "Jonas Becker", "locale": "de", "country": "DE"},
    )
    contact_id = made.json()["id"]
    export = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=tenant.headers)
    assert export.status_code == 200
    erased = await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=tenant.headers)
    assert erased.status_code == 202
    request = erased.json()
    assert request["confirmation"]["language"] == "de"
    assert request["id"] in request["confirmation"]["text"]
    assert "Löschung" in request["confirmation"]["text"] and "Jonas" not in request["confirmation"]["text"]

    # It outlives the erasure it confirms (it holds no personal data), beside the counts.
    assert await process_pending_erasures(db) >= 1
    after = (await client.get(f"/api/v1/privacy-requests/{request['id']}", headers=tenant.headers)).json()
    assert after["status"] == "completed" and after["confirmation"] == request["confirmation"]
    assert "confirmation" not in after["result"]
    listed = (await client.get("/api/v1/privacy-requests?type=export", headers=tenant.headers)).json()[
        "items"
    ]
    [exported] = [r for r in listed if r["contact_id"] == contact_id]
    assert "Kopie Ihrer personenbezogenen Daten" in exported["confirmation"]["text"]

    # The privacy console shows it to the admin who answers the requester.
    client.cookies.clear()
    admin = await factory.agent(tenant, role="admin")
    await sign_in(client, admin.email)
    page = (await client.get(f"/admin/privacy/contacts/{contact_id}")).text
    assert '<p lang="de" dir="auto">' in page and request["confirmation"]["text"] in page


def test_an_admins_wording_wins_for_its_locale_only() -> None:
    received = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    due = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    custom = {"privacy_erase": {"de": "Löschantrag {{ ref }} vom {{ received }}, erledigt bis {{ due }}."}}
    german = confirmation_for(
        type="erase", language="de-AT", reference="R5", received_at=received, due_at=due, custom=custom
    )
    assert german.text == "Löschantrag R5 vom 2. März 2026, erledigt bis 1. April 2026."
    # The other type and other languages keep the shipped wording.
    export = confirmation_for(
        type="export", language="de", reference="R6", received_at=received, due_at=due, custom=custom
    )
    assert export.text.startswith("Wir haben Ihren Antrag auf eine Kopie")
    french = confirmation_for(
        type="erase", language="fr", reference="R7", received_at=received, due_at=due, custom=custom
    )
    assert french.text.startswith("Nous avons reçu le 2 mars 2026")
