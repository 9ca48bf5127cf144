"""``/api/v1/tokens``: an agent mints, lists and revokes their own API tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from meridian.audit.models import AuditEntry
from meridian.auth.models import ApiToken
from meridian.auth.tokens import MAX_ACTIVE
from meridian.core.clock import utcnow
from meridian.core.crypto import sha256_hex
from meridian.db.engine import Database
from tests.factories import Factory


async def _rows(db: Database, agent_id: uuid.UUID) -> list[ApiToken]:
    async with db.session() as session:
        return list(await session.scalars(select(ApiToken).where(ApiToken.agent_id == agent_id)))


async def _audit(db: Database, workspace_id: uuid.UUID, action: str) -> list[AuditEntry]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.workspace_id == workspace_id, AuditEntry.action == action)
            )
        )


async def test_mint_use_list_and_revoke(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant, name="Ana")
    expires = (utcnow() + timedelta(days=30)).replace(microsecond=0)

    created = await client.post(
        "/api/v1/tokens",
        json={"name": "  nightly export ", "expires_at": expires.isoformat()},
        headers=agent.headers,
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    token = created.json()
    secret = token["token"]
    assert secret.startswith("mrd_") and token["prefix"] == secret[:12]
    assert (token["name"], token["status"], token["last_used_at"]) == ("nightly export", "active", None)
    assert token["expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M:%S"))

    # Only the hash is stored; the secret is nowhere in the row.
    row = next(r for r in await _rows(db, agent.id) if str(r.id) == token["id"])
    assert row.token_hash == sha256_hex(secret)
    assert secret not in repr(vars(row))

    # The new token is the agent's: it reads /me as them, and "last used" follows.
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == str(agent.id)
    listed = (await client.get("/api/v1/tokens", headers=agent.headers)).json()["items"]
    mine = next(t for t in listed if t["id"] == token["id"])
    assert mine["last_used_at"] is not None
    # The secret is shown once: never in a listing.
    assert all("token" not in t for t in listed)
    assert secret not in str(listed)

    # Another agent (even the admin) neither sees nor revokes it.
    others = (await client.get("/api/v1/tokens", headers=tenant.headers)).json()["items"]
    assert token["id"] not in {t["id"] for t in others}
    refused = await client.delete(f"/api/v1/tokens/{token['id']}", headers=tenant.headers)
    assert refused.status_code == 404
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})).status_code == 200

    revoked = await client.delete(f"/api/v1/tokens/{token['id']}", headers=agent.headers)
    assert revoked.status_code == 204
    gone = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401
    listed = (await client.get("/api/v1/tokens", headers=agent.headers)).json()["items"]
    assert next(t for t in listed if t["id"] == token["id"])["status"] == "revoked"
    # Revoking again changes nothing and records nothing more.
    assert (await client.delete(f"/api/v1/tokens/{token['id']}", headers=agent.headers)).status_code == 204

    made = await _audit(db, tenant.workspace_id, "api_token.created")
    dropped = await _audit(db, tenant.workspace_id, "api_token.revoked")
    assert [(e.actor_id, e.target, e.details["name"]) for e in made] == [
        (agent.id, f"api_token:{token['id']}", "nightly export")
    ]
    assert [(e.actor_id, e.target) for e in dropped] == [(agent.id, f"api_token:{token['id']}")]
    assert secret not in str([e.details for e in made + dropped])


async def test_an_expired_token_stops_working(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    created = await client.post("/api/v1/tokens", json={"name": "short-lived"}, headers=tenant.headers)
    assert created.status_code == 201, created.text
    token = created.json()
    assert token["expires_at"] is None
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
    async with db.session() as session:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id == uuid.UUID(token["id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401
    listed = (await client.get("/api/v1/tokens", headers=tenant.headers)).json()["items"]
    assert next(t for t in listed if t["id"] == token["id"])["status"] == "expired"


async def test_bad_input_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    before = len(await _rows(db, agent.id))
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    far = (utcnow() + timedelta(days=3651)).isoformat()
    for body, status in [
        ({"name": ""}, 422),
        ({"name": "   "}, 422),
        ({"name": "x" * 201}, 422),
        ({}, 422),
        ({"name": "ok", "expires_at": "2030-01-01T00:00:00"}, 422),  # no offset
        ({"name": "ok", "expires_at": "tomorrow"}, 422),
        ({"name": "ok", "expires_at": past}, 422),
        ({"name": "ok", "expires_at": far}, 422),
        ({"name": "ok", "scopes": ["all"]}, 422),
        ([], 422),
    ]:
        response = await client.post("/api/v1/tokens", json=body, headers=agent.headers)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    malformed = await client.post(
        "/api/v1/tokens", content=b"{not json", headers={**agent.headers, "content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert (await client.delete("/api/v1/tokens/not-an-id", headers=agent.headers)).status_code == 404
    assert (await client.delete(f"/api/v1/tokens/{uuid.uuid4()}", headers=agent.headers)).status_code == 404
    assert (await client.get("/api/v1/tokens")).status_code == 401
    assert len(await _rows(db, agent.id)) == before
    assert await _audit(db, tenant.workspace_id, "api_token.created") == []


async def test_active_tokens_are_capped(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    existing = len(await _rows(db, agent.id))
    for n in range(MAX_ACTIVE - existing):
        made = await client.post("/api/v1/tokens", json={"name": f"script {n}"}, headers=agent.headers)
        assert made.status_code == 201, made.text
    refused = await client.post("/api/v1/tokens", json={"name": "one too many"}, headers=agent.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "token_limit"
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.agent_id == agent.id)
        )
    assert count == MAX_ACTIVE
    # Revoking one makes room again.
    listed = (await client.get("/api/v1/tokens", headers=agent.headers)).json()["items"]
    first = next(t for t in listed if t["name"] == "script 0")
    assert (await client.delete(f"/api/v1/tokens/{first['id']}", headers=agent.headers)).status_code == 204
    again = await client.post("/api/v1/tokens", json={"name": "replacement"}, headers=agent.headers)
    assert again.status_code == 201, again.text
