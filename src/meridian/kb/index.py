"""Keeping the search index (``kb_chunks``) in step with published articles.

An article change marks the article stale (``indexed_version = 0``) in the change's own
transaction and defers ``kb.reindex_article``; a periodic sweep re-defers anything still
stale, so an index update is never lost even if a deferral is. Embedding takes a while,
so it happens outside any transaction; the write then checks, under a row lock, that the
article did not change meanwhile (if it did, the newer job writes instead).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.core.ids import new_id
from meridian.db.engine import Database
from meridian.kb.embed import Embedder, EmbeddingError, get_embedder, vector_literal
from meridian.kb.models import KbArticle, KbChunk
from meridian.kb.render import chunk_article
from meridian.kb.textsearch import config_for

log = logging.getLogger(__name__)

# The article's title alone, embedded as one more passage (vectors only; full text and
# trigrams skip it). A short question is closer to a short title than to a 700-character
# passage, above all across languages; search scores an article by the mean of its title's
# and its best passage's similarity (kb/search.py, docs/knowledge-base-and-bot.md).
TITLE_POSITION = -1

_vectors: dict[str, bool] = {}


async def vectors_enabled(session: AsyncSession) -> bool:
    """Whether ``kb_chunks.embedding`` exists (migration 0007 adds it only with pgvector)."""
    key = str(session.get_bind().engine.url)
    if key not in _vectors:
        found = await session.scalar(
            text(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'kb_chunks' AND column_name = 'embedding' "
                "AND table_schema = current_schema()"
            )
        )
        _vectors[key] = found is not None
        if not found:
            log.warning("pgvector is not available: knowledge-base search uses full text only")
    return _vectors[key]


async def reindex_article(db: Database, article_id: uuid.UUID, *, embedder: Embedder | None = None) -> bool:
    """Bring one article's chunks up to date; False when a newer change will do it."""
    embedder = embedder if embedder is not None else get_embedder()
    async with db.session() as session:
        article = await session.get(KbArticle, article_id)
        if article is None:
            return True
        seen: datetime = article.updated_at
        title = article.title
        published = article.status == "published"
        passages = chunk_article(article.title, article.body) if published else []
        config = await config_for(session, article.locale)
        use_vectors = embedder is not None and await vectors_enabled(session)
    vectors: list[list[float]] | None = None
    if passages and use_vectors and embedder is not None:
        try:
            vectors = await embedder.embed_passages([*passages, title])
        except EmbeddingError:
            # Full text still works; the sweep retries the vectors later.
            log.exception("embedding failed", extra={"article_id": str(article_id)})
    async with db.session() as session:
        article = await session.scalar(select(KbArticle).where(KbArticle.id == article_id).with_for_update())
        if article is None:
            return True
        if article.updated_at != seen:
            return False
        await session.execute(delete(KbChunk).where(KbChunk.article_id == article_id))
        for position, passage in enumerate(passages):
            await _insert_chunk(
                session,
                article=article,
                position=position,
                config=config,
                passage=passage,
                vector=vectors[position] if vectors else None,
                embedder=embedder.name if vectors and embedder else None,
            )
        if vectors is not None and embedder is not None:
            await _insert_chunk(
                session,
                article=article,
                position=TITLE_POSITION,
                config=config,
                passage=title,
                vector=vectors[-1],
                embedder=embedder.name,
            )
        done = article.version if (vectors is not None or not passages or not use_vectors) else 0
        # Keep updated_at: indexing is not an edit, and it is the concurrency token above.
        await session.execute(
            update(KbArticle)
            .where(KbArticle.id == article_id)
            .values(indexed_version=done, updated_at=KbArticle.updated_at)
        )
        await session.commit()
    return True


async def _insert_chunk(
    session: AsyncSession,
    *,
    article: KbArticle,
    position: int,
    config: str,
    passage: str,
    vector: list[float] | None,
    embedder: str | None,
) -> None:
    params = {
        "id": new_id(),
        "ws": article.workspace_id,
        "article": article.id,
        "position": position,
        "locale": article.locale,
        "config": config,
        "text": passage,
        # Separate parameters: PostgreSQL types each one once (varchar vs regconfig).
        "tsconfig": config,
        "tstext": passage,
        "embedder": embedder,
    }
    columns = "id, workspace_id, article_id, position, locale, config, text, tsv, embedder"
    values = (
        ":id, :ws, :article, :position, :locale, :config, :text, "
        "to_tsvector(CAST(:tsconfig AS regconfig), :tstext), :embedder"
    )
    if vector is not None:
        columns += ", embedding"
        values += ", CAST(:embedding AS vector)"
        params["embedding"] = vector_literal(vector)
    await session.execute(text(f"INSERT INTO kb_chunks ({columns}) VALUES ({values})"), params)


async def stale_article_ids(session: AsyncSession, *, limit: int = 500) -> list[uuid.UUID]:
    """Articles whose chunks are missing, outdated, or from another embedder."""
    embedder = get_embedder()
    conditions = [KbArticle.indexed_version != KbArticle.version]
    if embedder is not None and await vectors_enabled(session):
        conditions.append(
            (KbArticle.status == "published")
            & exists().where(
                KbChunk.article_id == KbArticle.id,
                or_(KbChunk.embedder.is_(None), KbChunk.embedder != embedder.name),
            )
        )
    rows = await session.scalars(select(KbArticle.id).where(or_(*conditions)).limit(limit))
    return list(rows)


async def reindex_stale(db: Database, *, workspace_id: uuid.UUID | None = None) -> int:
    """Index everything stale now, in this process (demo seed, ``bot eval``, tests)."""
    async with db.session() as session:
        ids = await stale_article_ids(session, limit=100_000)
        if workspace_id is not None and ids:
            ids = list(
                await session.scalars(
                    select(KbArticle.id).where(KbArticle.id.in_(ids), KbArticle.workspace_id == workspace_id)
                )
            )
    for article_id in ids:
        await reindex_article(db, article_id)
    return len(ids)
