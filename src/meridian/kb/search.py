"""Hybrid search over published articles: full text, trigrams, vectors, fused by rank.

Three rankings of passages (``kb_chunks``) are made independently:

- full text: each passage's own language configuration stems the question the same
  way it stemmed the passage; the question's words are OR-ed (``plainto_tsquery`` ANDs
  them, and a customer's question rarely shares every word with the answer);
- trigrams, for questions in Chinese, Japanese or Korean (no spaces between words);
- vectors (pgvector cosine distance on multilingual-e5 embeddings), which is what lets
  a question in Spanish find an article written in English. Vectors are compared with
  each family's master only: e5 scores a passage in the question's own language higher
  whatever it says, so a Spanish question would otherwise pull every article that has
  a Spanish variant ahead of the one that answers it (on the demo set, top-1 accuracy
  rose from 52% to 83% with masters only). The variant is still what the asker sees.

They are fused with reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009:
``score = sum(1 / (k + rank))``, k = 60), which needs no score calibration between
rankers. Results are grouped per article family (a master and its locale variants) and
shown in the asker's locale when a published variant exists.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.kb.embed import Embedder, EmbeddingError, get_embedder, vector_literal
from meridian.kb.index import TITLE_POSITION, vectors_enabled
from meridian.kb.models import KbArticle, KbChunk
from meridian.kb.textsearch import cjk_bigrams, is_cjk, trigrams_work
from meridian.languages.tags import normalize_language_tag, primary_language

RRF_K = 60
CANDIDATES = 30
SNIPPET_CHARS = 240

# Full text goes through migration 0022's SECURITY DEFINER function: ``@@`` is not
# LEAKPROOF, so under kb_chunks' row-level security policy a direct query could not use
# the tsvector index. The function applies the session's workspace binding itself. The
# trigram ranking and the bigram fallback below use no index condition either way
# (``word_similarity`` and ``strpos`` are plain functions), so they stay direct queries
# under the policy; the indexed bigram ranking is a function for the same reason (``&&``).
_FULL_TEXT = text(
    "SELECT chunk_id, rank "
    "FROM meridian_kb_full_text(CAST(:ws AS uuid), CAST(:q AS text), CAST(:limit AS integer))"
)
_TRIGRAM = text(
    """
    SELECT c.id, word_similarity(:q, c.text) AS rank
    FROM kb_chunks c JOIN kb_articles a ON a.id = c.article_id
    WHERE c.workspace_id = :ws AND a.status = 'published' AND c.position >= 0
      AND word_similarity(:q, c.text) >= :floor
    ORDER BY rank DESC, c.id
    LIMIT :limit
    """
)
# pg_trgm only makes trigrams of characters the database's LC_CTYPE calls alphanumeric:
# under the C locale, Chinese, Japanese and Korean text has none. There, overlapping
# character pairs (the usual CJK unit for search) are matched with strpos instead:
# through migration 0026's function, which ranks only the passages its bigram index says
# hold one of the pairs, when every gram is a pair (the index holds nothing else); by
# reading every passage otherwise (a lone CJK character in the question).
_INDEXED_BIGRAMS = text(
    "SELECT chunk_id, rank "
    "FROM meridian_kb_bigrams(CAST(:ws AS uuid), CAST(:grams AS text[]), CAST(:limit AS integer))"
)
_BIGRAM = text(
    """
    SELECT c.id, (SELECT count(*) FROM unnest(CAST(:grams AS text[])) AS g WHERE strpos(c.text, g) > 0)
                 / CAST(:n AS float) AS rank
    FROM kb_chunks c JOIN kb_articles a ON a.id = c.article_id
    WHERE c.workspace_id = :ws AND a.status = 'published' AND c.position >= 0
    ORDER BY rank DESC, c.id
    LIMIT :limit
    """
)
_VECTOR = text(
    """
    SELECT c.id, 1 - (c.embedding <=> CAST(:v AS vector)) AS rank
    FROM kb_chunks c JOIN kb_articles a ON a.id = c.article_id
    WHERE c.workspace_id = :ws AND a.status = 'published' AND c.embedding IS NOT NULL
      AND (a.master_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM kb_articles m WHERE m.id = a.master_id AND m.status = 'published'))
    ORDER BY c.embedding <=> CAST(:v AS vector), c.id
    LIMIT :limit
    """
)

# Every vector of the candidate articles (a handful of passages each, plus the title).
_ARTICLE_VECTORS = text(
    """
    SELECT c.id, c.article_id, c.position, 1 - (c.embedding <=> CAST(:v AS vector)) AS similarity
    FROM kb_chunks c
    WHERE c.article_id = ANY(:ids) AND c.embedding IS NOT NULL
    """
)


@dataclass
class SearchHit:
    article_id: uuid.UUID
    family_id: uuid.UUID
    title: str
    locale: str
    slug: str
    score: float
    snippet: str
    # The passage that matched (in the displayed article's language when one was chosen).
    passage: str
    # Cosine similarity of the best passage to the question (None without vectors).
    similarity: float | None
    full_text_rank: int | None
    matched_article_id: uuid.UUID
    matched_locale: str
    signals: dict[str, float] = field(default_factory=dict)


async def _ranking(
    session: AsyncSession, query: object, params: dict[str, object]
) -> list[tuple[uuid.UUID, float]]:
    rows = await session.execute(query, params)  # type: ignore[call-overload]
    return [(row[0], float(row[1])) for row in rows]


async def search(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    query: str,
    locale: str | None = None,
    limit: int = 10,
    embedder: Embedder | bool | None = True,
) -> list[SearchHit]:
    """Ranked article families for ``query``; ``embedder=False`` forces full text only."""
    query = query.strip()
    if not query:
        return []
    params: dict[str, object] = {"ws": workspace_id, "q": query, "limit": CANDIDATES}
    rankings: dict[str, list[tuple[uuid.UUID, float]]] = {
        "full_text": await _ranking(session, _FULL_TEXT, params)
    }
    if is_cjk(query):
        if await trigrams_work(session):
            rankings["trigram"] = await _ranking(session, _TRIGRAM, {**params, "floor": 0.1})
        else:
            grams = cjk_bigrams(query)
            if all(len(g) == 2 and is_cjk(g[0]) and is_cjk(g[1]) for g in grams):
                ranked = await _ranking(session, _INDEXED_BIGRAMS, {**params, "grams": grams})
            else:
                ranked = await _ranking(session, _BIGRAM, {**params, "grams": grams, "n": len(grams)})
            rankings["trigram"] = [(cid, value) for cid, value in ranked if value >= 0.2]
    chosen = get_embedder() if embedder is True else (embedder or None)
    if chosen is not None and await vectors_enabled(session):
        try:
            [vector] = await chosen.embed_queries([query])
        except EmbeddingError:
            vector = None
        if vector is not None:
            literal = vector_literal(vector)
            nearest = await _ranking(session, _VECTOR, {**params, "v": literal})
            rankings["vector"] = await _with_titles(session, nearest, literal)
    hits = await _fuse(session, rankings=rankings, locale=locale, query=query)
    return hits[:limit]


async def _with_titles(
    session: AsyncSession, nearest: list[tuple[uuid.UUID, float]], vector: str
) -> list[tuple[uuid.UUID, float]]:
    """One entry per article among the nearest chunks: its best passage, scored by the mean
    of that passage's and the title's similarity to the question.

    Title and passage are two views of the same article: a short question is often closer
    to the title (above all across languages), and the passage says whether the article
    actually covers it. Their mean separated right from wrong answers better than either
    alone or their maximum (docs/knowledge-base-and-bot.md, "Evaluation").
    """
    if not nearest:
        return []
    articles = list(
        await session.scalars(select(KbChunk.article_id).where(KbChunk.id.in_([cid for cid, _ in nearest])))
    )
    rows = await session.execute(_ARTICLE_VECTORS, {"ids": list(set(articles)), "v": vector})
    best: dict[uuid.UUID, tuple[uuid.UUID, float]] = {}
    titles: dict[uuid.UUID, float] = {}
    for chunk_id, article_id, position, similarity in rows:
        if position == TITLE_POSITION:
            titles[article_id] = float(similarity)
        elif article_id not in best or similarity > best[article_id][1]:
            best[article_id] = (chunk_id, float(similarity))
    scored = [
        (chunk_id, (passage + titles[article_id]) / 2 if article_id in titles else passage)
        for article_id, (chunk_id, passage) in best.items()
    ]
    return sorted(scored, key=lambda item: (-item[1], str(item[0])))


def _family(article: KbArticle) -> uuid.UUID:
    return article.master_id or article.id


async def _fuse(
    session: AsyncSession,
    *,
    rankings: dict[str, list[tuple[uuid.UUID, float]]],
    locale: str | None,
    query: str,
) -> list[SearchHit]:
    chunk_ids = {cid for ranking in rankings.values() for cid, _ in ranking}
    if not chunk_ids:
        return []
    chunks = {c.id: c for c in await session.scalars(select(KbChunk).where(KbChunk.id.in_(chunk_ids)))}
    article_ids = {c.article_id for c in chunks.values()}
    articles = {
        a.id: a for a in await session.scalars(select(KbArticle).where(KbArticle.id.in_(article_ids)))
    }

    fused: dict[uuid.UUID, float] = {}
    best: dict[uuid.UUID, dict[str, tuple[KbChunk, float, int]]] = {}
    for name, ranking in rankings.items():
        rank = 0
        for chunk_id, value in ranking:
            chunk = chunks.get(chunk_id)
            article = articles.get(chunk.article_id) if chunk else None
            if chunk is None or article is None:
                continue
            family = _family(article)
            per_family = best.setdefault(family, {})
            if name in per_family:
                continue
            rank += 1
            per_family[name] = (chunk, value, rank)
            fused[family] = fused.get(family, 0.0) + 1.0 / (RRF_K + rank)

    variants = await _variants(session, fused.keys(), locale) if locale else {}
    hits = []
    for family, score in sorted(fused.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        signals = best[family]
        chunk, _, _ = signals.get("vector") or signals.get("full_text") or signals["trigram"]
        matched = articles[chunk.article_id]
        shown = variants.get(family) or matched
        passage = chunk.text
        if shown.id != matched.id:
            passage = await _parallel_passage(session, shown.id, chunk.position) or passage
        vector = signals.get("vector")
        full_text = signals.get("full_text")
        hits.append(
            SearchHit(
                article_id=shown.id,
                family_id=family,
                title=shown.title,
                locale=shown.locale,
                slug=shown.slug,
                score=round(score, 6),
                snippet=snippet(passage, query),
                passage=_without_title(passage),
                similarity=vector[1] if vector else None,
                full_text_rank=full_text[2] if full_text else None,
                matched_article_id=matched.id,
                matched_locale=matched.locale,
                signals={name: value for name, (_, value, _) in signals.items()},
            )
        )
    return hits


async def _variants(
    session: AsyncSession, families: Iterable[uuid.UUID], locale: str
) -> dict[uuid.UUID, KbArticle]:
    """For each family, its published article in ``locale`` (exact tag, else same language)."""
    ids = list(families)
    try:
        wanted = normalize_language_tag(locale)
        language = primary_language(locale)
    except ValueError:
        return {}
    rows = await session.scalars(
        select(KbArticle).where(
            KbArticle.status == "published",
            (KbArticle.id.in_(ids)) | (KbArticle.master_id.in_(ids)),
        )
    )
    exact: dict[uuid.UUID, KbArticle] = {}
    loose: dict[uuid.UUID, KbArticle] = {}
    for article in rows:
        family = _family(article)
        if article.locale == wanted:
            exact[family] = article
        elif article.locale.split("-")[0] == language:
            loose.setdefault(family, article)
    return {**loose, **exact}


async def _parallel_passage(session: AsyncSession, article_id: uuid.UUID, position: int) -> str | None:
    """The variant's passage at the same place: translations keep the master's structure."""
    rows = list(
        await session.scalars(
            select(KbChunk)
            .where(KbChunk.article_id == article_id, KbChunk.position <= position, KbChunk.position >= 0)
            .order_by(KbChunk.position.desc())
            .limit(1)
        )
    )
    return rows[0].text if rows else None


def _without_title(passage: str) -> str:
    _, _, rest = passage.partition("\n")
    return rest or passage


_WORD = re.compile(r"\w{3,}", re.UNICODE)


def snippet(passage: str, query: str, *, size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters of the passage, around the first word of the question."""
    body = _without_title(passage)
    if len(body) <= size:
        return body
    lowered = body.lower()
    starts = [lowered.find(w.lower()) for w in _WORD.findall(query)]
    found = [s for s in starts if s >= 0]
    start = max(0, min(found) - size // 4) if found else 0
    start = body.rfind(" ", 0, start) + 1 if start else 0
    piece = body[start : start + size].rsplit(" ", 1)[0] if start + size < len(body) else body[start:]
    return ("…" if start else "") + piece.strip() + ("…" if start + size < len(body) else "")
