"""The console's admin screens: who may open them, forms that change rows, errors by field."""

from __future__ import annotations

import uuid

import httpx
import pytest

from meridian.agents.models import Agent
from meridian.channels.registry import CHANNELS, get_adapter
from meridian.inboxes.models import Inbox
from meridian.teams.models import Team
from meridian.workspaces.models import Workspace
from tests.console.helpers import incoming, sign_in
from tests.factories import Factory, Tenant

ADMIN_PAGES = [
    "/admin/workspace",
    "/admin/agents",
    "/admin/agents/new",
    "/admin/teams",
    "/admin/teams/new",
    "/admin/inboxes",
    "/admin/inboxes/new?channel=whatsapp",
    "/admin/canned",
    "/admin/canned/new",
    "/admin/sla",
    "/admin/sla/new",
    "/admin/automations",
    "/admin/automations/new",
]
ADMIN_POSTS = [
    "/admin/workspace",
    "/admin/workspace/translation",
    "/admin/agents/new",
    "/admin/teams/new",
    "/admin/inboxes/new",
    "/admin/canned/new",
    "/admin/sla/new",
    "/admin/automations/new",
]


async def _admin_email(factory: Factory, tenant: Tenant) -> str:
    async with factory.db.session() as session:
        admin = await session.get(Agent, tenant.admin_id)
        assert admin is not None
        return admin.email


async def _as_admin(client: httpx.AsyncClient, factory: Factory, tenant: Tenant) -> str:
    client.cookies.clear()
    return await sign_in(client, await _admin_email(factory, tenant), password="correct horse 1")


