"""The profile's API tokens page: create (the secret shown once), list, revoke."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import select

from meridian.auth.models import ApiToken
from meridian.db.engine import Database
from tests.console.helpers import sign_in
from tests.factories import Factory

NEW_TOKEN = re.compile(r'id="new-token" readonly value="(mrd_[^"]+)"')


async def _count(db: Database, agent_id: uuid.UUID) -> int:
    async with db.session() as session:
        return len(list(await session.scalars(select(ApiToken.id).where(ApiToken.agent_id == agent_id))))


async def test_create_list_and_revoke_from_the_profile(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Ana")
    other = await factory.agent(tenant, name="Bo")
    csrf = await sign_in(client, agent.email)

    profile = await client.get("/profile")
    assert 'href="/profile/tokens"' in profile.text
    page = await client.get("/profile/tokens")
    assert page.status_code == 200
    assert "Create token" in page.text

    created = await client.post(
        "/profile/tokens", data={"name": "Reporting script", "expiry": "30", "csrf_token": csrf}
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    match = NEW_TOKEN.search(created.text)
    assert match, "the new token is not on the page"
    secret = match.group(1)
    assert "it will not be shown again" in created.text
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/me", headers=bearer)).json()["id"] == str(agent.id)

    # Listed by name and prefix; the secret itself never again.
    again = await client.get("/profile/tokens")
    assert "Reporting script" in again.text and secret[:12] in again.text
    assert secret not in again.text
    async with db.session() as session:
        row = await session.scalar(
            select(ApiToken).where(ApiToken.agent_id == agent.id, ApiToken.name == "Reporting script")
        )
    assert row is not None and row.expires_at is not None

    # Someone else's token id is not found, and keeps working.
    async with db.session() as session:
        theirs = await session.scalar(select(ApiToken.id).where(ApiToken.agent_id == other.id))
    refused = await client.post(f"/profile/tokens/{theirs}/revoke", data={"csrf_token": csrf})
    assert refused.status_code == 404
    assert (await client.get("/api/v1/me", headers=other.headers)).status_code == 200
    assert (
        await client.post("/profile/tokens/nonsense/revoke", data={"csrf_token": csrf})
    ).status_code == 404

    revoked = await client.post(f"/profile/tokens/{row.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/profile/tokens?notice=token_revoked"
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401
    listed = await client.get("/profile/tokens?notice=token_revoked")
    assert "The token was revoked." in listed.text
    assert f'data-token-id="{row.id}" data-status="revoked"' in listed.text


async def test_bad_forms_change_nothing(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, locale="de")
    csrf = await sign_in(client, agent.email)
    before = await _count(db, agent.id)

    blank = await client.post("/profile/tokens", data={"name": "   ", "expiry": "90", "csrf_token": csrf})
    assert blank.status_code == 422
    # In the agent's language.
    assert "Geben Sie dem Token einen Namen" in blank.text
    odd = await client.post("/profile/tokens", data={"name": "x", "expiry": "9999", "csrf_token": csrf})
    assert odd.status_code == 422
    no_csrf = await client.post("/profile/tokens", data={"name": "x", "expiry": "90"})
    assert no_csrf.status_code == 403
    assert await _count(db, agent.id) == before

    client.cookies.clear()
    signed_out = await client.get("/profile/tokens")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login")
