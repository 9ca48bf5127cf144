"""Agents' language levels through the API: stored beside ``languages``, checked, kept
in step when languages change, editable by the agent themselves."""

from __future__ import annotations

import httpx

from tests.factories import Factory


async def test_language_levels_are_validated_and_follow_the_languages(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    h = tenant.headers
    body = {
        "email": "levels@example.com",
        "name": "Levels",
        "languages": ["es-MX", "en", "fr"],
        "language_proficiency": {"es-MX": "native", "fr": "basic"},
    }
    created = await client.post("/api/v1/agents", headers=h, json=body)
    assert created.status_code == 201, created.text
    agent = created.json()
    assert agent["languages"] == ["es-MX", "en", "fr"]
    assert agent["language_proficiency"] == {"es-MX": "native", "fr": "basic"}
    url = f"/api/v1/agents/{agent['id']}"

    for bad, pointer in [
        (
            {**body, "email": "b1@example.com", "language_proficiency": {"de": "native"}},
            "/language_proficiency/de",
        ),
        (
            {**body, "email": "b2@example.com", "language_proficiency": {"es-MX": "expert"}},
            "/language_proficiency",
        ),
    ]:
        refused = await client.post("/api/v1/agents", headers=h, json=bad)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["pointer"].startswith(pointer), refused.json()
    refused = await client.patch(url, headers=h, json={"language_proficiency": {"ja": "fluent"}})
    assert refused.status_code == 422
    assert (await client.get(url, headers=h)).json()["language_proficiency"] == {
        "es-MX": "native",
        "fr": "basic",
    }

    # Dropping French drops its level; the others stay.
    patched = await client.patch(url, headers=h, json={"languages": ["es-MX", "en"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["language_proficiency"] == {"es-MX": "native"}
    # Languages and levels together.
    patched = await client.patch(
        url,
        headers=h,
        json={"languages": ["es-MX", "en", "pt-BR"], "language_proficiency": {"pt-BR": "basic"}},
    )
    assert patched.json()["language_proficiency"] == {"pt-BR": "basic"}

    # Agents set their own levels; not someone else's.
    me = await factory.agent(tenant, languages=["de", "en"])
    own = await client.patch(
        f"/api/v1/agents/{me.id}", headers=me.headers, json={"language_proficiency": {"de": "native"}}
    )
    assert own.status_code == 200 and own.json()["language_proficiency"] == {"de": "native"}
    other = await client.patch(url, headers=me.headers, json={"language_proficiency": {}})
    assert other.status_code == 403


async def test_capacity_per_channel_is_validated_and_admin_only(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    h = tenant.headers
    body = {
        "email": "cap@example.com",
        "name": "Cap",
        "max_concurrent": 8,
        "channel_capacity": {"whatsapp": 3},
    }
    created = await client.post("/api/v1/agents", headers=h, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["channel_capacity"] == {"whatsapp": 3}
    url = f"/api/v1/agents/{created.json()['id']}"
    for bad in ({"fax": 2}, {"email": -1}, {"email": "lots"}):
        refused = await client.patch(url, headers=h, json={"channel_capacity": bad})
        assert refused.status_code == 422, (bad, refused.text)
    patched = await client.patch(url, headers=h, json={"channel_capacity": {"email": 20, "whatsapp": 2}})
    assert patched.json()["channel_capacity"] == {"email": 20, "whatsapp": 2}
    me = await factory.agent(tenant)
    own = await client.patch(
        f"/api/v1/agents/{me.id}", headers=me.headers, json={"channel_capacity": {"email": 99}}
    )
    assert own.status_code == 403
