"""Canned responses: the customer's locale variant, with variables in their locale and time zone."""

from __future__ import annotations

import httpx
import time_machine

from tests.factories import Factory, Tenant
from tests.multilingual.support import incoming

VARIANTS = {
    "en": "Hi {{ contact.first_name }}, your total is {{ contact.attributes.total | currency('EUR') }}.",
    "pt": "Olá {{ contact.first_name }}, o total é {{ contact.attributes.total | currency('EUR') }}.",
    "es": "Hola {{ contact.first_name }}, el total es {{ contact.attributes.total | currency('EUR') }}.",
    "zh-Hant": "{{ contact.name }}您好，總額為 {{ contact.attributes.total | currency('EUR') }}。",
}


async def _canned(client: httpx.AsyncClient, tenant: Tenant, **body: object) -> str:
    response = await client.post("/api/v1/canned-responses", headers=tenant.headers, json=body)
    assert response.status_code == 201, response.text
    canned_id: str = response.json()["id"]
    return canned_id


async def _customer(
    client: httpx.AsyncClient, tenant: Tenant, inbox_id: object, locale: str, **fields: object
) -> str:
    sent = await incoming(client, tenant.headers, inbox_id, "…", identifier=f"c-{locale}", locale=locale)
    conversation = (
        await client.get(f"/api/v1/conversations/{sent['conversation_id']}", headers=tenant.headers)
    ).json()
    patched = await client.patch(
        f"/api/v1/contacts/{conversation['contact']['id']}", headers=tenant.headers, json=fields
    )
    assert patched.status_code == 200, patched.text
    conversation_id: str = sent["conversation_id"]
    return conversation_id


CASES = [
    # pt-BR has no variant of its own: pt, with Brazilian number formatting.
    ("pt-BR", "pt", "Olá Lucía, o total é €\xa01.234,50."),
    # No French variant: the workspace default (en), with French formatting.
    ("fr", "en", "Hi Lucía, your total is 1\u202f234,50\xa0€."),
    ("es-MX", "es", "Hola Lucía, el total es EUR1,234.50."),
    # Traditional Chinese readers get their own script, never Simplified by fallback.
    ("zh-Hant", "zh-Hant", "Lucía Fernández您好，總額為 €1,234.50。"),
    ("zh-Hans", "en", "Hi Lucía, your total is €1,234.50."),
]


async def test_variant_fallback_and_locale_formatting(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    canned_id = await _canned(client, tenant, shortcut="total", variants=VARIANTS)
    for locale, variant, expected in CASES:
        conversation_id = await _customer(client, tenant, inbox_id, locale, attributes={"total": "1234.5"})
        rendered = await client.get(
            f"/api/v1/canned-responses/{canned_id}/render",
            headers=tenant.headers,
            params={"conversation_id": conversation_id},
        )
        assert rendered.status_code == 200, rendered.text
        assert (rendered.json()["locale"], rendered.json()["body"]) == (variant, expected), locale


@time_machine.travel("2026-03-29T00:30:00Z", tick=False)
async def test_dates_and_times_in_the_customers_time_zone(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    canned_id = await _canned(
        client,
        tenant,
        shortcut="when",
        variants={
            "en": "It is {{ now | date('full') }}, {{ now | time }}.",
            "ja": "{{ now | datetime('long') }}",
        },
    )
    # 00:30 UTC is 09:30 the same day in Tokyo and 17:30 the day before in Los Angeles.
    tokyo = await _customer(client, tenant, inbox_id, "ja", timezone="Asia/Tokyo")
    la = await _customer(client, tenant, inbox_id, "en-US", timezone="America/Los_Angeles")

    async def render(conversation_id: str) -> str:
        response = await client.get(
            f"/api/v1/canned-responses/{canned_id}/render",
            headers=tenant.headers,
            params={"conversation_id": conversation_id},
        )
        assert response.status_code == 200, response.text
        body: str = response.json()["body"]
        return body

    assert await render(tokyo) == "2026年3月29日 9:30:00 JST"
    assert await render(la) == "It is Saturday, March 28, 2026, 5:30\u202fPM."


async def test_templates_are_checked_and_sandboxed(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    broken = await client.post(
        "/api/v1/canned-responses",
        headers=tenant.headers,
        json={"shortcut": "broken", "variants": {"en": "ok", "de": "Hallo {{ contact.name "}},
    )
    assert broken.status_code == 422 and broken.json()["errors"][0]["pointer"] == "/variants/de"
    escape = await _canned(
        client, tenant, shortcut="escape", variants={"en": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
    )
    response = await client.get(f"/api/v1/canned-responses/{escape}/render", headers=tenant.headers)
    assert response.status_code == 422
    huge = await _canned(client, tenant, shortcut="huge", variants={"en": "{{ 'x' * 100000000 }}"})
    assert (
        await client.get(f"/api/v1/canned-responses/{huge}/render", headers=tenant.headers)
    ).status_code == 422


async def test_api_rules(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    canned_id = await _canned(
        client, tenant, shortcut="thanks", title="Thanks", variants={"en": "Thank you!"}
    )
    duplicate = await client.post(
        "/api/v1/canned-responses",
        headers=tenant.headers,
        json={"shortcut": "THANKS", "variants": {"en": "x"}},
    )
    assert duplicate.status_code == 409
    for body in ({"shortcut": "x", "variants": {}}, {"shortcut": "bad shortcut", "variants": {"en": "x"}}):
        assert (
            await client.post("/api/v1/canned-responses", headers=tenant.headers, json=body)
        ).status_code == 422

    agent = await factory.agent(tenant)
    assert (
        await client.post(
            "/api/v1/canned-responses",
            headers=agent.headers,
            json={"shortcut": "mine", "variants": {"en": "x"}},
        )
    ).status_code == 403
    listed = (await client.get("/api/v1/canned-responses", headers=agent.headers)).json()["items"]
    assert [item["shortcut"] for item in listed] == ["thanks"]
    plain = await client.get(f"/api/v1/canned-responses/{canned_id}/render", headers=agent.headers)
    assert plain.json()["body"] == "Thank you!"

    intruder = await factory.tenant("Intruder")
    assert (await client.get("/api/v1/canned-responses", headers=intruder.headers)).json()["items"] == []
    assert (
        await client.get(f"/api/v1/canned-responses/{canned_id}", headers=intruder.headers)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/canned-responses/{canned_id}/render", headers=intruder.headers)
    ).status_code == 404
    inbox_id, _ = await factory.inbox(tenant)
    sent = await incoming(client, tenant.headers, inbox_id, "hola")
    other = await client.get(
        f"/api/v1/canned-responses/{canned_id}/render",
        headers=tenant.headers,
        params={"conversation_id": "not-an-id"},
    )
    assert other.status_code == 404
    hidden = await client.get(
        f"/api/v1/canned-responses/{canned_id}/render",
        headers=intruder.headers,
        params={"conversation_id": sent["conversation_id"]},
    )
    assert hidden.status_code == 404
