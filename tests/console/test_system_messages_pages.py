"""Admin "System messages" (per-locale wording of automatic messages) and agents'
language levels in the agent form and the profile."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from meridian.agents.models import Agent
from tests.console.helpers import sign_in
from tests.factories import Factory, Tenant


async def _as_admin(client: httpx.AsyncClient, factory: Factory, tenant: Tenant) -> str:
    async with factory.db.session() as session:
        admin = await session.get(Agent, tenant.admin_id)
        assert admin is not None
        email = admin.email
    client.cookies.clear()
    return await sign_in(client, email, password="correct horse 1")


async def test_system_messages_round_trip_bad_input_and_access(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    listing = await client.get("/admin/system-messages")
    assert listing.status_code == 200
    assert (
        "Expected reply time (nobody is working)" in listing.text
        and "Bot: did this solve it?" in listing.text
    )
    page = await client.get("/admin/system-messages/routing_notice")
    # The shipped wording is shown (HTML-escaped apostrophe), with the variables.
    assert (
        page.status_code == 200 and "Our team is offline right now." in page.text and "your_time" in page.text
    )
    url = "/admin/system-messages/routing_notice"
    saved = await client.post(
        url,
        data={
            "csrf_token": csrf,
            "variant_locale": ["pt", "es-MX", ""],
            "variant_body": ["Voltamos {{ day }} às {{ time }}.", "Volvemos a las {{ time }}.", ""],
        },
    )
    assert saved.status_code == 303, saved.text
    api = (await client.get("/api/v1/system-templates", headers=tenant.headers)).json()["items"]
    notice = next(t for t in api if t["key"] == "routing_notice")
    assert notice["variants"] == {
        "pt": "Voltamos {{ day }} às {{ time }}.",
        "es-MX": "Volvemos a las {{ time }}.",
    }
    assert "Voltamos" in (await client.get(url)).text
    bad = await client.post(
        url,
        data={"csrf_token": csrf, "variant_locale": ["pt"], "variant_body": ["Voltamos {{ day"]},
    )
    assert bad.status_code == 422 and 'id="variant:pt-error"' in bad.text
    not_a_tag = await client.post(
        url, data={"csrf_token": csrf, "variant_locale": ["!!"], "variant_body": ["x"]}
    )
    assert not_a_tag.status_code == 422
    api = (await client.get("/api/v1/system-templates", headers=tenant.headers)).json()["items"]
    assert next(t for t in api if t["key"] == "routing_notice")["variants"] == notice["variants"]
    # Emptying every row restores the shipped wording.
    cleared = await client.post(url, data={"csrf_token": csrf, "variant_locale": [""], "variant_body": [""]})
    assert cleared.status_code == 303
    api = (await client.get("/api/v1/system-templates", headers=tenant.headers)).json()["items"]
    assert next(t for t in api if t["key"] == "routing_notice")["variants"] == {}
    assert (await client.get("/admin/system-messages/nope")).status_code == 404

    agent = await factory.agent(tenant)
    client.cookies.clear()
    agent_csrf = await sign_in(client, agent.email)
    assert (await client.get("/admin/system-messages")).status_code == 403
    refused = await client.post(
        url, data={"csrf_token": agent_csrf, "variant_locale": ["en"], "variant_body": ["Taken over"]}
    )
    assert refused.status_code == 403


async def test_agent_language_levels_in_the_admin_form_and_the_profile(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "name": "Lupita",
        "email": "lupita-levels@example.com",
        "password": "password123",
        "role": "agent",
        "languages": "es:native, en, pt-BR:basic",
        "skills": "",
        "max_concurrent": "6",
        "availability": "online",
        "locale": "es",
        "timezone": "America/Mexico_City",
    }
    created = await client.post("/admin/agents/new", data=form)
    assert created.status_code == 303, created.text
    async with factory.db.session() as session:
        agent = await session.scalar(select(Agent).where(Agent.email == "lupita-levels@example.com"))
        assert agent is not None
        assert agent.languages == ["es", "en", "pt-BR"]
        assert agent.language_proficiency == {"es": "native", "pt-BR": "basic"}
        agent_id = agent.id
    page = await client.get(f"/admin/agents/{agent_id}")
    assert 'value="es:native, en, pt-BR:basic"' in page.text
    bad = await client.post(f"/admin/agents/{agent_id}", data={**form, "languages": "es:expert"})
    assert bad.status_code == 422 and 'id="languages-error"' in bad.text
    api = (await client.get(f"/api/v1/agents/{agent_id}", headers=tenant.headers)).json()
    assert api["language_proficiency"] == {"es": "native", "pt-BR": "basic"}

    # The agent edits their own levels on the profile page.
    client.cookies.clear()
    own = await sign_in(client, "lupita-levels@example.com")
    saved = await client.post(
        "/profile",
        data={
            "csrf_token": own,
            "locale": "es",
            "timezone": "America/Mexico_City",
            "languages": "es:native, en:basic",
        },
    )
    assert saved.status_code == 303, saved.text
    assert 'value="es:native, en:basic"' in (await client.get("/profile")).text
    async with factory.db.session() as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        assert (agent.languages, agent.language_proficiency) == (
            ["es", "en"],
            {"es": "native", "en": "basic"},
        )
