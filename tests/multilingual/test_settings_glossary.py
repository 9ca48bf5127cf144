"""Translation settings (write-only, encrypted key; admins only) and the glossary API."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from meridian.core.crypto import decrypt_json
from meridian.db.engine import Database
from meridian.translation.models import TranslationSettings
from tests.factories import Factory


async def test_defaults_then_admin_configures_a_provider(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    initial = (await client.get("/api/v1/settings/translation", headers=tenant.headers)).json()
    assert initial["provider"] == "none" and initial["api_key_set"] is False
    assert initial["agent_language"] == "en"

    put = await client.put(
        "/api/v1/settings/translation",
        headers=tenant.headers,
        json={
            "provider": "microsoft",
            "api_key": "ms-secret-key-123",
            "region": "westeurope",
            "api_base_url": "https://translator.example.com/",
            "agent_language": "de",
        },
    )
    assert put.status_code == 200, put.text
    shown = put.json()
    assert "api_key" not in shown and shown["api_key_set"] is True
    assert shown["region"] == "westeurope" and shown["agent_language"] == "de"
    assert shown["api_base_url"] == "https://translator.example.com"
    async with db.session() as session:
        row = await session.scalar(
            select(TranslationSettings).where(TranslationSettings.workspace_id == tenant.workspace_id)
        )
    assert row is not None and row.api_key_encrypted is not None
    assert "ms-secret-key-123" not in row.api_key_encrypted
    assert decrypt_json(row.api_key_encrypted) == {"api_key": "ms-secret-key-123"}

    # Leaving the key out keeps it for the same service; naming it null removes it, which
    # Microsoft cannot work without.
    same = {"provider": "microsoft", "api_base_url": "https://translator.example.com", "region": "westeurope"}
    kept = await client.put("/api/v1/settings/translation", headers=tenant.headers, json=same)
    assert kept.status_code == 200 and kept.json()["api_key_set"] is True
    elsewhere = await client.put(
        "/api/v1/settings/translation",
        headers=tenant.headers,
        json={**same, "api_base_url": "https://attacker.example.net"},
    )
    assert elsewhere.status_code == 422
    removed = await client.put(
        "/api/v1/settings/translation", headers=tenant.headers, json={**same, "api_key": None}
    )
    assert removed.status_code == 422
    assert removed.json()["errors"][0]["pointer"] == "/api_key"
    assert "API key" in removed.json()["detail"]

    local = await client.put(
        "/api/v1/settings/translation",
        headers=tenant.headers,
        json={"provider": "openai", "api_base_url": "http://127.0.0.1:11434/v1", "model": "llama3.1"},
    )
    # The Microsoft key is not carried over to another service.
    assert local.status_code == 200 and local.json()["api_key_set"] is False
    moved = await client.put(
        "/api/v1/settings/translation",
        headers=tenant.headers,
        json={"provider": "deepl", "agent_language": "en"},
    )
    assert moved.status_code == 422


INVALID = [
    ({"provider": "babelfish"}, "/provider"),
    ({"provider": "none", "agent_language": "not a tag"}, "/agent_language"),
    ({"provider": "libretranslate", "api_base_url": "not a url"}, "/api_base_url"),
    ({"provider": "none", "colour": "blue"}, "/colour"),
    ({"provider": "none", "languages": ["en", "xx-!!"]}, "/languages/1"),
]


async def test_invalid_settings_are_422(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    for body, pointer in INVALID:
        response = await client.put("/api/v1/settings/translation", headers=tenant.headers, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["pointer"] == pointer
    assert (await client.get("/api/v1/settings/translation", headers=tenant.headers)).json()[
        "provider"
    ] == "none"


async def test_only_admins_change_settings(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    for role in ("agent", "supervisor"):
        person = await factory.agent(tenant, role=role)
        response = await client.put(
            "/api/v1/settings/translation", headers=person.headers, json={"provider": "argos"}
        )
        assert response.status_code == 403
        assert (await client.get("/api/v1/settings/translation", headers=person.headers)).status_code == 200


async def test_glossary_lifecycle(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    brand = await client.post(
        "/api/v1/glossary", headers=tenant.headers, json={"term": "Meridian Shop", "do_not_translate": True}
    )
    assert brand.status_code == 201, brand.text
    refund = await client.post(
        "/api/v1/glossary",
        headers=tenant.headers,
        json={"term": "refund", "translations": {"es": "reembolso", "pt_BR": "reembolso", "ja": "返金"}},
    )
    assert refund.status_code == 201
    assert refund.json()["translations"] == {"es": "reembolso", "pt-BR": "reembolso", "ja": "返金"}
    listed = (await client.get("/api/v1/glossary", headers=tenant.headers)).json()["items"]
    assert [item["term"] for item in listed] == ["Meridian Shop", "refund"]

    duplicate = await client.post(
        "/api/v1/glossary", headers=tenant.headers, json={"term": "REFUND", "do_not_translate": True}
    )
    assert duplicate.status_code == 409
    empty = await client.post("/api/v1/glossary", headers=tenant.headers, json={"term": "cart"})
    assert empty.status_code == 422
    bad_tag = await client.post(
        "/api/v1/glossary", headers=tenant.headers, json={"term": "cart", "translations": {"??": "x"}}
    )
    assert bad_tag.status_code == 422

    agent = await factory.agent(tenant)
    assert (await client.get("/api/v1/glossary", headers=agent.headers)).status_code == 200
    assert (
        await client.delete(f"/api/v1/glossary/{brand.json()['id']}", headers=agent.headers)
    ).status_code == 403

    intruder = await factory.tenant("Intruder")
    assert (await client.get("/api/v1/glossary", headers=intruder.headers)).json()["items"] == []
    assert (
        await client.delete(f"/api/v1/glossary/{brand.json()['id']}", headers=intruder.headers)
    ).status_code == 404

    assert (
        await client.delete(f"/api/v1/glossary/{brand.json()['id']}", headers=tenant.headers)
    ).status_code == 204
    assert (
        await client.delete(f"/api/v1/glossary/{brand.json()['id']}", headers=tenant.headers)
    ).status_code == 404
    assert (
        await client.delete(f"/api/v1/glossary/{uuid.uuid4()}", headers=tenant.headers)
    ).status_code == 404
    assert (await client.delete("/api/v1/glossary/not-an-id", headers=tenant.headers)).status_code == 404
    remaining = (await client.get("/api/v1/glossary", headers=tenant.headers)).json()["items"]
    assert [item["term"] for item in remaining] == ["refund"]
