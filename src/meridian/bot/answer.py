"""Finding the answer to a customer's question in the knowledge base, and wording it.

``decide`` is pure retrieval plus a threshold, shared by the live bot and
``meridian bot eval``: the bot answers when the best passage is close enough to the
question (cosine similarity of multilingual-e5 embeddings) and clearly ahead of the
best passage of any other article; otherwise it hands over. Without vectors (no
pgvector) full text alone cannot tell a confident match from a lucky one, so the bot
hands over.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.bot.phrases import Phrase, phrase
from meridian.kb.models import KbArticle
from meridian.kb.search import SearchHit, search
from meridian.kb.service import article_url
from meridian.kb.sites import get_site
from meridian.languages.tags import normalize_language_tag, primary_language

# (text, source language, target language) -> the translation, or None when unavailable.
Translate = Callable[[str, str, str], Awaitable[str | None]]

# Two articles this close are a toss-up: better a person than the wrong answer.
MIN_MARGIN = 0.01
# e5 scores any two texts in the same language about 0.03 higher than a translation
# pair, so a question in the article's own language must clear a higher bar (on the
# demo set, off-topic English questions reached 0.847, right English answers 0.836+).
SAME_LANGUAGE_OFFSET = 0.03
# Lexical evidence in the question's own words (full text, or CJK character n-grams)
# naming the same article as the vectors is a second, independent opinion: the bar drops
# by this much. Chosen on half of the evaluation set, checked on the other half
# (docs/knowledge-base-and-bot.md); a per-script bar was tried and cost wrong answers.
AGREEMENT_BONUS = 0.02


@dataclass
class Decision:
    action: str  # "answer" | "handoff"
    reason: str
    confidence: float
    hit: SearchHit | None
    hits: list[SearchHit] = field(default_factory=list)


def confidence_of(hits: list[SearchHit]) -> tuple[float, float]:
    """(similarity of the best passage, its lead over the next article's best)."""
    if not hits or hits[0].similarity is None:
        return 0.0, 0.0
    top = hits[0].similarity
    others = [h.similarity for h in hits[1:] if h.similarity is not None]
    return top, top - max(others) if others else 1.0


async def decide(
    session: AsyncSession, *, workspace_id: uuid.UUID, question: str, language: str | None, threshold: float
) -> Decision:
    hits = await search(session, workspace_id=workspace_id, query=question, locale=language, limit=10)
    # Rank by the semantic match: RRF order can put a full-text fluke first.
    ranked = sorted(hits, key=lambda h: -(h.similarity if h.similarity is not None else -1.0))
    similarity, margin = confidence_of(ranked)
    if not ranked:
        return Decision("handoff", "no_match", 0.0, None, hits)
    if ranked[0].similarity is None:
        return Decision("handoff", "no_vectors", 0.0, ranked[0], hits)
    confidence = round(similarity, 4)
    if language and same_language(language, ranked[0].matched_locale):
        threshold += SAME_LANGUAGE_OFFSET
    if lexical_agrees(hits, ranked[0]):
        threshold -= AGREEMENT_BONUS
    if similarity < threshold:
        return Decision("handoff", "low_confidence", confidence, ranked[0], ranked)
    if margin < MIN_MARGIN:
        return Decision("handoff", "ambiguous", confidence, ranked[0], ranked)
    return Decision("answer", "confident", confidence, ranked[0], ranked)


def lexical_agrees(hits: list[SearchHit], top: SearchHit) -> bool:
    """Whether ``top`` is also first by full text or by CJK n-gram overlap."""
    if top.full_text_rank == 1:
        return True
    grams = [h for h in hits if "trigram" in h.signals]
    return bool(grams) and max(grams, key=lambda h: h.signals["trigram"]).family_id == top.family_id


def same_language(a: str, b: str) -> bool:
    try:
        if primary_language(a) != primary_language(b):
            return False
        if primary_language(a) == "zh":
            return normalize_language_tag(a) == normalize_language_tag(b)
    except ValueError:
        return False
    return True


def language_in(tag: str, reader: str) -> str:
    """``tag`` named in the reader's language ("inglés" for an English article, in Spanish)."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(Locale.parse(reader, sep="-"))
    except (ValueError, UnknownLocaleError):
        return tag
    return name or tag


@dataclass
class Composed:
    body: str
    article: KbArticle
    url: str
    # "variant": written in the customer's language; "translated"; "original" (with a note).
    mode: str


async def compose(
    session: AsyncSession,
    *,
    article: KbArticle,
    passage: str,
    language: str,
    translate: Translate | None = None,
    say: Phrase = phrase,
) -> Composed:
    """The reply: title, the passage, a link, and "did this solve it?", in ``language``.

    ``translate`` is an async callable ``(text, source, target) -> str | None`` (the
    workspace's translation provider), used when the article has no variant in the
    customer's language.
    """
    site = await get_site(session, workspace_id=article.workspace_id)
    url = article_url(site, article)
    title, text, mode, note = article.title, passage, "variant", ""
    if not same_language(article.locale, language):
        translated = None
        if translate is not None:
            translated = await translate(f"{title}\n\n{passage}", article.locale, language)
        if translated:
            title, _, text = translated.partition("\n\n")
            mode = "translated"
            note = say("machine_translated", language, language=language_in(article.locale, language))
        else:
            mode = "original"
            note = say("only_in", language, language=language_in(article.locale, language))
    parts = [f"{title}\n\n{text}".strip(), say("read_more", language, url=url)]
    if note:
        parts.append(note)
    parts.append(say("feedback", language))
    return Composed(body="\n\n".join(parts), article=article, url=url, mode=mode)
