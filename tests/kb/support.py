"""A small published knowledge base, indexed for real (multilingual-e5 on the CPU)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from meridian.db.engine import Database
from meridian.kb.demo import load_articles
from meridian.kb.index import reindex_stale
from tests.factories import Tenant

# Four real articles of the demo knowledge base (and its Japanese returns variant).
DEMO = {a.slug: a for a in load_articles() if a.locale == "en"}
ARTICLES = [
    ("returns", "return-policy"),
    ("account", "reset-password"),
    ("shipping", "shipping-times"),
    ("payments", "payment-methods"),
]
JA_RETURNS = next(a for a in load_articles() if a.slug == "return-policy" and a.locale == "ja")


@dataclass
class Kb:
    ids: dict[str, str]
    ja_returns: str


async def build_kb(client: httpx.AsyncClient, db: Database, tenant: Tenant, *, slug: str | None = None) -> Kb:
    ids: dict[str, str] = {}
    for category, article_slug in ARTICLES:
        article = DEMO[article_slug]
        if category not in ids:
            created = await client.post(
                "/api/v1/kb/categories", headers=tenant.headers, json={"name": category}
            )
            assert created.status_code == 201, created.text
        response = await client.post(
            "/api/v1/kb/articles",
            headers=tenant.headers,
            json={
                "title": article.title,
                "body": article.body,
                "slug": article_slug,
                "locale": "en",
                "category": category,
                "status": "published",
            },
        )
        assert response.status_code == 201, response.text
        ids[category] = response.json()["id"]
    variant = await client.post(
        "/api/v1/kb/articles",
        headers=tenant.headers,
        json={
            "title": JA_RETURNS.title,
            "body": JA_RETURNS.body,
            "locale": "ja",
            "master_id": ids["returns"],
            "status": "published",
        },
    )
    assert variant.status_code == 201, variant.text
    draft = await client.post(
        "/api/v1/kb/articles",
        headers=tenant.headers,
        json={
            "title": "Unreleased gift wrapping",
            "body": "Secret draft about gift wrapping.",
            "locale": "en",
        },
    )
    assert draft.status_code == 201
    if slug:
        site = await client.put(
            "/api/v1/kb/site", headers=tenant.headers, json={"slug": slug, "title": "Acme Help"}
        )
        assert site.status_code == 200, site.text
    await reindex_stale(db, workspace_id=tenant.workspace_id)
    return Kb(ids, variant.json()["id"])
