"""Retention policies: the dry-run report, the periodic purge, the policy API."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from meridian.privacy.erasure import process_pending_erasures
from meridian.privacy.retention import apply_all
from tests.factories import Factory, Tenant


async def _conversation(
    client: httpx.AsyncClient, tenant: Tenant, inbox_id: uuid.UUID, who: str, body: str
) -> str:
    r = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": who, "name": f"Name of {who}"}, "body": body},
    )
    assert r.status_code == 202, r.text
    conversation_id: str = r.json()["conversation_id"]
    return conversation_id


async def _close(db: Database, conversation_id: str, days_ago: int) -> None:
    async with db.session() as session:
        await session.execute(
            text(
                "UPDATE conversations SET status = 'resolved', "
                "resolved_at = now() - make_interval(days => :d), "
                "last_activity_at = now() - make_interval(days => :d) WHERE id = :c"
            ),
            {"d": days_ago, "c": uuid.UUID(conversation_id)},
        )
        await session.commit()


async def _bodies(client: httpx.AsyncClient, tenant: Tenant, conversation_id: str) -> list[str]:
    r = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    return [m["body"] for m in r.json()["items"]]


async def test_retention_purges_old_closed_conversations(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    old_a = await _conversation(client, tenant, inbox_id, "anna", "old question from anna")
    await _close(db, old_a, 400)
    open_a = await _conversation(client, tenant, inbox_id, "anna", "new question from anna")
    old_b = await _conversation(client, tenant, inbox_id, "bruno", "old question from bruno")
    await _close(db, old_b, 400)
    recent_c = await _conversation(client, tenant, inbox_id, "chen", "recent question from chen")
    await _close(db, recent_c, 100)
    created = []
    for body in (
        {"max_age_days": 365},
        {"region": "default", "channel": "api", "max_age_days": 200},
        {"region": "eu", "max_age_days": 30},
    ):
        r = await client.post("/api/v1/retention-policies", headers=tenant.headers, json=body)
        assert r.status_code == 201, r.text
        created.append(r.json())
    specific = created[1]

    report = (await client.get("/api/v1/retention/dry-run", headers=tenant.headers)).json()
    assert report["dry_run"] is True and report["total"] == 2
    by_id = {i["conversation_id"]: i for i in report["items"]}
    assert set(by_id) == {old_a, old_b}
    assert by_id[old_a]["erases_contact"] is False and by_id[old_b]["erases_contact"] is True
    assert by_id[old_a]["max_age_days"] == 200 and by_id[old_a]["channel"] == "api"
    assert await _bodies(client, tenant, old_a) == ["old question from anna"], "a dry run deletes nothing"

    assert await apply_all(db) == 2
    assert await _bodies(client, tenant, old_a) == [""]
    assert await _bodies(client, tenant, open_a) == ["new question from anna"]
    assert await _bodies(client, tenant, recent_c) == ["recent question from chen"]
    anna = (await client.get(f"/api/v1/conversations/{open_a}", headers=tenant.headers)).json()["contact"]
    assert anna["name"] == "Name of anna" and anna["erased"] is False
    bruno = (await client.get(f"/api/v1/conversations/{old_b}", headers=tenant.headers)).json()["contact"]
    assert bruno["erased"] is True and bruno["name"] is None
    await process_pending_erasures(db)
    requests = (await client.get("/api/v1/privacy-requests", headers=tenant.headers)).json()["items"]
    assert [(r["source"], r["status"], r["contact_id"]) for r in requests] == [
        ("retention", "completed", bruno["id"])
    ]
    found = (await client.get("/api/v1/conversations?q=question", headers=tenant.headers)).json()["items"]
    assert {c["id"] for c in found} == {open_a, recent_c}
    again = (await client.get("/api/v1/retention/dry-run", headers=tenant.headers)).json()
    assert again["items"] == []
    audit = (await client.get("/api/v1/audit?action=retention.purged", headers=tenant.headers)).json()[
        "items"
    ]
    assert audit[0]["details"]["conversations"] == 2 and audit[0]["details"]["contacts_erased"] == 1

    # Disabling the specific policy falls back to the general one (365 days).
    await _close(db, recent_c, 300)
    patched = await client.patch(
        f"/api/v1/retention-policies/{specific['id']}", headers=tenant.headers, json={"enabled": False}
    )
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    assert (await client.get("/api/v1/retention/dry-run", headers=tenant.headers)).json()["items"] == []
    await client.patch(
        f"/api/v1/retention-policies/{specific['id']}", headers=tenant.headers, json={"enabled": True}
    )
    due = (await client.get("/api/v1/retention/dry-run", headers=tenant.headers)).json()["items"]
    assert [i["conversation_id"] for i in due] == [recent_c]


async def test_retention_policy_api(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    supervisor = await factory.agent(tenant, role="supervisor")
    created = await client.post(
        "/api/v1/retention-policies", headers=tenant.headers, json={"max_age_days": 730}
    )
    assert created.status_code == 201
    policy = created.json()
    assert policy["region"] is None and policy["channel"] is None and policy["enabled"] is True
    duplicate = await client.post(
        "/api/v1/retention-policies", headers=tenant.headers, json={"max_age_days": 10}
    )
    assert duplicate.status_code == 409
    bad = await client.post(
        "/api/v1/retention-policies", headers=tenant.headers, json={"max_age_days": 0, "channel": "fax"}
    )
    assert bad.status_code == 422
    listed = await client.get("/api/v1/retention-policies", headers=supervisor.headers)
    assert [p["id"] for p in listed.json()["items"]] == [policy["id"]]
    forbidden = await client.post(
        "/api/v1/retention-policies", headers=supervisor.headers, json={"max_age_days": 5}
    )
    assert forbidden.status_code == 403
    assert (
        await client.get(f"/api/v1/retention-policies/{policy['id']}", headers=other.headers)
    ).status_code == 404
    assert (
        await client.delete(f"/api/v1/retention-policies/{policy['id']}", headers=tenant.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/retention-policies/{policy['id']}", headers=tenant.headers)
    ).status_code == 404
