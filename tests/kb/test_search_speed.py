"""Migration 0026's faster full-text and CJK bigram rankings return what the slow ones did."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text

from meridian.auth.tenancy import bind_workspace
from meridian.db.engine import Database
from meridian.kb.search import _BIGRAM, _FULL_TEXT, _INDEXED_BIGRAMS, CANDIDATES
from meridian.kb.textsearch import cjk_bigrams
from tests.factories import Factory
from tests.kb.support import build_kb

# 0022's full-text query, as the reference: every passage, the query parsed per row.
REFERENCE_FULL_TEXT = text(
    """
    WITH q AS (
      SELECT cfg, replace(plainto_tsquery(CAST(cfg AS regconfig), :q)::text, ' & ', ' | ') AS tsq
      FROM (SELECT DISTINCT config AS cfg FROM kb_chunks WHERE workspace_id = :ws) AS configs
    )
    SELECT c.id, ts_rank_cd(c.tsv, CAST(q.tsq AS tsquery)) AS rank
    FROM kb_chunks c
    JOIN q ON q.cfg = c.config
    JOIN kb_articles a ON a.id = c.article_id
    WHERE c.workspace_id = :ws AND a.status = 'published' AND q.tsq <> '' AND c.position >= 0
      AND c.tsv @@ CAST(q.tsq AS tsquery)
    ORDER BY rank DESC, c.id
    LIMIT :limit
    """
)


async def test_full_text_function_matches_the_reference(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    await build_kb(client, db, tenant)
    questions = [
        "how do I send an item back?",
        "accept method",
        "Olvidé mi contraseña",
        "返品したいです",
        "the and of",  # stop words only in english: other configurations still match
        "zzzz nothing like this",
    ]
    async with db.session() as session:
        for question in questions:
            params = {"ws": tenant.workspace_id, "q": question, "limit": CANDIDATES}
            fast = [(row[0], float(row[1])) for row in await session.execute(_FULL_TEXT, params)]
            slow = [(row[0], float(row[1])) for row in await session.execute(REFERENCE_FULL_TEXT, params)]
            assert fast == slow, question
        some = await session.execute(_FULL_TEXT, {"ws": tenant.workspace_id, "q": "return", "limit": 5})
        assert len(list(some)) > 0


async def test_indexed_bigrams_match_the_full_scan(
    client: httpx.AsyncClient, factory: Factory, db: Database
) -> None:
    tenant = await factory.tenant()
    other = await factory.tenant("Other")
    await build_kb(client, db, tenant)
    found = 0
    async with db.session() as session:
        for question in [
            "返品したいです",
            "返品",
            "商品の返品方法",
            "送料はいくらですか",
            "注文をキャンセル",
        ]:
            grams = cjk_bigrams(question)
            assert all(len(g) == 2 for g in grams)
            params = {"ws": tenant.workspace_id, "grams": grams, "limit": CANDIDATES}
            fast = [(row[0], float(row[1])) for row in await session.execute(_INDEXED_BIGRAMS, params)]
            scan = await session.execute(_BIGRAM, {**params, "n": len(grams)})
            # The scan ranks every passage; those with none of the pairs score 0.
            slow = [(row[0], float(row[1])) for row in scan if row[1] > 0]
            assert fast == slow, question
            found += len(fast)
        assert found > 0
        # Bound to another workspace, the function (which runs past the policy) answers nothing.
        await bind_workspace(session, other.workspace_id)
        rows = await session.execute(
            _INDEXED_BIGRAMS, {"ws": tenant.workspace_id, "grams": cjk_bigrams("返品"), "limit": 5}
        )
        assert list(rows) == []


async def test_unknown_workspace_and_empty_question(db: Database) -> None:
    async with db.session() as session:
        rows = await session.execute(_FULL_TEXT, {"ws": uuid.uuid4(), "q": "return", "limit": 5})
        assert list(rows) == []
        rows = await session.execute(_INDEXED_BIGRAMS, {"ws": uuid.uuid4(), "grams": ["返品"], "limit": 5})
        assert list(rows) == []
