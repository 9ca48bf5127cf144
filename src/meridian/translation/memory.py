"""Translation memory: segment pairs reused before any provider is asked.

Keys: the source's primary language (``es``, whatever the writer's variant, since a
variant hardly changes what a sentence means) and the target's full tag (``pt-BR``
and ``pt-PT``, ``zh-Hans`` and ``zh-Hant`` read differently). Text is compared after
Unicode NFC normalisation and whitespace folding, so a re-typed sentence still matches.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.core.crypto import sha256_hex
from meridian.languages.tags import normalize_language_tag, primary_language
from meridian.translation.models import TranslationSegment
from meridian.vault import regions

_SPACES = re.compile(r"\s+")
# A sentence ends at . ! ? (and their CJK and Arabic forms) or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟…])\s+|(?<=[。！？])|\n+")
# Similarity below this is more noise than help in the composer.
FUZZY_THRESHOLD = 0.3
# Best first, humans first on ties: migration 0022's function (``suggestions`` says why).
_SIMILAR = sql_text(
    "SELECT source_text, target_text, origin, provider, score "
    "FROM meridian_tm_similar(CAST(:ws AS uuid), CAST(:source AS text), CAST(:target AS text), "
    "CAST(:text AS text), CAST(:floor AS real), CAST(:limit AS integer))"
)


def normalize_segment(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, normalised, without empty ones."""
    return [s for s in (normalize_segment(part) for part in _SENTENCE_END.split(text)) if s]


def _key(source: str, target: str, text: str) -> tuple[str, str, str, str]:
    normalized = normalize_segment(text)
    return primary_language(source), normalize_language_tag(target), sha256_hex(normalized), normalized


@dataclass(frozen=True, slots=True)
class Match:
    source_text: str
    target_text: str
    origin: str
    provider: str | None
    similarity: float = 1.0


async def lookup(
    session: AsyncSession, *, workspace_id: uuid.UUID, source: str, target: str, texts: Sequence[str]
) -> dict[str, Match]:
    """Exact matches for ``texts`` (keyed by normalised text); human segments win."""
    if not texts:
        return {}
    keys = {_key(source, target, t)[2]: normalize_segment(t) for t in texts}
    source_lang, target_lang = primary_language(source), normalize_language_tag(target)
    rows = await session.scalars(
        select(TranslationSegment).where(
            TranslationSegment.workspace_id == workspace_id,
            TranslationSegment.source_lang == source_lang,
            TranslationSegment.target_lang == target_lang,
            TranslationSegment.source_hash.in_(list(keys)),
        )
    )
    found: dict[str, Match] = {}
    for row in rows:
        text = keys[row.source_hash]
        if text not in found or row.origin == "human":
            found[text] = Match(row.source_text, row.target_text, row.origin, row.provider)
    if found:
        await session.execute(
            update(TranslationSegment)
            .where(
                TranslationSegment.workspace_id == workspace_id,
                TranslationSegment.source_lang == source_lang,
                TranslationSegment.target_lang == target_lang,
                TranslationSegment.source_hash.in_([_key(source, target, t)[2] for t in found]),
            )
            .values(uses=TranslationSegment.uses + 1)
        )
    return found


async def remember(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    source: str,
    target: str,
    source_text: str,
    target_text: str,
    origin: str,
    provider: str | None = None,
    contact_id: uuid.UUID | None = None,
    region: str = "default",
    author_agent_id: uuid.UUID | None = None,
) -> None:
    """Store (or replace) the segment of this origin for ``source_text``.

    Segments are customer (or agent-to-customer) text in the home database, so a
    contact whose data region has its own database contributes none: residency
    promises that region's content never lands at home. Their sentences still reuse
    segments learnt from home-region conversations; the cost is one provider call
    per repeated sentence instead of a memory hit.
    """
    if regions.database_for(region) is not None:
        return
    source_lang, target_lang, digest, normalized = _key(source, target, source_text)
    # The translation keeps its line breaks: it is shown and sent as stored.
    translated = unicodedata.normalize("NFC", target_text).strip()
    if not normalized or not translated:
        return
    values = {
        "target_text": translated,
        "provider": provider,
        "contact_id": contact_id,
        "region": region,
        "author_agent_id": author_agent_id,
        "updated_at": func.now(),
    }
    stmt = insert(TranslationSegment).values(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        source_lang=source_lang,
        target_lang=target_lang,
        source_hash=digest,
        source_text=normalized,
        origin=origin,
        uses=0,
        **values,
    )
    await session.execute(
        stmt.on_conflict_do_update(constraint="uq_translation_segments_lookup", set_=values)
    )


async def remember_human(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    source: str,
    target: str,
    source_text: str,
    target_text: str,
    contact_id: uuid.UUID | None,
    region: str,
    author_agent_id: uuid.UUID | None,
) -> None:
    """A person's translation: the whole text, and sentence by sentence when they align."""
    pairs = [(source_text, target_text)]
    sources, targets = split_sentences(source_text), split_sentences(target_text)
    if len(sources) > 1 and len(sources) == len(targets):
        pairs.extend(zip(sources, targets, strict=True))
    for original, translated in pairs:
        await remember(
            session,
            workspace_id=workspace_id,
            source=source,
            target=target,
            source_text=original,
            target_text=translated,
            origin="human",
            contact_id=contact_id,
            region=region,
            author_agent_id=author_agent_id,
        )


async def suggestions(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    text: str,
    source: str,
    target: str,
    limit: int = 5,
) -> list[Match]:
    """Fuzzy matches (pg_trgm similarity) for the composer, best first, humans first on ties."""
    normalized = normalize_segment(text)
    if not normalized:
        return []
    # Through migration 0022's SECURITY DEFINER function: ``%`` is not LEAKPROOF, so under
    # the table's row-level security policy a direct query could not use the trigram
    # index. The function applies the session's workspace binding itself.
    rows = await session.execute(
        _SIMILAR,
        {
            "ws": workspace_id,
            "source": primary_language(source),
            "target": normalize_language_tag(target),
            "text": normalized,
            "floor": FUZZY_THRESHOLD,
            "limit": limit,
        },
    )
    return [
        Match(source_text, target_text, origin, provider, round(float(score), 3))
        for source_text, target_text, origin, provider, score in rows
    ]


async def forget_machine(session: AsyncSession, *, workspace_id: uuid.UUID) -> None:
    """Drop cached machine output (after a glossary or provider change made it stale)."""
    await session.execute(
        delete(TranslationSegment).where(
            TranslationSegment.workspace_id == workspace_id, TranslationSegment.origin == "machine"
        )
    )


async def forget_contact(session: AsyncSession, *, contact_id: uuid.UUID) -> None:
    """Erasure: the segments made from a contact's messages go with the contact's data."""
    await session.execute(delete(TranslationSegment).where(TranslationSegment.contact_id == contact_id))
