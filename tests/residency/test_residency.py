"""Data residency end to end: an EU customer's strings live in the EU database only,
agents without the EU grant read metadata but not content, erasure leaves no trace."""

from __future__ import annotations

import io
import secrets
import uuid
import zipfile
from typing import Any

import httpx
from sqlalchemy import func, select

from meridian.audit.models import AuditEntry
from meridian.contacts.models import Contact
from meridian.db.engine import Database
from meridian.privacy.erasure import process_pending_erasures
from meridian.vault.models import VaultContact, VaultKey, VaultMessage
from tests.console.helpers import sign_in
from tests.factories import Factory, Tenant
from tests.privacy.support import pg_dump
from tests.residency.conftest import Regional


def _strings(tok: str) -> dict[str, str]:
    digits = str(int(tok, 16) % 10**8).zfill(8)
    return {
        "name": f"Émilie Durand {tok}",
        "email": f"emilie.{tok}@example.fr",
        "phone": f"+3361{digits}",
        "identifier": f"eu-cust-{tok}",
        "latin": f"Où est mon colis {tok} ? J'attends depuis lundi.",
        "cjk": f"我的包裹{tok}在哪里",
        "reply": f"Bonjour Émilie, le colis {tok} est parti aujourd'hui.",
    }


def _present(dump: str, s: dict[str, str]) -> list[str]:
    return [k for k, v in s.items() if v in dump or v.casefold() in dump]


async def _eu_customer(client: httpx.AsyncClient, tenant: Tenant, factory: Factory, s: dict[str, str]) -> str:
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = ""
    for key in ("latin", "cjk"):
        r = await client.post(
            f"/api/v1/inboxes/{inbox_id}/incoming",
            headers=tenant.headers,
            json={
                "contact": {
                    "identifier": s["identifier"],
                    "name": s["name"],
                    "email": s["email"],
                    "phone": s["phone"],
                },
                "body": s[key],
            },
        )
        assert r.status_code == 202, r.text
        conversation_id = r.json()["conversation_id"]
    reply = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers, json={"body": s["reply"]}
    )
    assert reply.status_code == 201, reply.text
    return conversation_id


async def _dumps(db: Database, regional: Regional) -> dict[str, str]:
    return {
        "home": await pg_dump(db),
        "eu": await pg_dump(regional.database("eu")),
        "us": await pg_dump(regional.database("us")),
    }


async def test_eu_customer_lives_in_the_eu_database_only(
    client: httpx.AsyncClient, factory: Factory, db: Database, regional: Regional
) -> None:
    tenant = await factory.tenant()
    tok = secrets.token_hex(6)
    s = _strings(tok)
    conversation_id = await _eu_customer(client, tenant, factory, s)
    conversation = (
        await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    ).json()
    contact_id = conversation["contact"]["id"]
    assert conversation["contact"]["region"] == "eu", "a +33 phone number puts the customer in the EU"

    dumps = await _dumps(db, regional)
    # The search index is the plain copy: it is in the EU database, and nowhere else.
    assert {"latin", "cjk", "reply"} <= set(_present(dumps["eu"], s))
    assert _present(dumps["home"], s) == [] and tok not in dumps["home"]
    assert _present(dumps["us"], s) == [] and tok not in dumps["us"]
    assert contact_id in dumps["eu"] and contact_id not in dumps["us"]

    # The admin (home region "default", every region granted) reads it, and that is audited.
    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    assert [m["body"] for m in messages] == [s["latin"], s["cjk"], s["reply"]]
    async with db.session() as session:
        audited = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.workspace_id == tenant.workspace_id,
                    AuditEntry.action == "content.read_cross_region",
                )
            )
        )
    assert audited and all(e.target == "eu" and e.actor_id == tenant.admin_id for e in audited)
    assert {e.details["what"] for e in audited} >= {"messages", "contacts"}

    # A supervisor in the US without the EU grant: metadata yes, content no, nothing audited.
    us = await factory.agent(tenant, role="supervisor", region="us", regions=["us"])
    seen = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=us.headers)).json()
    assert seen["status"] == "open" and seen["contact"]["withheld_region"] == "eu"
    assert seen["contact"]["name"] == "content in region eu — no access" and seen["contact"]["email"] is None
    items = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=us.headers)
    ).json()["items"]
    assert len(items) == 3
    assert all(
        m["body"] == "content in region eu — no access" and m["withheld_region"] == "eu" for m in items
    )
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=us.headers)).json()
    assert (
        contact["withheld_region"] == "eu"
        and contact["phone"] is None
        and contact["identities"][0]["identifier"] is None
    )
    assert tok not in str(contact) + str(items) + str(seen)
    listed = (await client.get("/api/v1/conversations", headers=us.headers)).json()["items"]
    assert conversation_id in [c["id"] for c in listed]
    assert (await client.get(f"/api/v1/conversations?q={tok}", headers=us.headers)).json()["items"] == []
    found = (await client.get(f"/api/v1/conversations?q={tok}", headers=tenant.headers)).json()["items"]
    assert [c["id"] for c in found] == [conversation_id]
    async with db.session() as session:
        by_us = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.actor_id == us.id, AuditEntry.action == "content.read_cross_region")
        )
    assert by_us == 0

    # The export (an admin's cross-region read, inside a transaction that audits) is complete.
    export = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=tenant.headers)
    assert export.status_code == 200, export.text
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    assert tok.encode() in b"".join(archive.read(n) for n in archive.namelist())

    # Erasure: no database dump holds the customer's strings afterwards.
    assert (
        await client.post(f"/api/v1/contacts/{contact_id}/erase", headers=tenant.headers)
    ).status_code == 202
    assert await process_pending_erasures(db) >= 1
    for name, dump in (await _dumps(db, regional)).items():
        assert _present(dump, s) == [], name
        assert tok not in dump, name


