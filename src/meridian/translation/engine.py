"""Translating text for a workspace: memory first, then the configured provider.

Every caller (incoming messages, reply previews, translated replies) goes through
``translate_text``, so the order "human segment, cached segment, provider with the
glossary" holds everywhere.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.languages.tags import normalize_language_tag, primary_language
from meridian.privacy.policies import redaction_patterns
from meridian.privacy.redaction import redact, redact_for_workspace
from meridian.translation import memory
from meridian.translation.base import ProviderSettings, TranslationProvider
from meridian.translation.registry import create_provider
from meridian.translation.service import WorkspaceTranslation, load_glossary

# A provider that has not answered in this long is treated as down (transient).
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_UNSPACED = ("zh", "ja", "th", "lo", "km", "my")
_SEPARATOR = re.compile(r"((?<=[.!?。！？؟…])\s+|(?<=[。！？])|\n+)")


class TranslationUnavailable(Exception):
    """The workspace has no translation provider configured."""


@dataclass(frozen=True, slots=True)
class Translated:
    text: str
    source: str | None
    target: str
    # The provider that produced the words ("human" for a person's translation).
    provider: str | None
    # "memory": a stored segment; "machine": the provider just now; "none": same language.
    origin: str


def same_language(source: str, target: str) -> bool:
    """Whether a reader of ``target`` reads ``source`` as written (zh-Hans/zh-Hant do not)."""
    if primary_language(source) != primary_language(target):
        return False
    if primary_language(target) == "zh":
        return normalize_language_tag(source) == normalize_language_tag(target)
    return True


_providers: dict[ProviderSettings, TranslationProvider] = {}


def provider_for(settings: ProviderSettings) -> TranslationProvider:
    """One adapter per settings value: adapters cache what they learn (LibreTranslate's codes)."""
    provider = _providers.get(settings)
    if provider is None:
        if len(_providers) > 256:
            _providers.clear()
        created = create_provider(settings)
        if created is None:
            raise TranslationUnavailable("translation is turned off for this workspace")
        provider = _providers[settings] = created
    return provider


@asynccontextmanager
async def http_client(http: httpx.AsyncClient | None = None) -> AsyncIterator[httpx.AsyncClient]:
    if http is not None:
        yield http
        return
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        yield client


def _remembered(match: memory.Match, source: str, target: str) -> Translated:
    provider = "human" if match.origin == "human" else match.provider
    return Translated(match.target_text, source, target, provider, "memory")


async def _whole_text_match(
    session: AsyncSession, *, workspace_id: uuid.UUID, text: str, source: str, target: str
) -> Translated | None:
    known = await memory.lookup(
        session, workspace_id=workspace_id, source=source, target=target, texts=[text]
    )
    return _remembered(next(iter(known.values())), source, target) if known else None


async def recall_many(
    session: AsyncSession, *, workspace_id: uuid.UUID, items: Sequence[tuple[str, str]], target: str
) -> list[Translated | None]:
    """Stored whole-text translations of ``(text, source language)`` pairs, in order.

    Never asks a provider: what a page may show while it renders. One memory query per
    source language, however long the thread.
    """
    target = normalize_language_tag(target)
    patterns = await redaction_patterns(session, workspace_id=workspace_id)
    # Keyed by the redacted text, as translate_text stores and looks it up.
    texts = [redact(text, patterns=patterns).text for text, _ in items]
    by_language: dict[str, list[int]] = {}
    for index, (_, source) in enumerate(items):
        if not same_language(source, target):
            by_language.setdefault(primary_language(source), []).append(index)
    found: list[Translated | None] = [None] * len(items)
    for language, indexes in by_language.items():
        known = await memory.lookup(
            session,
            workspace_id=workspace_id,
            source=language,
            target=target,
            texts=[texts[i] for i in indexes],
        )
        for i in indexes:
            match = known.get(memory.normalize_segment(texts[i]))
            if match is not None:
                found[i] = _remembered(match, items[i][1], target)
    return found


async def translate_text(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    config: WorkspaceTranslation,
    text: str,
    source: str | None,
    target: str,
    contact_id: uuid.UUID | None,
    region: str,
    http: httpx.AsyncClient | None = None,
) -> Translated:
    """``text`` in ``target``; raises ``TranslationUnavailable`` or ``TranslationError``.

    A whole-text match in memory is used as is. Otherwise, when a person has corrected
    one of its sentences before, the text is translated sentence by sentence so that
    correction is reused; else it goes to the provider whole, which keeps the context
    a translation needs.
    """
    target = normalize_language_tag(target)
    if source is not None and same_language(source, target):
        return Translated(text, source, target, None, "none")
    # Card numbers, IBANs and the workspace's patterns never reach a provider or the
    # memory (privacy/redaction.py); the stored message keeps the original.
    text = (await redact_for_workspace(session, workspace_id=workspace_id, text=text)).text
    if source is not None:
        remembered = await _whole_text_match(
            session, workspace_id=workspace_id, text=text, source=source, target=target
        )
        if remembered is not None:
            return remembered
    if config.provider is None:
        raise TranslationUnavailable("no translation provider is configured for this workspace")
    adapter = provider_for(config.provider)
    glossary = await load_glossary(session, workspace_id=workspace_id)
    pieces = _SEPARATOR.split(text)
    sentences = [pieces[i] for i in range(0, len(pieces), 2)]
    if source is not None and len([s for s in sentences if s.strip()]) > 1:
        known = await memory.lookup(
            session, workspace_id=workspace_id, source=source, target=target, texts=sentences
        )
        if any(m.origin == "human" for m in known.values()):
            missing = [
                s for s in dict.fromkeys(sentences) if s.strip() and memory.normalize_segment(s) not in known
            ]
            async with http_client(http) as client:
                results = await adapter.translate(
                    missing, source=source, target=target, glossary=glossary, http=client
                )
            fresh = {s: r.text for s, r in zip(missing, results, strict=True)}
            for original, translated in fresh.items():
                await memory.remember(
                    session,
                    workspace_id=workspace_id,
                    source=source,
                    target=target,
                    source_text=original,
                    target_text=translated,
                    origin="machine",
                    provider=adapter.name,
                    contact_id=contact_id,
                    region=region,
                )
            out: list[str] = []
            for index, piece in enumerate(pieces):
                if index % 2:
                    out.append(piece if piece else ("" if primary_language(target) in _UNSPACED else " "))
                elif piece.strip():
                    stored = known.get(memory.normalize_segment(piece))
                    out.append(stored.target_text if stored else fresh[piece])
            return Translated("".join(out).strip(), source, target, adapter.name, "machine")
    async with http_client(http) as client:
        [result] = await adapter.translate(
            [text], source=source, target=target, glossary=glossary, http=client
        )
    detected = source or result.detected_source
    if detected is not None:
        await memory.remember(
            session,
            workspace_id=workspace_id,
            source=detected,
            target=target,
            source_text=text,
            target_text=result.text,
            origin="machine",
            provider=adapter.name,
            contact_id=contact_id,
            region=region,
        )
    return Translated(result.text, detected, target, adapter.name, "machine")
