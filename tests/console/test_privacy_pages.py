"""The privacy console and the audit log viewer: admins only, through the audited actions."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from typing import Any

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from tests.console.helpers import incoming, sign_in
from tests.factories import Factory, Tenant


async def _contact(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/contacts", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def _admin(client: httpx.AsyncClient, factory: Factory, tenant: Tenant) -> str:
    client.cookies.clear()
    admin = await factory.agent(tenant, role="admin", name="Ada")
    return await sign_in(client, admin.email)


async def _audit_actions(client: httpx.AsyncClient, tenant: Tenant) -> list[str]:
    items = (await client.get("/api/v1/audit?limit=500", headers=tenant.headers)).json()["items"]
    return [e["action"] for e in items]


async def test_agents_and_supervisors_get_403_on_admin_pages(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    contact = await _contact(client, tenant, name="Zoë")
    for role in ("agent", "supervisor"):
        client.cookies.clear()
        agent = await factory.agent(tenant, role=role)
        csrf = await sign_in(client, agent.email)
        home = await client.get("/")
        assert 'href="/admin/privacy"' not in home.text and 'href="/kb"' in home.text
        for path in (
            "/admin/privacy",
            f"/admin/privacy/contacts/{contact['id']}",
            "/admin/privacy/retention",
            "/admin/audit",
            "/admin/audit.csv",
        ):
            assert (await client.get(path)).status_code == 403, path
        erase = await client.post(
            f"/admin/privacy/contacts/{contact['id']}/erase", data={"csrf_token": csrf, "confirm": "Zoë"}
        )
        assert erase.status_code == 403
        export = await client.post(
            f"/admin/privacy/contacts/{contact['id']}/export", data={"csrf_token": csrf}
        )
        assert export.status_code == 403
    api = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers)).json()
    assert api["erased"] is False
    assert "contact.exported" not in await _audit_actions(client, tenant)


async def test_export_downloads_the_zip_and_registers_the_request(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    await incoming(client, tenant.headers, inbox_id, "Where is my parcel?", name="Zoë Export")
    contacts = (await client.get("/api/v1/contacts", headers=tenant.headers)).json()["items"]
    contact_id = contacts[0]["id"]
    csrf = await _admin(client, factory, tenant)

    page = await client.get(f"/admin/privacy/contacts/{contact_id}")
    assert page.status_code == 200 and "Zoë Export" in page.text
    response = await client.post(f"/admin/privacy/contacts/{contact_id}/export", data={"csrf_token": csrf})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        dump = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Where is my parcel?" in dump and "Zoë Export".encode() in dump

    register = await client.get("/admin/privacy?type=export")
    assert register.status_code == 200
    assert f'href="/admin/privacy/contacts/{contact_id}"' in register.text
    assert 'data-status="completed"' in register.text and "Ada" in register.text
    requests = (await client.get("/api/v1/privacy-requests", headers=tenant.headers)).json()["items"]
    assert [(r["type"], r["source"], r["status"]) for r in requests] == [("export", "console", "completed")]
    assert "contact.exported" in await _audit_actions(client, tenant)


async def test_erasure_needs_the_typed_name_and_leaves_the_contact_erased(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    contact = await _contact(client, tenant, name="Zoë Ångström", email="zoe@example.org")
    csrf = await _admin(client, factory, tenant)
    url = f"/admin/privacy/contacts/{contact['id']}/erase"

    wrong = await client.post(url, data={"csrf_token": csrf, "confirm": "Zoe"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    forged = await client.post(url, data={"csrf_token": "forged", "confirm": "Zoë Ångström"})
    assert forged.status_code == 403
    api = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers)).json()
    assert api["erased"] is False and api["name"] == "Zoë Ångström"
    assert (await client.get("/api/v1/privacy-requests", headers=tenant.headers)).json()["items"] == []

    done = await client.post(url, data={"csrf_token": csrf, "confirm": "Zoë Ångström"})
    assert done.status_code == 303
    api = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers)).json()
    assert api["erased"] is True and api["name"] is None and api["email"] is None
    page = await client.get(f"/admin/privacy/contacts/{contact['id']}")
    assert 'data-erased="1"' in page.text and "Zoë" not in page.text
    assert f'action="/admin/privacy/contacts/{contact["id"]}/erase"' not in page.text
    requests = (await client.get("/api/v1/privacy-requests", headers=tenant.headers)).json()["items"]
    assert [(r["type"], r["source"], r["status"]) for r in requests] == [("erase", "console", "pending")]
    assert "contact.erasure_requested" in await _audit_actions(client, tenant)

    # The register moves a pending erasure on at once instead of waiting for the sweep.
    complete = await client.post(
        f"/admin/privacy/requests/{requests[0]['id']}/complete", data={"csrf_token": csrf}
    )
    assert complete.status_code == 303
    request = (
        await client.get(f"/api/v1/privacy-requests/{requests[0]['id']}", headers=tenant.headers)
    ).json()
    assert request["status"] == "completed"
    again = await client.post(
        f"/admin/privacy/requests/{requests[0]['id']}/complete", data={"csrf_token": csrf}
    )
    assert again.status_code == 409
    actions = await _audit_actions(client, tenant)
    assert "contact.erased" in actions and "privacy_request.completed" in actions


async def test_find_a_contact_by_email_and_record_consent(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    contact = await _contact(
        client,
        tenant,
        name="Lucía",
        identities=[{"kind": "email", "identifier": "lucia@example.org"}],
    )
    csrf = await _admin(client, factory, tenant)
    found = await client.post(
        "/admin/privacy/find", data={"csrf_token": csrf, "contact": "Lucia@Example.org"}
    )
    assert found.status_code == 303
    assert found.headers["location"] == f"/admin/privacy/contacts/{contact['id']}"
    missing = await client.post(
        "/admin/privacy/find", data={"csrf_token": csrf, "contact": "nobody@example.org"}
    )
    assert missing.status_code == 404 and 'role="alert"' in missing.text

    url = f"/admin/privacy/contacts/{contact['id']}/consents"
    ok = await client.post(
        url, data={"csrf_token": csrf, "purpose": "marketing", "channel": "whatsapp", "granted": "1"}
    )
    assert ok.status_code == 303
    bad = await client.post(url, data={"csrf_token": csrf, "purpose": "spam", "channel": "", "granted": "1"})
    assert bad.status_code == 422
    listing = (await client.get(f"/api/v1/contacts/{contact['id']}/consents", headers=tenant.headers)).json()
    assert [(c["purpose"], c["channel"], c["granted"], c["source"]) for c in listing["history"]] == [
        ("marketing", "whatsapp", True, "console")
    ]
    page = await client.get(f"/admin/privacy/contacts/{contact['id']}")
    assert 'data-granted="1"' in page.text


async def test_retention_policies_and_dry_run_report(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "old question"))["conversation_id"]
    csrf = await _admin(client, factory, tenant)

    created = await client.post(
        "/admin/privacy/retention",
        data={"csrf_token": csrf, "region": "", "channel": "", "max_age_days": "30"},
    )
    assert created.status_code == 303
    for bad in ({"max_age_days": "0"}, {"max_age_days": "soon"}, {"max_age_days": "30"}):
        response = await client.post(
            "/admin/privacy/retention", data={"csrf_token": csrf, "region": "", "channel": "", **bad}
        )
        assert response.status_code == 422, bad  # the last one: the policy already exists
    policies = (await client.get("/api/v1/retention-policies", headers=tenant.headers)).json()["items"]
    assert [(p["region"], p["channel"], p["max_age_days"]) for p in policies] == [(None, None, 30)]
    policy_id = policies[0]["id"]

    # A conversation resolved 40 days ago is due under a 30-day policy.
    await client.patch(
        f"/api/v1/conversations/{conversation_id}", headers=tenant.headers, json={"status": "resolved"}
    )
    async with db.session() as session:
        await session.execute(
            text(
                "UPDATE conversations SET resolved_at = now() - interval '40 days',"
                " last_activity_at = now() - interval '40 days' WHERE id = :c"
            ),
            {"c": uuid.UUID(conversation_id)},
        )
        await session.commit()
    report = await client.get("/admin/privacy/retention?report=1")
    assert report.status_code == 200
    assert f'data-conversation-id="{conversation_id}"' in report.text
    # Dry run: nothing was deleted.
    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    assert [m["body"] for m in messages] == ["old question"]

    changed = await client.post(
        f"/admin/privacy/retention/{policy_id}",
        data={"csrf_token": csrf, "max_age_days": "60", "enabled": "1", "action": "save"},
    )
    assert changed.status_code == 303
    report = await client.get("/admin/privacy/retention?report=1")
    assert f'data-conversation-id="{conversation_id}"' not in report.text
    deleted = await client.post(
        f"/admin/privacy/retention/{policy_id}", data={"csrf_token": csrf, "action": "delete"}
    )
    assert deleted.status_code == 303
    assert (await client.get("/api/v1/retention-policies", headers=tenant.headers)).json()["items"] == []


async def test_audit_viewer_filters_verifies_and_exports(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    contact = await _contact(client, tenant, name="Ana")
    await client.get(f"/api/v1/contacts/{contact['id']}/export", headers=tenant.headers)
    csrf = await _admin(client, factory, tenant)
    assert csrf

    page = await client.get("/admin/audit")
    assert page.status_code == 200 and 'data-chain="ok"' in page.text
    assert "contact.exported" in page.text and "agent.signed_in" in page.text
    filtered = await client.get("/admin/audit?action=contact.")
    assert "contact.exported" in filtered.text and "agent.signed_in" not in filtered.text
    by_actor = await client.get(f"/admin/audit?actor={tenant.admin_id}")
    assert "contact.exported" in by_actor.text and "agent.signed_in" not in by_actor.text
    future = await client.get("/admin/audit?since=2999-01-01")
    assert "contact.exported" not in future.text
    assert (await client.get("/admin/audit?since=yesterday")).status_code == 422
    assert (await client.get("/admin/audit?actor=someone")).status_code == 422

    exported = await client.get("/admin/audit.csv?action=contact.")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == ["contact.exported"]
    assert rows[0]["actor_id"] == str(tenant.admin_id) and len(rows[0]["hash"]) == 64

    async with db.session() as session:
        await session.execute(
            text("UPDATE audit_log SET target = 'contact:forged' WHERE workspace_id = :w AND action = :a"),
            {"w": tenant.workspace_id, "a": "contact.exported"},
        )
        await session.commit()
    try:
        broken = await client.get("/admin/audit")
        assert 'data-chain="broken"' in broken.text and "contact.exported" in broken.text
    finally:
        # Other tests verify every workspace's chain in this database: leave none broken.
        async with db.session() as session:
            await session.execute(
                text("DELETE FROM audit_log WHERE workspace_id = :w"), {"w": tenant.workspace_id}
            )
            await session.commit()


async def test_other_workspaces_ids_are_not_found(client: httpx.AsyncClient, factory: Factory) -> None:
    other = await factory.tenant("Other")
    foreign = await _contact(client, other, name="Secret Person")
    erase = (await client.post(f"/api/v1/contacts/{foreign['id']}/erase", headers=other.headers)).json()
    policy = (
        await client.post("/api/v1/retention-policies", headers=other.headers, json={"max_age_days": 10})
    ).json()
    tenant = await factory.tenant()
    csrf = await _admin(client, factory, tenant)

    page = await client.get(f"/admin/privacy/contacts/{foreign['id']}")
    assert page.status_code == 404 and "Secret Person" not in page.text
    assert (await client.get("/admin/privacy/contacts/not-an-id")).status_code == 404
    for path, data in (
        (f"/admin/privacy/contacts/{foreign['id']}/export", {}),
        (f"/admin/privacy/contacts/{foreign['id']}/erase", {"confirm": "Secret Person"}),
        (f"/admin/privacy/contacts/{foreign['id']}/consents", {"purpose": "marketing", "granted": "1"}),
        (f"/admin/privacy/requests/{erase['id']}/complete", {}),
        (f"/admin/privacy/retention/{policy['id']}", {"action": "delete"}),
    ):
        assert (await client.post(path, data={"csrf_token": csrf, **data})).status_code == 404, path
    found = await client.post("/admin/privacy/find", data={"csrf_token": csrf, "contact": foreign["id"]})
    assert found.status_code == 404
    assert (await client.get(f"/api/v1/privacy-requests/{erase['id']}", headers=other.headers)).json()[
        "status"
    ] == "pending"
    assert len((await client.get("/api/v1/retention-policies", headers=other.headers)).json()["items"]) == 1
    assert "Secret Person" not in (await client.get("/admin/privacy")).text


async def test_privacy_pages_speak_the_admins_language(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    contact = await _contact(client, tenant, name="Kenji")
    admin = await factory.agent(tenant, role="admin", locale="ja")
    await sign_in(client, admin.email)
    register = await client.get("/admin/privacy")
    assert "プライバシーリクエスト" in register.text and "Privacy requests" not in register.text
    page = await client.get(f"/admin/privacy/contacts/{contact['id']}")
    assert "確認のため Kenji と入力してください" in page.text
    assert "監査ログ" in (await client.get("/admin/audit")).text
    assert "ナレッジベース" in (await client.get("/kb")).text
