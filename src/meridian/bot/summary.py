"""The private note a person finds when the bot hands a conversation over."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.contacts.models import Contact
from meridian.kb.models import KbArticle
from meridian.languages.tags import language_name
from meridian.vault import service as vault

if TYPE_CHECKING:
    from meridian.bot.service import Plan

REASONS = {
    "angry": "the customer sounds upset",
    "asked_for_person": "the customer asked for a person",
    "not_helpful": "the customer said the answer did not help",
    "low_confidence": "no confident answer in the knowledge base",
    "ambiguous": "several articles matched equally well",
    "no_match": "nothing in the knowledge base matched",
    "no_vectors": "semantic search is unavailable (no pgvector), so the bot does not answer",
    "model_declined": "the language model found no answer in the retrieved passages",
    "action_failed": "the order system could not be reached",
}
QUOTE_CHARS = 300


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


async def handoff_note(
    session: AsyncSession, *, turns: list[dict[str, Any]], contact: Contact, plan: Plan
) -> str:
    """What was asked, what the bot tried, and why it stopped (for the agent, in English)."""
    ids = [uuid.UUID(t["message_id"]) for t in turns if t.get("message_id")][-5:]
    contents = await vault.get_messages(session, [(i, contact.region) for i in ids])
    article_ids = [uuid.UUID(t["article_id"]) for t in turns if t.get("article_id")]
    titles = (
        dict(
            (
                await session.execute(
                    select(KbArticle.id, KbArticle.title).where(KbArticle.id.in_(article_ids))
                )
            ).all()
        )
        if article_ids
        else {}
    )
    try:
        language = language_name(plan.language) if plan.language else "unknown"
    except ValueError:
        language = plan.language or "unknown"
    lines = [
        f"Bot handed this conversation over: {REASONS.get(plan.reason, plan.reason)}.",
        f"Language: {language}.",
    ]
    for turn in turns:
        content = contents.get(uuid.UUID(turn["message_id"])) if turn.get("message_id") else None
        if content is not None:
            lines.append(f"Customer: “{_quote(content.body)}”")
        if turn.get("kind") == "reply" and turn.get("article_id"):
            title = titles.get(uuid.UUID(turn["article_id"]), "an article")
            lines.append(f"Bot answered with “{title}” (confidence {turn.get('confidence', 0):.2f}).")
        elif turn.get("kind") == "say" and turn.get("action"):
            lines.append(f"Bot ran the {turn['action'].replace('_', ' ')} lookup.")
    sources = plan.meta.get("sources") or []
    if plan.reason in ("low_confidence", "ambiguous") and sources:
        best = ", ".join(f"“{s['title']}” ({(s.get('similarity') or 0):.2f})" for s in sources[:3])
        lines.append(f"Closest articles: {best}.")
    return "\n".join(lines)
