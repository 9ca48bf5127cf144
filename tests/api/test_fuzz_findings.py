"""Regressions for what the schemathesis drill (tests/drills/test_fuzz_api.py) found:
each answered 500 before its fix."""

from __future__ import annotations

import httpx

from tests.factories import Factory


async def test_explicit_null_in_a_rule_condition_is_accepted(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    rule = {
        "name": "Null channel",
        "event": "conversation.created",
        "conditions": {"channel": None, "tags_any": None},
        "actions": [{"type": "add_tag", "tag": "vip"}],
    }
    created = await client.post("/api/v1/automations", headers=tenant.headers, json=rule)
    assert created.status_code == 201, created.text
    too_many = {**rule, "conditions": {"channel": ["email"] * 101}}
    refused = await client.post("/api/v1/automations", headers=tenant.headers, json=too_many)
    assert refused.status_code == 422


async def test_a_nul_character_is_a_client_error_and_stores_nothing(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    before = (await client.get("/api/v1/kb/categories", headers=tenant.headers)).json()
    answer = await client.post("/api/v1/kb/categories", headers=tenant.headers, json={"name": "Ship\x00ping"})
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    listed = await client.get("/api/v1/kb/categories", headers=tenant.headers, params={"q": "a\x00b"})
    assert listed.status_code < 500
    assert (await client.get("/api/v1/kb/categories", headers=tenant.headers)).json() == before
