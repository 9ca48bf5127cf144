"""Article lifecycle over the API: drafts, review, publishing, versions, variants."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from tests.factories import Factory


async def test_lifecycle_draft_review_publish(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    writer = await factory.agent(tenant)
    reviewer = await factory.agent(tenant, role="supervisor")
    category = await client.post(
        "/api/v1/kb/categories",
        headers=tenant.headers,
        json={"name": "Returns", "names": {"es": "Devoluciones"}},
    )
    assert category.status_code == 201, category.text
    assert category.json()["slug"] == "returns"

    created = await client.post(
        "/api/v1/kb/articles",
        headers=writer.headers,
        json={
            "title": "How to return an item",
            "body": "You can return items within **30 days**.\n\n<script>alert(1)</script>[x](javascript:alert(1))",
            "locale": "en",
            "category": "returns",
        },
    )
    assert created.status_code == 201, created.text
    article = created.json()
    assert article["status"] == "draft" and article["version"] == 1 and article["url"] is None
    assert article["slug"] == "how-to-return-an-item" and article["category"] == "returns"
    assert "<strong>30 days</strong>" in article["body_html"]
    # Raw HTML is shown as text, and Markdown cannot smuggle a javascript: link.
    assert "<script>" not in article["body_html"] and 'href="javascript' not in article["body_html"]

    url = f"/api/v1/kb/articles/{article['id']}"
    assert (await client.patch(url, headers=writer.headers, json={"status": "in_review"})).status_code == 200
    # An agent cannot approve their own article: publishing needs a reviewer.
    refused = await client.patch(url, headers=writer.headers, json={"status": "published"})
    assert refused.status_code == 403
    published = await client.patch(url, headers=reviewer.headers, json={"status": "published"})
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["status"] == "published" and body["reviewer_id"] == str(reviewer.id)
    assert body["published_at"] is not None and body["url"].endswith("/en/articles/how-to-return-an-item")

    listed = await client.get("/api/v1/kb/articles?status=published", headers=writer.headers)
    assert [a["id"] for a in listed.json()["items"]] == [article["id"]]


async def test_unknown_category_and_fields_are_422(client: httpx.AsyncClient, factory: Factory) -> None:
    tenant = await factory.tenant()
    bad = await client.post(
        "/api/v1/kb/articles", headers=tenant.headers, json={"title": "T", "category": "nope"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/category"
    extra = await client.post("/api/v1/kb/articles", headers=tenant.headers, json={"title": "T", "bogus": 1})
    assert extra.status_code == 422
    locale = await client.post(
        "/api/v1/kb/articles", headers=tenant.headers, json={"title": "T", "locale": "xx-??"}
    )
    assert locale.status_code == 422
    missing = await client.get("/api/v1/kb/articles/not-an-id", headers=tenant.headers)
    assert missing.status_code == 404


async def test_versions_diffs_and_outdated_variants(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    master = (
        await client.post(
            "/api/v1/kb/articles",
            headers=tenant.headers,
            json={"title": "Refunds", "body": "Refunds take 5 days.", "locale": "en", "status": "published"},
        )
    ).json()
    variant = await client.post(
        "/api/v1/kb/articles",
        headers=tenant.headers,
        json={
            "title": "Reembolsos",
            "body": "Los reembolsos tardan 5 días.",
            "locale": "es",
            "master_id": master["id"],
        },
    )
    assert variant.status_code == 201, variant.text
    variant_id = variant.json()["id"]
    assert variant.json()["slug"] == "refunds" and variant.json()["outdated"] is False
    duplicate = await client.post(
        "/api/v1/kb/articles",
        headers=tenant.headers,
        json={"title": "Otra", "locale": "es", "master_id": master["id"]},
    )
    assert duplicate.status_code == 409

    # A title-only or status-only change of the master does not touch versions of the variant...
    changed = await client.patch(
        f"/api/v1/kb/articles/{master['id']}", headers=tenant.headers, json={"body": "Refunds take 3 days."}
    )
    assert changed.json()["version"] == 2
    assert changed.json()["variants"] == [
        {"id": variant_id, "locale": "es", "status": "draft", "outdated": True}
    ]
    # ...but the body change flags the translation as outdated until someone updates it.
    fixed = await client.patch(
        f"/api/v1/kb/articles/{variant_id}",
        headers=tenant.headers,
        json={"body": "Los reembolsos tardan 3 días."},
    )
    assert fixed.json()["outdated"] is False and fixed.json()["version"] == 2

    versions = await client.get(f"/api/v1/kb/articles/{master['id']}/versions", headers=tenant.headers)
    assert [v["number"] for v in versions.json()["items"]] == [2, 1]
    diff = await client.get(f"/api/v1/kb/articles/{master['id']}/versions/2/diff", headers=tenant.headers)
    assert diff.status_code == 200
    assert "-Refunds take 5 days.\n+Refunds take 3 days.\n" in diff.json()["diff"]
    assert (
        await client.get(f"/api/v1/kb/articles/{master['id']}/versions/9/diff", headers=tenant.headers)
    ).status_code == 404

    # Every change queued a re-index job, inside the change's own transaction.
    async with db.session() as session:
        jobs = await session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'kb.reindex_article' AND args->>'article_id' = :a"
            ),
            {"a": master["id"]},
        )
    assert jobs and jobs >= 1


async def test_marking_a_variant_reviewed_clears_outdated(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    master = (
        await client.post(
            "/api/v1/kb/articles", headers=tenant.headers, json={"title": "Shipping", "body": "a"}
        )
    ).json()
    variant = (
        await client.post(
            "/api/v1/kb/articles",
            headers=tenant.headers,
            json={"title": "Versand", "body": "a", "locale": "de", "master_id": master["id"]},
        )
    ).json()
    await client.patch(f"/api/v1/kb/articles/{master['id']}", headers=tenant.headers, json={"body": "b"})
    outdated = await client.get("/api/v1/kb/articles?outdated=true", headers=tenant.headers)
    assert [a["id"] for a in outdated.json()["items"]] == [variant["id"]]
    reviewed = await client.patch(
        f"/api/v1/kb/articles/{variant['id']}", headers=tenant.headers, json={"outdated": False}
    )
    assert reviewed.json()["outdated"] is False and reviewed.json()["version"] == 1


async def test_other_workspace_sees_nothing(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await factory.tenant("Owner")
    intruder = await factory.tenant("Intruder")
    article = (
        await client.post(
            "/api/v1/kb/articles", headers=owner.headers, json={"title": "Secret draft", "body": "x"}
        )
    ).json()
    url = f"/api/v1/kb/articles/{article['id']}"
    assert (await client.get(url, headers=intruder.headers)).status_code == 404
    assert (await client.patch(url, headers=intruder.headers, json={"title": "pwned"})).status_code == 404
    assert (await client.get(f"{url}/versions", headers=intruder.headers)).status_code == 404
    variant = await client.post(
        "/api/v1/kb/articles",
        headers=intruder.headers,
        json={"title": "x", "locale": "fr", "master_id": article["id"]},
    )
    assert variant.status_code == 422
    assert (await client.get("/api/v1/kb/articles", headers=intruder.headers)).json()["items"] == []
    assert (await client.get(url, headers=owner.headers)).json()["title"] == "Secret draft"
