"""Export (DSAR), the request register with legal deadlines, and consent records."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta

import httpx

from meridian.analytics.models import CsatSurvey
from meridian.channels.base import InboundAttachment, InboundContact, InboundMessage
from meridian.channels.ingest import ingest_message
from meridian.core.clock import utcnow
from meridian.core.countries import GDPR_COUNTRIES
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.privacy.consent import ConsentRequired, require_consent
from meridian.privacy.deadlines import regime_for
from tests.factories import Factory


async def test_export_zip_is_complete_and_registered(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    first = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={
            "contact": {"identifier": "kenji-1", "name": "山田 健二", "email": "kenji@example.jp"},
            "body": "注文はどこですか？",
        },
    )
    conversation_id = first.json()["conversation_id"]
    await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=tenant.headers,
        json={"body": "Checking now, Kenji-san."},
    )
    pdf = b"%PDF-1.4 invoice 42"
    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        await ingest_message(
            session,
            inbox=inbox,
            msg=InboundMessage(
                external_id="file-1",
                contact=InboundContact(identifier="kenji-1"),
                body="請求書です",
                attachments=(InboundAttachment("請求書 #42.pdf", "application/pdf", data=pdf),),
            ),
        )
        await session.commit()
    contact_id = (
        await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    ).json()["contact"]["id"]
    await client.patch(f"/api/v1/contacts/{contact_id}", headers=tenant.headers, json={"country": "US"})
    await client.post(
        f"/api/v1/contacts/{contact_id}/consents",
        headers=tenant.headers,
        json={"purpose": "marketing", "channel": "email", "granted": True, "source": "email_optin"},
    )

    tagged = await client.patch(
        f"/api/v1/conversations/{conversation_id}", headers=tenant.headers, json={"tags": ["billing"]}
    )
    assert tagged.status_code == 200, tagged.text
    async with db.session() as session:
        session.add(
            CsatSurvey(
                workspace_id=tenant.workspace_id,
                conversation_id=uuid.UUID(conversation_id),
                contact_id=uuid.UUID(contact_id),
                inbox_id=inbox_id,
                language="ja",
                status="answered",
                rating=4,
                answered_at=utcnow(),
            )
        )
        await session.commit()

    response = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    contact = json.loads(archive.read("contact.json"))
    assert contact["contact"]["name"] == "山田 健二" and contact["contact"]["email"] == "kenji@example.jp"
    assert {i["identifier"] for i in contact["contact"]["identities"]} == {"kenji-1", "kenji@example.jp"}
    assert (
        contact["consents"][0]["purpose"] == "marketing" and contact["consents"][0]["source"] == "email_optin"
    )
    conversation = json.loads(archive.read("conversations/1.json"))
    assert [m["body"] for m in conversation["messages"]] == [
        "注文はどこですか？",
        "Checking now, Kenji-san.",
        "請求書です",
    ]
    assert conversation["tags"] == ["billing"]
    assert conversation["satisfaction_survey"]["rating"] == 4
    files = conversation["messages"][2]["attachments"]
    assert files[0]["filename"] == "請求書 #42.pdf" and files[0]["path"] in names
    assert archive.read(files[0]["path"]) == pdf

    requests = (await client.get("/api/v1/privacy-requests", headers=tenant.headers)).json()["items"]
    assert len(requests) == 1
    export = requests[0]
    assert export["type"] == "export" and export["status"] == "completed" and export["regime"] == "ccpa"
    assert export["handled_by_id"] == str(tenant.admin_id)
    due = datetime.fromisoformat(export["due_at"]) - datetime.fromisoformat(export["created_at"])
    assert timedelta(days=44) < due < timedelta(days=46)

    await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=tenant.headers)
    gone = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=tenant.headers)
    assert gone.status_code == 409
    pending = (await client.get("/api/v1/privacy-requests?type=erase", headers=tenant.headers)).json()[
        "items"
    ]
    assert [r["type"] for r in pending] == ["erase"]


async def test_privacy_requests_are_per_workspace_and_for_supervisors(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    agent = await factory.agent(tenant)
    contact = (await client.post("/api/v1/contacts", headers=tenant.headers, json={"name": "Ana"})).json()
    request = (await client.post(f"/api/v1/contacts/{contact['id']}/erase", headers=tenant.headers)).json()
    assert (
        await client.get(f"/api/v1/privacy-requests/{request['id']}", headers=other.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/privacy-requests", headers=other.headers)).json()["items"] == []
    assert (await client.get("/api/v1/privacy-requests", headers=agent.headers)).status_code == 403
    assert (
        await client.get(f"/api/v1/contacts/{contact['id']}/export", headers=other.headers)
    ).status_code == 404
    bad = await client.get("/api/v1/privacy-requests?cursor=nope", headers=tenant.headers)
    assert bad.status_code == 422


def test_deadline_follows_country_then_region() -> None:
    assert regime_for(country="FR", region="us").name == "gdpr"
    assert regime_for(country="US", region="eu").days == 45
    assert regime_for(country="BR", region=None).days == 15
    assert regime_for(country=None, region="eu").name == "gdpr"
    assert regime_for(country="JP", region="default").days == 30
    # Every EU member state and the rest of the GDPR area (Hungary was once left out).
    assert {regime_for(country=c, region=None).name for c in GDPR_COUNTRIES} == {"gdpr"}
    assert regime_for(country="hu", region=None).name == "gdpr"


async def test_consent_records_and_enforcement(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    contact_id = (await client.post("/api/v1/contacts", headers=tenant.headers, json={"name": "Ana"})).json()[
        "id"
    ]
    cid = uuid.UUID(contact_id)

    async def allowed(purpose: str, channel: str | None) -> bool:
        async with db.session() as session:
            try:
                await require_consent(session, contact_id=cid, purpose=purpose, channel=channel)
            except ConsentRequired:
                return False
            return True

    assert not await allowed("marketing", "whatsapp"), "marketing needs an explicit grant"
    assert await allowed("support", "whatsapp"), "support is allowed until the customer objects"

    async def post(**body: object) -> httpx.Response:
        return await client.post(f"/api/v1/contacts/{contact_id}/consents", headers=tenant.headers, json=body)

    assert (
        await post(purpose="marketing", channel="whatsapp", granted=True, source="whatsapp_optin")
    ).status_code == 201
    assert await allowed("marketing", "whatsapp") and not await allowed("marketing", "sms")
    # A later revocation for every channel overrides the earlier channel grant.
    await post(purpose="marketing", granted=False, source="email_unsubscribe")
    assert not await allowed("marketing", "whatsapp")
    await post(purpose="proactive", channel="sms", granted=True)
    await post(purpose="support", granted=False, source="objection")
    assert await allowed("proactive", "sms") and not await allowed("support", "email")

    listing = (await client.get(f"/api/v1/contacts/{contact_id}/consents", headers=tenant.headers)).json()
    assert len(listing["history"]) == 4
    state = {(c["purpose"], c["channel"]): c["granted"] for c in listing["items"]}
    assert state == {
        ("marketing", None): False,
        ("marketing", "whatsapp"): True,
        ("proactive", "sms"): True,
        ("support", None): False,
    }
    assert (await post(purpose="spam", granted=True)).status_code == 422
    assert (await post(purpose="marketing", granted=True, extra=1)).status_code == 422
    other = await factory.tenant()
    forbidden = await client.get(f"/api/v1/contacts/{contact_id}/consents", headers=other.headers)
    assert forbidden.status_code == 404