async def test_console_thread_withholds_content_without_the_grant(
    client: httpx.AsyncClient, factory: Factory, regional: Regional
) -> None:
    tenant = await factory.tenant()
    tok = secrets.token_hex(6)
    s = _strings(tok)
    conversation_id = await _eu_customer(client, tenant, factory, s)
    us = await factory.agent(tenant, role="supervisor", region="us", regions=["us"])
    await sign_in(client, us.email)
    page = await client.get(f"/conversations/{conversation_id}")
    assert page.status_code == 200
    assert "Content in region eu — no access" in page.text
    assert tok not in page.text
    client.cookies.clear()
    eu = await factory.agent(tenant, role="supervisor", region="eu", regions=["eu"], locale="de")
    await sign_in(client, eu.email)
    page = await client.get(f"/conversations/{conversation_id}")
    assert s["latin"] in page.text.replace("&#39;", "'") and s["name"] in page.text
    assert "Inhalt in Region" not in page.text


async def test_regional_row_is_committed_before_the_home_row(
    client: httpx.AsyncClient, factory: Factory, db: Database, regional: Regional
) -> None:
    """A home transaction that fails after the vault write leaves an orphaned regional row,
    never a home row pointing at nothing."""
    tenant = await factory.tenant()
    email = f"dup-{secrets.token_hex(4)}@example.de"
    first = await client.post(
        "/api/v1/contacts", headers=tenant.headers, json={"name": "A", "email": email, "country": "DE"}
    )
    assert first.status_code == 201 and first.json()["region"] == "eu"
    second = await client.post(
        "/api/v1/contacts", headers=tenant.headers, json={"name": "B", "email": email, "country": "DE"}
    )
    assert second.status_code == 409
    async with db.session() as session:
        home = list(
            await session.scalars(select(Contact.id).where(Contact.workspace_id == tenant.workspace_id))
        )
    async with regional.database("eu").session() as session:
        eu = list(
            await session.scalars(
                select(VaultContact.contact_id).where(VaultContact.workspace_id == tenant.workspace_id)
            )
        )
    assert home == [uuid.UUID(first.json()["id"])]
    assert len(eu) == 2 and set(home) < set(eu), "the failed contact left an unreferenced, encrypted row"


async def _vault_rows(database: Database, contact_id: uuid.UUID) -> dict[str, int]:
    async with database.session() as session:
        out: dict[str, int] = {}
        for model in (VaultKey, VaultContact, VaultMessage):
            count = await session.scalar(
                select(func.count()).select_from(model).where(model.contact_id == contact_id)
            )
            out[model.__tablename__] = int(count or 0)
        return out


