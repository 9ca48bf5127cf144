"""Bad input of any kind: a clear 4xx problem document, nothing written."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Factory


async def test_unauthenticated_and_bad_tokens(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer mrd_nope"}, {"Authorization": "Basic abc"}):
        response = await client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["status"] == 401 and response.json()["detail"]


async def test_malformed_json_is_400(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/teams", content=b'{"name": ', headers={**tenant.headers, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/name"),
        ({"name": 42}, "/name"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "/timezone"),
        ({"name": "x", "languages": ["not a tag!"]}, "/languages/0"),
        ({"name": "x", "business_hours": {"mon": [["09:00", "25:00"]]}}, "/business_hours"),
        ({"name": "x", "unknown_field": 1}, "/unknown_field"),
    ],
)
async def test_validation_errors_name_the_field(
    client: httpx.AsyncClient, factory: Factory, body: dict[str, object], pointer: str
) -> None:
    tenant = await factory.tenant()
    response = await client.post("/api/v1/teams", json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["title"] and problem["detail"]
    assert any(e["pointer"].startswith(pointer) for e in problem["errors"]), problem
    listing = (await client.get("/api/v1/teams", headers=tenant.headers)).json()
    assert listing["items"] == []


async def test_oversized_body_is_413_and_stores_nothing(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    huge = "x" * (11 * 1024 * 1024)
    response = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": "big"}, "body": huge},
    )
    assert response.status_code == 413
    assert (await client.get("/api/v1/conversations", headers=tenant.headers)).json()["items"] == []


async def test_unknown_and_malformed_ids_are_404(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    for path in (
        "/api/v1/conversations/not-an-id",
        "/api/v1/conversations/00000000-0000-0000-0000-000000000000",
        "/api/v1/teams/xyz",
        "/api/v1/inboxes/123/incoming",
    ):
        method = "POST" if path.endswith("incoming") else "GET"
        response = await client.request(
            method,
            path,
            headers=tenant.headers,
            json={"contact": {"identifier": "a"}, "body": "b"} if method == "POST" else None,
        )
        assert response.status_code == 404, path


async def test_bad_query_parameters_are_422(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    for query in ("status=closed", "limit=0", "limit=abc", "cursor=garbage", "assignee_id=xyz"):
        response = await client.get(f"/api/v1/conversations?{query}", headers=tenant.headers)
        assert response.status_code == 422, query


async def test_wrong_channel_config_is_422(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    response = await client.post(
        "/api/v1/inboxes",
        headers=tenant.headers,
        json={"name": "x", "channel": "api", "config": {"webhook_url": "not a url"}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"].startswith("/config/webhook_url")


async def test_outside_window_reply_is_refused_before_sending(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    # The api channel has no window; this checks the flag path does not block it.
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    incoming = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=tenant.headers,
        json={"contact": {"identifier": "w"}, "body": "hi"},
    )
    reply = await client.post(
        f"/api/v1/conversations/{incoming.json()['conversation_id']}/messages",
        headers=tenant.headers,
        json={"body": "hello"},
    )
    assert reply.status_code == 201


async def test_health_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    # No worker runs in this test app: readiness must say so rather than lie.
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["migrations"] == "ok"
    metrics = await client.get("/metrics")
    assert "meridian_http_requests_total" in metrics.text
