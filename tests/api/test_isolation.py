"""One workspace can never read or change another's data, on any endpoint."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Factory, Tenant


async def _seed(client: httpx.AsyncClient, factory: Factory) -> tuple[Tenant, dict[str, str]]:
    owner = await factory.tenant("Owner")
    team_id = await factory.team(owner, name="Berlin", timezone="Europe/Berlin")
    agent = await factory.agent(owner, name="Lena")
    inbox_id, _ = await factory.inbox(owner)
    incoming = await client.post(
        f"/api/v1/inboxes/{inbox_id}/incoming",
        headers=owner.headers,
        json={"contact": {"identifier": "secret-customer", "name": "Hidden"}, "body": "owner's private text"},
    )
    conv = incoming.json()["conversation_id"]
    contact = (await client.get(f"/api/v1/conversations/{conv}", headers=owner.headers)).json()["contact"][
        "id"
    ]
    category = await client.post("/api/v1/kb/categories", headers=owner.headers, json={"name": "Returns"})
    article = await client.post(
        "/api/v1/kb/articles",
        headers=owner.headers,
        json={
            "title": "Owner's return policy",
            "body": "Thirty days.",
            "category": "returns",
            "locale": "en",
        },
    )
    assert article.status_code == 201, article.text
    reply = await client.post(
        f"/api/v1/conversations/{conv}/messages", headers=owner.headers, json={"body": "owner's reply"}
    )
    return owner, {
        "category": category.json()["id"],
        "article": article.json()["id"],
        "reply": reply.json()["id"],
        "team": str(team_id),
        "agent": str(agent.id),
        "inbox": str(inbox_id),
        "conversation": conv,
        "contact": contact,
    }


READS: list[tuple[str, str, object]] = [
    ("GET", "/api/v1/teams/{team}", None),
    ("GET", "/api/v1/agents/{agent}", None),
    ("GET", "/api/v1/inboxes/{inbox}", None),
    ("GET", "/api/v1/contacts/{contact}", None),
    ("GET", "/api/v1/conversations/{conversation}", None),
    ("GET", "/api/v1/conversations/{conversation}/messages", None),
    ("GET", "/api/v1/contacts/{contact}/export", None),
    ("GET", "/api/v1/contacts/{contact}/consents", None),
    ("GET", "/api/v1/contacts/{contact}/conversations", None),
    ("GET", "/api/v1/contacts/{contact}/merges", None),
    ("GET", "/api/v1/kb/articles/{article}", None),
    ("GET", "/api/v1/kb/articles/{article}/versions", None),
    ("GET", "/api/v1/kb/articles/{article}/versions/1/diff", None),
]
WRITES: list[tuple[str, str, object]] = [
    ("PATCH", "/api/v1/teams/{team}", {"name": "pwned"}),
    ("PATCH", "/api/v1/agents/{agent}", {"name": "pwned"}),
    ("PATCH", "/api/v1/inboxes/{inbox}", {"name": "pwned"}),
    ("PATCH", "/api/v1/contacts/{contact}", {"name": "pwned"}),
    ("DELETE", "/api/v1/contacts/{contact}", None),
    ("PATCH", "/api/v1/conversations/{conversation}", {"status": "resolved"}),
    ("POST", "/api/v1/conversations/{conversation}/messages", {"body": "pwned"}),
    ("POST", "/api/v1/inboxes/{inbox}/incoming", {"contact": {"identifier": "x"}, "body": "pwned"}),
    ("POST", "/api/v1/contacts/{contact}/erase", None),
    ("POST", "/api/v1/contacts/{contact}/consents", {"purpose": "marketing", "granted": True}),
    ("POST", "/api/v1/contacts/{contact}/merge", {"other_contact_id": "{contact}"}),
    ("PATCH", "/api/v1/kb/articles/{article}", {"title": "pwned", "status": "published"}),
    ("PATCH", "/api/v1/kb/categories/{category}", {"name": "pwned"}),
    ("POST", "/api/v1/kb/articles/from-message", {"message_id": "{reply}", "title": "pwned"}),
]


@pytest.mark.parametrize(("method", "path", "body"), READS + WRITES)
async def test_other_workspace_gets_404_and_changes_nothing(
    client: httpx.AsyncClient, factory: Factory, method: str, path: str, body: object
) -> None:
    owner, ids = await _seed(client, factory)
    intruder = await factory.tenant("Intruder")
    url = path.format(**ids)
    if isinstance(body, dict) and "message_id" in body:
        body = {**body, "message_id": ids["reply"]}
    if isinstance(body, dict) and body.get("other_contact_id") == "{contact}":
        body = {**body, "other_contact_id": ids["contact"]}
    response = await client.request(method, url, json=body, headers=intruder.headers)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    # The owner still sees everything exactly as before.
    conv = (await client.get(f"/api/v1/conversations/{ids['conversation']}", headers=owner.headers)).json()
    assert conv["status"] == "open" and conv["contact"]["name"] == "Hidden"
    msgs = (
        await client.get(f"/api/v1/conversations/{ids['conversation']}/messages", headers=owner.headers)
    ).json()
    assert [m["body"] for m in msgs["items"]] == ["owner's private text", "owner's reply"]
    team = (await client.get(f"/api/v1/teams/{ids['team']}", headers=owner.headers)).json()
    assert team["name"] == "Berlin"
    article = (await client.get(f"/api/v1/kb/articles/{ids['article']}", headers=owner.headers)).json()
    assert (article["title"], article["status"]) == ("Owner's return policy", "draft")
    categories = (await client.get("/api/v1/kb/categories", headers=owner.headers)).json()["items"]
    assert [c["name"] for c in categories] == ["Returns"]
    assert (await client.get("/api/v1/kb/articles", headers=intruder.headers)).json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/teams",
        "/api/v1/agents",
        "/api/v1/inboxes",
        "/api/v1/contacts",
        "/api/v1/conversations",
        "/api/v1/conversations?q=private",
        "/api/v1/kb/articles",
        "/api/v1/kb/categories",
        "/api/v1/kb/search?q=return+policy",
    ],
)
async def test_lists_never_include_other_workspaces(
    client: httpx.AsyncClient, factory: Factory, path: str
) -> None:
    owner, ids = await _seed(client, factory)
    intruder = await factory.tenant("Intruder")
    listing = (await client.get(path, headers=intruder.headers)).json()
    found = {item.get("id") or item.get("article_id") for item in listing["items"]}
    assert not found & set(ids.values())


async def test_a_variant_cannot_hang_off_another_workspaces_article(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner, ids = await _seed(client, factory)
    intruder = await factory.tenant("Intruder")
    response = await client.post(
        "/api/v1/kb/articles",
        headers=intruder.headers,
        json={"title": "Política", "locale": "es", "master_id": ids["article"]},
    )
    assert response.status_code == 422, response.text
    assert (await client.get("/api/v1/kb/articles", headers=intruder.headers)).json()["items"] == []
    owned = (await client.get(f"/api/v1/kb/articles/{ids['article']}", headers=owner.headers)).json()
    assert owned["variants"] == []


async def test_agent_role_cannot_use_admin_endpoints(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await factory.tenant()
    agent = await factory.agent(owner)
    for method, path, body in [
        ("POST", "/api/v1/teams", {"name": "x"}),
        ("POST", "/api/v1/agents", {"email": "a@b.co", "name": "x"}),
        ("POST", "/api/v1/inboxes", {"name": "x", "channel": "api"}),
    ]:
        response = await client.request(method, path, json=body, headers=agent.headers)
        assert response.status_code == 403, (path, response.text)


async def test_agent_sees_own_team_and_unowned_but_not_other_teams(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner = await factory.tenant()
    mexico = await factory.team(owner, name="Mexico City", timezone="America/Mexico_City")
    berlin = await factory.team(owner, name="Berlin", timezone="Europe/Berlin")
    lena = await factory.agent(owner, team_ids=[berlin])
    mx_inbox, _ = await factory.inbox(owner, team_id=mexico)
    de_inbox, _ = await factory.inbox(owner, team_id=berlin)
    mx = await client.post(
        f"/api/v1/inboxes/{mx_inbox}/incoming",
        headers=owner.headers,
        json={"contact": {"identifier": "m"}, "body": "hola"},
    )
    de = await client.post(
        f"/api/v1/inboxes/{de_inbox}/incoming",
        headers=owner.headers,
        json={"contact": {"identifier": "d"}, "body": "hallo"},
    )
    seen = {
        c["id"] for c in (await client.get("/api/v1/conversations", headers=lena.headers)).json()["items"]
    }
    assert de.json()["conversation_id"] in seen
    assert mx.json()["conversation_id"] not in seen
    hidden = await client.get(f"/api/v1/conversations/{mx.json()['conversation_id']}", headers=lena.headers)
    assert hidden.status_code == 404