async def test_every_admin_page_renders_for_an_admin(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    team_id = await factory.team(tenant, name="Berlin", timezone="Europe/Berlin")
    inbox_id, _ = await factory.inbox(
        tenant, channel="webchat", config={"allowed_origins": ["https://shop.example"]}
    )
    await _as_admin(client, factory, tenant)
    for path in [
        *ADMIN_PAGES,
        f"/admin/teams/{team_id}",
        f"/admin/inboxes/{inbox_id}",
        f"/admin/agents/{tenant.admin_id}",
    ]:
        page = await client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert 'aria-current="page"' in page.text, path
    home = await client.get("/")
    assert 'href="/admin/workspace"' in home.text
    # Every channel gets a form built from its own config model.
    for channel in CHANNELS:
        page = await client.get(f"/admin/inboxes/new?channel={channel}")
        assert page.status_code == 200, (channel, page.text[:500])
        for key in get_adapter(channel).config_model.model_fields:
            assert f'name="config.{key}"' in page.text, (channel, key)


@pytest.mark.parametrize("role", ["agent", "supervisor"])
async def test_non_admins_get_403_on_every_admin_page_and_post(
    client: httpx.AsyncClient, factory: Factory, role: str
) -> None:
    tenant = await factory.tenant()
    team_id = await factory.team(tenant)
    other = await factory.agent(tenant, role=role)
    client.cookies.clear()
    csrf = await sign_in(client, other.email)
    for path in [*ADMIN_PAGES, f"/admin/teams/{team_id}"]:
        assert (await client.get(path)).status_code == 403, path
    for path in [*ADMIN_POSTS, f"/admin/teams/{team_id}", f"/admin/agents/{tenant.admin_id}/active"]:
        response = await client.post(path, data={"csrf_token": csrf, "name": "Taken over"})
        assert response.status_code == 403, path
    async with factory.db.session() as session:
        team = await session.get(Team, team_id)
        workspace = await session.get(Workspace, tenant.workspace_id)
        assert team is not None and team.name == "Team"
        assert workspace is not None and workspace.name == "Acme"


async def test_error_pages_speak_the_viewers_language_and_htmx_gets_the_card_alone(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    theirs = await factory.tenant("Other")
    their_team = await factory.team(theirs, name="Theirs")
    agent = await factory.agent(tenant, locale="de")
    client.cookies.clear()
    await sign_in(client, agent.email)
    denied = await client.get("/admin/teams")
    assert denied.status_code == 403
    assert "Nicht erlaubt" in denied.text and 'class="topbar"' in denied.text
    fragment = await client.get("/admin/teams", headers={"HX-Request": "true"})
    assert fragment.status_code == 403
    assert "Nicht erlaubt" in fragment.text and "<html" not in fragment.text and "topbar" not in fragment.text
    await _as_admin(client, factory, tenant)
    missing = await client.get(f"/admin/teams/{their_team}")
    assert missing.status_code == 404 and 'class="topbar"' in missing.text and "Theirs" not in missing.text
    fragment = await client.get(f"/admin/teams/{their_team}", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.text


async def test_admin_posts_need_the_csrf_token(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    await _as_admin(client, factory, tenant)
    response = await client.post("/admin/workspace", data={"name": "Forged", "default_locale": "en"})
    assert response.status_code == 403
    async with factory.db.session() as session:
        workspace = await session.get(Workspace, tenant.workspace_id)
        assert workspace is not None and workspace.name == "Acme"


async def test_workspace_settings_round_trip_and_bad_input(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "name": "Acme Global",
        "default_locale": "es",
        "languages": "es, en, pt-BR",
        "timezone": "America/Mexico_City",
    }
    saved = await client.post("/admin/workspace", data=form)
    assert saved.status_code == 303
    async with factory.db.session() as session:
        workspace = await session.get(Workspace, tenant.workspace_id)
        assert workspace is not None
        assert (workspace.name, workspace.default_locale, workspace.languages) == (
            "Acme Global",
            "es",
            ["es", "en", "pt-BR"],
        )
        assert workspace.settings["timezone"] == "America/Mexico_City"
    # The API reads and writes the same settings; only admins may change them.
    api = await client.get("/api/v1/workspace", headers=tenant.headers)
    assert api.json()["timezone"] == "America/Mexico_City" and api.json()["languages"] == [
        "es",
        "en",
        "pt-BR",
    ]
    agent = await factory.agent(tenant)
    denied = await client.patch("/api/v1/workspace", headers=agent.headers, json={"name": "Mine"})
    assert denied.status_code == 403
    bad = await client.post("/admin/workspace", data={**form, "name": "Renamed", "languages": "es, klingon!"})
    assert bad.status_code == 422
    assert 'id="languages-error"' in bad.text and "klingon" in bad.text
    async with factory.db.session() as session:
        workspace = await session.get(Workspace, tenant.workspace_id)
        assert workspace is not None and workspace.name == "Acme Global"


async def test_translation_settings_keep_the_key_write_only(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    form = {"csrf_token": csrf, "provider": "deepl", "api_key": "secret-deepl-key", "agent_language": "en"}
    assert (await client.post("/admin/workspace/translation", data=form)).status_code == 303
    page = await client.get("/admin/workspace")
    assert "secret-deepl-key" not in page.text
    assert "A key is set." in page.text
    api = await client.get("/api/v1/settings/translation", headers=tenant.headers)
    assert api.json()["provider"] == "deepl" and api.json()["api_key_set"] is True
    # DeepL without a key is refused next to the key field, and nothing changes.
    bad = await client.post(
        "/admin/workspace/translation",
        data={**form, "api_key": "", "remove_api_key": "1", "agent_language": "de"},
    )
    assert bad.status_code == 422 and 'id="api_key-error"' in bad.text
    api = await client.get("/api/v1/settings/translation", headers=tenant.headers)
    assert api.json()["api_key_set"] is True and api.json()["agent_language"] == "en"


async def test_agent_create_edit_and_deactivate(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    team_id = await factory.team(tenant, name="Mexico")
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "name": "Lupita",
        "email": "lupita-admin@example.com",
        "password": "password123",
        "role": "agent",
        "languages": "es, en",
        "skills": "billing, senior",
        "team_ids": str(team_id),
        "max_concurrent": "6",
        "availability": "online",
        "locale": "es",
        "timezone": "America/Mexico_City",
    }
    created = await client.post("/admin/agents/new", data=form)
    assert created.status_code == 303, created.text
    async with factory.db.session() as session:
        from sqlalchemy import select

        agent = await session.scalar(select(Agent).where(Agent.email == "lupita-admin@example.com"))
        assert agent is not None
        assert (agent.languages, agent.skills, agent.max_concurrent) == (
            ["es", "en"],
            ["billing", "senior"],
            6,
        )
        agent_id = agent.id
    edited = await client.post(
        f"/admin/agents/{agent_id}",
        data={**form, "role": "supervisor", "password": "", "max_concurrent": "9"},
    )
    assert edited.status_code == 303
    bad = await client.post(
        f"/admin/agents/{agent_id}", data={**form, "max_concurrent": "-1", "name": "Changed"}
    )
    assert bad.status_code == 422 and 'id="max_concurrent-error"' in bad.text
    off = await client.post(f"/admin/agents/{agent_id}/active", data={"csrf_token": csrf, "active": "0"})
    assert off.status_code == 303
    async with factory.db.session() as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        assert (agent.role, agent.max_concurrent, agent.name) == ("supervisor", 9, "Lupita")
        assert agent.deactivated_at is not None
    # The admin cannot lock themselves out.
    own = await client.post(
        f"/admin/agents/{tenant.admin_id}/active", data={"csrf_token": csrf, "active": "0"}
    )
    assert own.status_code == 409


async def test_team_hours_and_holidays_round_trip(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "name": "Berlin",
        "timezone": "Europe/Berlin",
        "languages": "de, en",
        "hours_mon": "09:00-12:30, 13:30-18:00",
        "hours_fri": "22:00-06:00",
        "country": "DE",
        "subdivision": "BE",
        "closed": "2026-12-24",
        "open": "",
    }
    created = await client.post("/admin/teams/new", data=form)
    assert created.status_code == 303
    team_id = uuid.UUID(created.headers["location"].split("/")[3].split("?")[0])
    async with factory.db.session() as session:
        team = await session.get(Team, team_id)
        assert team is not None
        assert team.business_hours == {
            "mon": [["09:00", "12:30"], ["13:30", "18:00"]],
            "fri": [["22:00", "06:00"]],
        }
        assert team.holidays == {"country": "DE", "subdivision": "BE", "closed": ["2026-12-24"], "open": []}
    page = await client.get(f"/admin/teams/{team_id}")
    assert 'value="09:00-12:30, 13:30-18:00"' in page.text
    assert ("Open now" in page.text) or ("Opens" in page.text)
    bad = await client.post(
        f"/admin/teams/{team_id}", data={**form, "name": "Renamed", "hours_tue": "09:00-25:00"}
    )
    assert bad.status_code == 422
    assert 'id="hours_tue-error"' in bad.text and 'value="09:00-25:00"' in bad.text
    overlap = await client.post(
        f"/admin/teams/{team_id}", data={**form, "hours_wed": "09:00-12:00, 11:00-13:00"}
    )
    assert overlap.status_code == 422 and 'id="hours_wed-error"' in overlap.text
    country = await client.post(f"/admin/teams/{team_id}", data={**form, "country": "XX"})
    assert country.status_code == 422 and 'id="holidays-error"' in country.text
    async with factory.db.session() as session:
        team = await session.get(Team, team_id)
        assert team is not None and team.name == "Berlin" and "tue" not in (team.business_hours or {})
    always = await client.post(f"/admin/teams/{team_id}", data={**form, "always_open": "1"})
    assert always.status_code == 303
    async with factory.db.session() as session:
        team = await session.get(Team, team_id)
        assert team is not None and team.business_hours is None


async def test_inbox_form_keeps_secrets_write_only(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "channel": "telegram",
        "name": "Telegram support",
        "bot_mode": "off",
        "team_id": "",
        "config.bot_token": "123:telegram-secret",
        "config.secret_token": "hook-secret",
        "config.api_base_url": "https://api.telegram.org/",
    }
    created = await client.post("/admin/inboxes/new", data=form)
    assert created.status_code == 303, created.text
    inbox_id = created.headers["location"].split("/")[3].split("?")[0]
    page = await client.get(f"/admin/inboxes/{inbox_id}")
    assert f"/webhooks/telegram/{inbox_id}" in page.text and "data-copy" in page.text
    assert "telegram-secret" not in page.text and "hook-secret" not in page.text
    assert page.text.count("Set. Type a new value to replace it.") == 2
    # Saving with empty secret boxes keeps the secrets; the name changes.
    kept = await client.post(
        f"/admin/inboxes/{inbox_id}",
        data={
            **form,
            "name": "Telegram",
            "config.bot_token": "",
            "config.secret_token": "",
            "bot_mode": "always",
        },
    )
    assert kept.status_code == 303
    api = await client.get(f"/api/v1/inboxes/{inbox_id}", headers=tenant.headers)
    assert api.json()["name"] == "Telegram" and api.json()["bot_mode"] == "always"
    assert set(api.json()["secrets_set"]) == {"bot_token", "secret_token"}
    bad = await client.post(
        f"/admin/inboxes/{inbox_id}", data={**form, "name": "Bad", "config.api_base_url": "not a url"}
    )
    assert bad.status_code == 422 and 'id="api_base_url-error"' in bad.text
    api = await client.get(f"/api/v1/inboxes/{inbox_id}", headers=tenant.headers)
    assert api.json()["name"] == "Telegram"


async def test_webchat_inbox_shows_the_embed_snippet(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    created = await client.post(
        "/admin/inboxes/new",
        data={
            "csrf_token": csrf,
            "channel": "webchat",
            "name": "Site chat",
            "bot_mode": "outside_hours",
            "config.allowed_origins": "https://shop.example, https://www.shop.example",
        },
    )
    assert created.status_code == 303, created.text
    inbox_id = created.headers["location"].split("/")[3].split("?")[0]
    page = await client.get(f"/admin/inboxes/{inbox_id}")
    assert "meridian-chat.js" in page.text and f"data-inbox=&#34;{inbox_id}" in page.text
    async with factory.db.session() as session:
        inbox = await session.get(Inbox, uuid.UUID(inbox_id))
        assert inbox is not None and inbox.config["allowed_origins"] == [
            "https://shop.example",
            "https://www.shop.example",
        ]


async def test_other_workspaces_ids_are_404(client: httpx.AsyncClient, factory: Factory) -> None:
    mine = await factory.tenant()
    theirs = await factory.tenant("Other")
    team_id = await factory.team(theirs, name="Theirs")
    inbox_id, _ = await factory.inbox(theirs)
    other_agent = await factory.agent(theirs)
    csrf = await _as_admin(client, factory, mine)
    for path in [
        f"/admin/teams/{team_id}",
        f"/admin/inboxes/{inbox_id}",
        f"/admin/agents/{other_agent.id}",
        "/admin/teams/not-a-uuid",
    ]:
        assert (await client.get(path)).status_code == 404, path
        assert (await client.post(path, data={"csrf_token": csrf, "name": "Mine now"})).status_code == 404, (
            path
        )
    async with factory.db.session() as session:
        team = await session.get(Team, team_id)
        assert team is not None and team.name == "Theirs"


async def test_canned_response_variants_round_trip_with_preview(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "shortcut": "/refund",
        "title": "Refund sent",
        "variant_locale": ["en", "es", ""],
        "variant_body": ["Hi {{ contact.first_name }}, done.", "Hola {{ contact.first_name }}, listo.", ""],
    }
    created = await client.post("/admin/canned/new", data=form)
    assert created.status_code == 303, created.text
    canned_id = created.headers["location"].split("/")[3].split("?")[0]
    page = await client.get(f"/admin/canned/{canned_id}")
    assert "Hola Ana, listo." in page.text and "Hi Ana, done." in page.text
    api = await client.get(f"/api/v1/canned-responses/{canned_id}", headers=tenant.headers)
    assert api.json()["shortcut"] == "refund" and set(api.json()["variants"]) == {"en", "es"}
    # Drop Spanish, add German.
    edited = await client.post(
        f"/admin/canned/{canned_id}",
        data={**form, "variant_locale": ["en", "", "de"], "variant_body": ["Hi!", "", "Hallo!"]},
    )
    assert edited.status_code == 303
    api = await client.get(f"/api/v1/canned-responses/{canned_id}", headers=tenant.headers)
    assert api.json()["variants"] == {"en": "Hi!", "de": "Hallo!"}
    bad = await client.post(
        f"/admin/canned/{canned_id}",
        data={**form, "variant_locale": ["en", "fr"], "variant_body": ["Changed", "Bonjour {{ contact.name"]},
    )
    assert bad.status_code == 422 and 'id="variant:fr-error"' in bad.text
    api = await client.get(f"/api/v1/canned-responses/{canned_id}", headers=tenant.headers)
    assert api.json()["variants"] == {"en": "Hi!", "de": "Hallo!"}


async def test_sla_policy_round_trip(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "name": "Urgent email",
        "priority": "urgent",
        "first_response_minutes": "30",
        "resolution_minutes": "480",
        "business_hours": "1",
        "channel": ["email", "api"],
        "inbox_id": str(inbox_id),
        "tier": "vip, gold",
    }
    created = await client.post("/admin/sla/new", data=form)
    assert created.status_code == 303, created.text
    policy_id = created.headers["location"].split("/")[3].split("?")[0]
    api = (await client.get("/api/v1/sla-policies", headers=tenant.headers)).json()["items"]
    (policy,) = [p for p in api if p["id"] == policy_id]
    assert policy["first_response_minutes"] == 30 and policy["business_hours"] is True
    assert policy["conditions"] == {
        "channel": ["email", "api"],
        "inbox_id": [str(inbox_id)],
        "tier": ["vip", "gold"],
    }
    bad = await client.post(
        f"/admin/sla/{policy_id}",
        data={**form, "name": "Changed", "first_response_minutes": "", "resolution_minutes": ""},
    )
    assert bad.status_code == 422 and 'id="first_response_minutes-error"' in bad.text
    calendar = await client.post(
        f"/admin/sla/{policy_id}", data={k: v for k, v in form.items() if k != "business_hours"}
    )
    assert calendar.status_code == 303
    api = (await client.get("/api/v1/sla-policies", headers=tenant.headers)).json()["items"]
    (policy,) = [p for p in api if p["id"] == policy_id]
    assert policy["name"] == "Urgent email" and policy["business_hours"] is False
    gone = await client.post(f"/admin/sla/{policy_id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 303
    assert (await client.get(f"/admin/sla/{policy_id}")).status_code == 404


async def test_automation_structured_form_and_dry_run(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    team_id = await factory.team(tenant, name="Mexico")
    inbox_id, _ = await factory.inbox(tenant)
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "name": "Spanish refunds",
        "event": "conversation.created",
        "cond_language": "es",
        "cond_text_contains": "reembolso, devolución",
        "cond_contact_attributes": "plan=gold",
        "action_type": ["assign_team", "add_tag", "send_reply", ""],
        "action_target": [f"team:{team_id}", "", "", ""],
        "action_text": ["", "refund", "es: Hola, lo revisamos.\nen: Hi, we are on it.", ""],
        "enabled": "1",
        "position": "5",
    }
    created = await client.post("/admin/automations/new", data=form)
    assert created.status_code == 303, created.text
    rule_id = created.headers["location"].split("/")[3].split("?")[0]
    api = (await client.get(f"/api/v1/automations/{rule_id}", headers=tenant.headers)).json()
    assert api["conditions"] == {
        "language": ["es"],
        "text_contains": ["reembolso", "devolución"],
        "contact_attributes": {"plan": "gold"},
    }
    assert api["actions"][0] == {"type": "assign_team", "team_id": str(team_id)}
    assert api["actions"][1] == {"type": "add_tag", "tag": "refund"}
    assert api["actions"][2]["bodies"] == {"es": "Hola, lo revisamos.", "en": "Hi, we are on it."}
    page = await client.get(f"/admin/automations/{rule_id}")
    assert "es: Hola, lo revisamos." in page.text and f'value="team:{team_id}" selected' in page.text
    # An assign action without an agent is refused next to its row; nothing changes.
    bad = await client.post(
        f"/admin/automations/{rule_id}",
        data={
            **form,
            "name": "Changed",
            "action_type": ["assign_agent"],
            "action_target": [""],
            "action_text": [""],
        },
    )
    assert bad.status_code == 422 and 'id="action:0-error"' in bad.text
    api = (await client.get(f"/api/v1/automations/{rule_id}", headers=tenant.headers)).json()
    assert api["name"] == "Spanish refunds" and len(api["actions"]) == 3
    # Dry run on a real conversation: shown in the page, nothing changes.
    await incoming(client, tenant.headers, inbox_id, "Quiero un reembolso, por favor")
    dry = await client.post(
        f"/admin/automations/{rule_id}/dry-run", data={"csrf_token": csrf, "conversation": "#1"}
    )
    assert dry.status_code == 200
    assert "text_contains" in dry.text and 'class="dry-result"' in dry.text
    missing = await client.post(
        f"/admin/automations/{rule_id}/dry-run", data={"csrf_token": csrf, "conversation": "999"}
    )
    assert missing.status_code == 422


async def test_macro_round_trip(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    csrf = await _as_admin(client, factory, tenant)
    form = {
        "csrf_token": csrf,
        "name": "Escalate",
        "description": "VIP escalation",
        "action_type": ["set_priority", "add_note"],
        "action_target": ["priority:urgent", ""],
        "action_text": ["", "Escalated to the VIP desk"],
    }
    created = await client.post("/admin/macros/new", data=form)
    assert created.status_code == 303, created.text
    macro_id = created.headers["location"].split("/")[3].split("?")[0]
    api = (await client.get(f"/api/v1/macros/{macro_id}", headers=tenant.headers)).json()
    assert api["actions"] == [
        {"type": "set_priority", "priority": "urgent"},
        {"type": "add_note", "body": "Escalated to the VIP desk"},
    ]
    listing = await client.get("/admin/automations")
    assert "Escalate" in listing.text
    bad = await client.post(
        f"/admin/macros/{macro_id}", data={**form, "action_type": [""], "name": "Nothing"}
    )
    assert bad.status_code == 422 and 'id="actions-error"' in bad.text
