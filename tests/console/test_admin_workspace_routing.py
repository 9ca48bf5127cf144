"""The workspace settings page's intent->skills map and consent keyword lists: saved
through the same actions as ``PATCH /api/v1/workspace`` and
``PUT /api/v1/settings/consent-keywords``; bad input changes nothing."""

from __future__ import annotations

import httpx

from tests.console.helpers import sign_in
from tests.factories import Factory


async def test_intent_skills_from_the_workspace_page(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    admin = await factory.agent(tenant, role="admin")
    csrf = await sign_in(client, admin.email)

    page = await client.get("/admin/workspace")
    assert page.status_code == 200
    assert 'name="intent_skills"' in page.text

    saved = await client.post(
        "/admin/workspace/intent-skills",
        data={
            "intent_skills": "order_status: orders, shipping\n\nrefund_request: billing\n",
            "csrf_token": csrf,
        },
    )
    assert saved.status_code == 303, saved.text
    workspace = (await client.get("/api/v1/workspace", headers=tenant.headers)).json()
    assert workspace["intent_skills"] == {
        "order_status": ["orders", "shipping"],
        "refund_request": ["billing"],
    }
    shown = await client.get("/admin/workspace")
    assert "order_status: orders, shipping\nrefund_request: billing" in shown.text

    for text in ("Order Status: orders", "order_status orders", ": orders"):
        refused = await client.post(
            "/admin/workspace/intent-skills", data={"intent_skills": text, "csrf_token": csrf}
        )
        assert refused.status_code == 422, text
        # What was typed comes back to be corrected, marked invalid.
        assert 'id="f-intent_skills"' in refused.text and 'aria-invalid="true"' in refused.text
    after = (await client.get("/api/v1/workspace", headers=tenant.headers)).json()
    assert after["intent_skills"] == workspace["intent_skills"]

    # An empty box clears the map.
    cleared = await client.post(
        "/admin/workspace/intent-skills", data={"intent_skills": "", "csrf_token": csrf}
    )
    assert cleared.status_code == 303
    assert (await client.get("/api/v1/workspace", headers=tenant.headers)).json()["intent_skills"] == {}


async def test_consent_keywords_from_the_workspace_page(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    admin = await factory.agent(tenant, role="admin")
    csrf = await sign_in(client, admin.email)

    defaults = (await client.get("/api/v1/settings/consent-keywords", headers=tenant.headers)).json()
    page = await client.get("/admin/workspace")
    assert ", ".join(defaults["opt_out"]) in page.text

    saved = await client.post(
        "/admin/workspace/consent-keywords",
        data={"opt_out": "STOP, PARAR, Abbestellen", "opt_in": "START, COMEÇAR", "csrf_token": csrf},
    )
    assert saved.status_code == 303, saved.text
    stored = (await client.get("/api/v1/settings/consent-keywords", headers=tenant.headers)).json()
    assert stored == {"opt_out": ["STOP", "PARAR", "Abbestellen"], "opt_in": ["START", "COMEÇAR"]}

    for opt_out, opt_in in (("STOP", "stop"), ("STOP", "x" * 100)):
        refused = await client.post(
            "/admin/workspace/consent-keywords",
            data={"opt_out": opt_out, "opt_in": opt_in, "csrf_token": csrf},
        )
        assert refused.status_code == 422, (opt_out, opt_in)
        assert 'id="f-opt_in" name="opt_in"' in refused.text and 'aria-invalid="true"' in refused.text
    assert (await client.get("/api/v1/settings/consent-keywords", headers=tenant.headers)).json() == stored


async def test_consent_keywords_need_the_privacy_permission(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, role="agent")
    csrf = await sign_in(client, agent.email)
    before = (await client.get("/api/v1/settings/consent-keywords", headers=tenant.headers)).json()
    refused = await client.post(
        "/admin/workspace/consent-keywords", data={"opt_out": "X", "opt_in": "Y", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    refused = await client.post(
        "/admin/workspace/intent-skills", data={"intent_skills": "", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    assert (await client.get("/api/v1/settings/consent-keywords", headers=tenant.headers)).json() == before
