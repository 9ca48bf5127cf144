"""The region access editor: admins set agents' home region and content grants, audited."""

from __future__ import annotations

import httpx

from tests.console.helpers import sign_in
from tests.factories import Factory


async def test_admin_edits_grants_and_every_change_is_audited(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    emma = await factory.agent(tenant, name="Emma Grant")
    admin = await factory.agent(tenant, role="admin", name="Ada")
    csrf = await sign_in(client, admin.email)

    page = await client.get("/admin/regions")
    assert page.status_code == 200
    assert f'data-agent-id="{emma.id}"' in page.text and "Emma Grant" in page.text
    assert 'href="/admin/regions" aria-current="page"' in page.text

    # Home region "us", content of "us" and "sg" only.
    saved = await client.post(
        f"/admin/regions/{emma.id}",
        data={"csrf_token": csrf, "region": "us", "scope": "some", "regions": ["us", "sg"]},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/regions?notice=saved"
    api = (await client.get(f"/api/v1/agents/{emma.id}", headers=tenant.headers)).json()
    assert api["region"] == "us" and api["regions"] == ["sg", "us"]
    # The page now offers the regions agents hold, ticked where granted.
    again = (await client.get("/admin/regions?notice=saved")).text
    assert 'value="sg" checked' in again and 'role="status"' in again

    # "Every region" is null: present and future regions.
    await client.post(f"/admin/regions/{emma.id}", data={"csrf_token": csrf, "region": "us", "scope": "all"})
    api = (await client.get(f"/api/v1/agents/{emma.id}", headers=tenant.headers)).json()
    assert api["regions"] is None

    # A bad region name is a 422 on the page and changes nothing.
    bad = await client.post(
        f"/admin/regions/{emma.id}",
        data={"csrf_token": csrf, "region": "EU!", "scope": "some", "regions": ["eu"]},
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    api = (await client.get(f"/api/v1/agents/{emma.id}", headers=tenant.headers)).json()
    assert api["region"] == "us" and api["regions"] is None

    audit = (await client.get("/api/v1/audit?action=agent.access_changed", headers=tenant.headers)).json()
    targets = [e["target"] for e in audit["items"] if e["target"] == f"agent:{emma.id}"]
    assert len(targets) == 2

    # Without the CSRF token nothing changes.
    forged = await client.post(f"/admin/regions/{emma.id}", data={"region": "eu", "scope": "all"})
    assert forged.status_code == 403


async def test_region_access_is_admin_only_and_workspace_scoped(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    client.cookies.clear()
    tenant, other = await factory.tenant(), await factory.tenant("Other")
    stranger = await factory.agent(other)
    for role in ("agent", "supervisor"):
        client.cookies.clear()
        agent = await factory.agent(tenant, role=role)
        csrf = await sign_in(client, agent.email)
        assert (await client.get("/admin/regions")).status_code == 403
        denied = await client.post(
            f"/admin/regions/{agent.id}", data={"csrf_token": csrf, "region": "us", "scope": "all"}
        )
        assert denied.status_code == 403
    client.cookies.clear()
    admin = await factory.agent(tenant, role="admin")
    csrf = await sign_in(client, admin.email)
    # Another workspace's agent is not found, and stays as it was.
    missing = await client.post(
        f"/admin/regions/{stranger.id}", data={"csrf_token": csrf, "region": "us", "scope": "all"}
    )
    assert missing.status_code == 404
    after = (await client.get(f"/api/v1/agents/{stranger.id}", headers=other.headers)).json()
    assert after["region"] == "default"
