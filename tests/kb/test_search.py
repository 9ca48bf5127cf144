"""Hybrid search: ranking, cross-lingual matches, locale variants, full-text fallback."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select, text

from meridian.db.engine import Database
from meridian.kb.index import reindex_article
from meridian.kb.models import KbArticle, KbChunk
from meridian.kb.search import search
from tests.factories import Factory
from tests.kb.support import build_kb


async def test_ranking_cross_lingual_and_variants(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    kb = await build_kb(client, db, tenant)

    english = await client.get(
        "/api/v1/kb/search", headers=tenant.headers, params={"q": "how do I send an item back?"}
    )
    assert english.status_code == 200, english.text
    body = english.json()
    assert body["mode"] == "hybrid"
    assert body["items"][0]["article_id"] == kb.ids["returns"]
    assert set(body["items"][0]) >= {"article_id", "title", "locale", "score", "snippet"}
    assert body["items"][0]["score"] > body["items"][-1]["score"] or len(body["items"]) == 1

    # A Spanish question finds the English article: no Spanish text exists anywhere.
    spanish = (
        await client.get(
            "/api/v1/kb/search",
            headers=tenant.headers,
            params={"q": "Olvidé mi contraseña, ¿qué hago?", "locale": "es"},
        )
    ).json()
    assert spanish["items"][0]["article_id"] == kb.ids["account"]
    assert spanish["items"][0]["locale"] == "en"

    # Asked in Japanese, the returns family is shown in its Japanese variant.
    japanese = (
        await client.get(
            "/api/v1/kb/search", headers=tenant.headers, params={"q": "返品したいです", "locale": "ja"}
        )
    ).json()
    assert japanese["items"][0]["article_id"] == kb.ja_returns
    assert japanese["items"][0]["title"] == "商品の返品方法"
    assert "/ja/articles/return-policy" in japanese["items"][0]["url"]

    # Drafts are never found.
    drafts = (
        await client.get("/api/v1/kb/search", headers=tenant.headers, params={"q": "gift wrapping"})
    ).json()
    assert all(item["title"] != "Unreleased gift wrapping" for item in drafts["items"])


async def test_full_text_alone_and_cjk_trigrams(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    kb = await build_kb(client, db, tenant)
    async with db.session() as session:
        # Stemming: "methods"/"accepted" match "method"/"accept" with the english configuration.
        hits = await search(session, workspace_id=tenant.workspace_id, query="accept method", embedder=False)
        assert hits[0].article_id.hex == kb.ids["payments"].replace("-", "")
        assert hits[0].similarity is None and hits[0].full_text_rank == 1
        # Japanese has no spaces between words: trigrams find the variant.
        cjk = await search(session, workspace_id=tenant.workspace_id, query="返品", embedder=False)
        assert cjk and "trigram" in cjk[0].signals
        assert str(cjk[0].matched_article_id) == kb.ja_returns


async def test_changes_reach_the_index(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    kb = await build_kb(client, db, tenant)
    article_id = kb.ids["shipping"]
    await client.patch(
        f"/api/v1/kb/articles/{article_id}",
        headers=tenant.headers,
        json={"body": "Parcels to Iceland travel by ferry and take two weeks."},
    )
    async with db.session() as session:
        article = await session.get(KbArticle, __import__("uuid").UUID(article_id))
        assert article is not None and article.indexed_version == 0
    assert await reindex_article(db, article.id)
    async with db.session() as session:
        hits = await search(session, workspace_id=tenant.workspace_id, query="ferry Iceland", embedder=False)
        assert str(hits[0].article_id) == article_id
        # Unpublishing removes the article's passages.
        await session.execute(
            text("UPDATE kb_articles SET status = 'draft', updated_at = now() WHERE id = :i"),
            {"i": article_id},
        )
        await session.commit()
    await reindex_article(db, article.id)
    async with db.session() as session:
        count = await session.scalar(select(func.count()).where(KbChunk.article_id == article.id))
        assert count == 0


async def test_search_is_per_workspace(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    owner = await factory.tenant("Owner")
    await build_kb(client, db, owner)
    intruder = await factory.tenant("Intruder")
    found = await client.get("/api/v1/kb/search", headers=intruder.headers, params={"q": "return an item"})
    assert found.status_code == 200 and found.json()["items"] == []
    assert (await client.get("/api/v1/kb/search", params={"q": "x"})).status_code == 401
