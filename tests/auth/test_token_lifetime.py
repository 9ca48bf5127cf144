"""A token that expires cannot mint one that outlives it; signed-in agents and tokens
without an expiry are not limited."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select

from meridian.auth.models import ApiToken
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from tests.console.helpers import sign_in
from tests.factories import Factory


async def _mint(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, expires_at: datetime | None
) -> httpx.Response:
    body: dict[str, str | None] = {
        "name": name,
        "expires_at": None if expires_at is None else expires_at.isoformat(),
    }
    return await client.post("/api/v1/tokens", json=body, headers=headers)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_an_expiring_token_mints_only_tokens_that_end_no_later(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    ends = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    short = await _mint(client, agent.headers, "a week", ends)
    assert short.status_code == 201, short.text
    weekly = _bearer(short.json()["token"])

    for name, wanted in [
        ("forever", None),
        ("a month", ends + timedelta(days=23)),
        ("a second", ends + timedelta(seconds=1)),
    ]:
        refused = await _mint(client, weekly, name, wanted)
        assert refused.status_code == 403, (name, refused.text)
        problem = refused.json()
        assert problem["code"] == "token_outlives_caller"
        assert problem["errors"][0]["pointer"] == "/expires_at"
    async with db.session() as session:
        names = set(await session.scalars(select(ApiToken.name).where(ApiToken.agent_id == agent.id)))
    assert not names & {"forever", "a month", "a second"}

    # Sooner, or exactly as long, is fine.
    sooner = await _mint(client, weekly, "three days", ends - timedelta(days=4))
    assert sooner.status_code == 201, sooner.text
    same = await _mint(client, weekly, "same end", ends)
    assert same.status_code == 201, same.text
    # And the limit follows the chain: the three-day token cannot reach back to a week.
    three_days = _bearer(sooner.json()["token"])
    assert (await _mint(client, three_days, "back to a week", ends)).status_code == 403


async def test_tokens_without_expiry_and_signed_in_agents_are_not_limited(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    agent = await factory.agent(tenant)
    # The factory's token never expires: it may mint one that never does either.
    forever = await _mint(client, agent.headers, "forever", None)
    assert forever.status_code == 201, forever.text
    far = await _mint(
        client, _bearer(forever.json()["token"]), "nine years", utcnow() + timedelta(days=9 * 365)
    )
    assert far.status_code == 201, far.text

    # A console session is the agent themselves, not a token: no limit either.
    client.cookies.clear()
    csrf = await sign_in(client, agent.email)
    by_session = await client.post(
        "/api/v1/tokens", json={"name": "from the console"}, headers={"x-csrf-token": csrf}
    )
    assert by_session.status_code == 201, by_session.text
    assert by_session.json()["expires_at"] is None
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.agent_id == agent.id)
        )
    # The factory's own token, and the three minted here.
    assert count == 4