async def test_move_contact_between_regions(
    client: httpx.AsyncClient, factory: Factory, db: Database, regional: Regional
) -> None:
    tenant = await factory.tenant()
    tok = secrets.token_hex(6)
    s = _strings(tok)
    conversation_id = await _eu_customer(client, tenant, factory, s)
    contact_id = (
        await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    ).json()["contact"]["id"]
    cid = uuid.UUID(contact_id)
    url = f"/api/v1/contacts/{contact_id}/move-region"

    us_agent = await factory.agent(tenant, role="supervisor", region="us", regions=["us"])
    assert (await client.post(url, headers=us_agent.headers, json={"region": "us"})).status_code == 403
    assert (await client.post(url, headers=tenant.headers, json={"region": "EU!"})).status_code == 422
    other = await factory.tenant("Other")
    assert (await client.post(url, headers=other.headers, json={"region": "us"})).status_code == 404

    moved = await client.post(url, headers=tenant.headers, json={"region": "us"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["region"] == "us" and moved.json()["name"] == s["name"]
    assert await _vault_rows(regional.database("eu"), cid) == {
        "vault_keys": 0,
        "vault_contacts": 0,
        "vault_messages": 0,
    }
    assert await _vault_rows(regional.database("us"), cid) == {
        "vault_keys": 1,
        "vault_contacts": 1,
        "vault_messages": 3,
    }
    assert await _vault_rows(db, cid) == {"vault_keys": 0, "vault_contacts": 0, "vault_messages": 0}
    # Now the US supervisor reads it; the key is wrapped by the US region key.
    items = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=us_agent.headers)
    ).json()["items"]
    assert [m["body"] for m in items] == [s["latin"], s["cjk"], s["reply"]]
    eu_dump = await pg_dump(regional.database("eu"))
    assert tok not in eu_dump and _present(eu_dump, s) == []
    # Retrying is harmless.
    again = await client.post(url, headers=tenant.headers, json={"region": "us"})
    assert again.status_code == 200 and again.json()["region"] == "us"
    async with db.session() as session:
        entries: list[dict[str, Any]] = [
            e.details
            for e in await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.workspace_id == tenant.workspace_id,
                    AuditEntry.action == "contact.region_moved",
                )
            )
        ]
    assert entries == [{"from": "eu", "to": "us"}]

    # Into the home database (a region without its own database) and back out.
    home = await client.post(url, headers=tenant.headers, json={"region": "default"})
    assert home.status_code == 200 and home.json()["name"] == s["name"]
    assert await _vault_rows(db, cid) == {"vault_keys": 1, "vault_contacts": 1, "vault_messages": 3}
    assert await _vault_rows(regional.database("us"), cid) == {
        "vault_keys": 0,
        "vault_contacts": 0,
        "vault_messages": 0,
    }
    back = await client.post(url, headers=tenant.headers, json={"region": "eu"})
    assert back.status_code == 200 and back.json()["email"] == s["email"]
    assert await _vault_rows(db, cid) == {"vault_keys": 0, "vault_contacts": 0, "vault_messages": 0}


async def test_interrupted_move_is_finished_by_a_retry(
    client: httpx.AsyncClient, factory: Factory, db: Database, regional: Regional
) -> None:
    from meridian.vault import moves

    tenant = await factory.tenant()
    s = _strings(secrets.token_hex(6))
    conversation_id = await _eu_customer(client, tenant, factory, s)
    contact_id = (
        await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    ).json()["contact"]["id"]
    cid = uuid.UUID(contact_id)
    # Crash after the copy: the source is still authoritative, the copy unreferenced.
    async with db.session() as session:
        assert await moves.copy_contact(session, contact_id=cid, source="eu", target="us")
        # ... and after the pointer switched, before the purge.
        contact = await session.get(Contact, cid)
        assert contact is not None
        contact.region = "us"
        await session.commit()
    assert (await _vault_rows(regional.database("eu"), cid))["vault_messages"] == 3
    retry = await client.post(
        f"/api/v1/contacts/{contact_id}/move-region", headers=tenant.headers, json={"region": "us"}
    )
    assert retry.status_code == 200 and retry.json()["name"] == s["name"]
    assert await _vault_rows(regional.database("eu"), cid) == {
        "vault_keys": 0,
        "vault_contacts": 0,
        "vault_messages": 0,
    }


async def test_agent_grants_are_admin_only_and_audited(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    supervisor = await factory.agent(tenant, role="supervisor")
    agent = await factory.agent(tenant)
    url = f"/api/v1/agents/{agent.id}"
    assert (await client.patch(url, headers=supervisor.headers, json={"regions": ["us"]})).status_code == 403
    assert (await client.patch(url, headers=tenant.headers, json={"regions": ["EU"]})).status_code == 422
    changed = await client.patch(url, headers=tenant.headers, json={"region": "us", "regions": ["us", "sg"]})
    assert changed.status_code == 200
    assert changed.json()["region"] == "us" and changed.json()["regions"] == ["us", "sg"]
    # null means every region again.
    reset = await client.patch(url, headers=tenant.headers, json={"regions": None})
    assert reset.json()["regions"] is None and reset.json()["region"] == "us"
    async with db.session() as session:
        fields = [
            e.details["fields"]
            for e in await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.workspace_id == tenant.workspace_id,
                    AuditEntry.action == "agent.access_changed",
                )
            )
        ]
    assert fields == [["region", "regions"], ["regions"]]


async def test_translation_memory_keeps_no_regional_text_at_home(
    factory: Factory, db: Database, regional: Regional
) -> None:
    """Segments hold customer sentences: a regional contact's are not kept in the home database."""
    from meridian.translation import memory
    from meridian.translation.models import TranslationSegment

    tenant = await factory.tenant()
    tok = secrets.token_hex(6)
    async with db.session() as session:
        for region in ("eu", "default"):
            await memory.remember(
                session,
                workspace_id=tenant.workspace_id,
                source="fr",
                target="en",
                source_text=f"Où est mon colis {tok} {region} ?",
                target_text=f"Where is my parcel {tok} {region}?",
                origin="machine",
                provider="deepl",
                region=region,
            )
        await session.commit()
        kept = list(
            await session.scalars(
                select(TranslationSegment.region).where(
                    TranslationSegment.workspace_id == tenant.workspace_id
                )
            )
        )
    assert kept == ["default"]
    dump = await pg_dump(db)
    assert f"{tok} eu" not in dump and f"{tok} default" in dump
