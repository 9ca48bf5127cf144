"""One bot turn: read the customer's message, decide, then answer or hand over.

The job runs a turn in two steps. First it reads and thinks without holding locks
(retrieval, translation, an order lookup or a language model can take seconds); then it
locks the conversation, checks nothing changed its mind (a person replied, another
turn handled the message, the bot already handed over), and writes its reply or
handoff in one transaction. Running a turn twice is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.bot import answer as answers
from meridian.bot.actions import ACTIONS
from meridian.bot.generative import GenerationError, generate_answer
from meridian.bot.messaging import add_bot_message, mark_handed_off
from meridian.bot.models import BotSession
from meridian.bot.phrases import Phrase, phrase, workspace_phrases
from meridian.bot.settings import BotConfig, load_config
from meridian.bot.signals import Signals, classify
from meridian.bot.summary import handoff_note
from meridian.canned.system import load_texts, render_system
from meridian.contacts.models import Contact
from meridian.conversations.locks import lock_conversation
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.kb.models import KbArticle
from meridian.kb.service import article_url
from meridian.kb.sites import get_site
from meridian.languages.detect import detect_language
from meridian.messages.models import Message
from meridian.privacy.redaction import redact_for_workspace
from meridian.vault import service as vault
from meridian.workspaces.models import Workspace

log = logging.getLogger(__name__)


@dataclass
class Plan:
    # "reply": answer and ask for feedback; "say": a reply that asks nothing;
    # "resolve": the customer confirmed; "handoff": a person takes over.
    kind: str
    reason: str
    body: str = ""
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


async def _human_replied(session: AsyncSession, conversation_id: uuid.UUID) -> bool:
    """After a person wrote to the customer, the conversation is theirs."""
    found = await session.scalar(
        select(
            exists().where(
                Message.conversation_id == conversation_id,
                Message.direction == "outgoing",
                Message.author_kind == "human",
            )
        )
    )
    return bool(found)


async def customer_language(
    session: AsyncSession, *, message: Message, body: str, contact: Contact, conversation: Conversation
) -> str:
    if message.language:
        return message.language
    workspace = await session.get(Workspace, message.workspace_id)
    candidates = list(workspace.languages) if workspace else []
    detection = await asyncio.to_thread(detect_language, body, candidates=candidates, fallback=contact.locale)
    return detection.language or conversation.language or (workspace.default_locale if workspace else "en")


def _translator(
    session: AsyncSession, workspace_id: uuid.UUID, http: httpx.AsyncClient | None
) -> answers.Translate:
    async def translate(text: str, source: str, target: str) -> str | None:
        # The translation feature is optional: without a provider the bot quotes the
        # original with a note instead.
        from meridian.translation.base import TranslationError
        from meridian.translation.engine import TranslationUnavailable, translate_text
        from meridian.translation.service import load_translation

        config = await load_translation(session, workspace_id=workspace_id)
        if config.provider is None:
            return None
        try:
            result = await translate_text(
                session,
                workspace_id=workspace_id,
                config=config,
                text=text,
                source=source,
                target=target,
                contact_id=None,
                region="default",
                http=http,
            )
        except (TranslationUnavailable, TranslationError) as exc:
            log.warning("bot answer not translated: %s", exc)
            return None
        return result.text

    return translate


async def plan_turn(
    session: AsyncSession,
    *,
    message: Message,
    body: str,
    language: str,
    signals: Signals,
    state: str,
    config: BotConfig,
    http: httpx.AsyncClient,
    say: Phrase = phrase,
) -> Plan:
    """What the bot should do with this message (no writes except translation memory).

    ``say`` words the customer-facing lines (the workspace's system templates in a turn)."""
    if signals.angry:
        return Plan("handoff", "angry", language=language)
    if signals.wants_human:
        return Plan("handoff", "asked_for_person", language=language)
    if state == "awaiting_feedback" and signals.feedback == "yes":
        return Plan("resolve", "confirmed", say("resolved", language), language)
    if state == "awaiting_feedback" and signals.feedback == "no":
        return Plan("handoff", "not_helpful", language=language)
    for action in ACTIONS:
        if action.applies(signals, config):
            result = await action.run(signals, config, language=language, http=http, say=say)
            if result.outcome == "failed":
                return Plan("handoff", "action_failed", language=language, meta={"action": action.name})
            return Plan(
                "say",
                f"action_{result.outcome}",
                result.text,
                language,
                {"action": action.name, **result.facts},
            )
    decision = await answers.decide(
        session,
        workspace_id=message.workspace_id,
        question=body,
        language=language,
        threshold=config.threshold,
    )
    candidates = [
        {"article_id": str(h.article_id), "title": h.title, "similarity": h.similarity}
        for h in decision.hits[:3]
    ]
    if decision.action == "handoff" or decision.hit is None:
        return Plan(
            "handoff",
            decision.reason,
            language=language,
            meta={"confidence": decision.confidence, "sources": candidates},
        )
    article = await session.get(KbArticle, decision.hit.article_id)
    assert article is not None
    meta: dict[str, Any] = {
        "confidence": decision.confidence,
        "sources": candidates,
        "article_id": str(article.id),
    }
    if config.generative is not None:
        try:
            generated = await generate_answer(
                config.generative,
                api_key=config.llm_api_key,
                # Card numbers, IBANs and the workspace's patterns never reach a model.
                question=(
                    await redact_for_workspace(session, workspace_id=message.workspace_id, text=body)
                ).text,
                passages=[h.passage for h in decision.hits[:3]],
                language=language,
                http=http,
            )
        except GenerationError as exc:
            log.warning("generative answer failed, quoting the article instead: %s", exc)
        else:
            if generated is None:
                return Plan("handoff", "model_declined", language=language, meta=meta)
            cited = [decision.hits[n - 1] for n in generated.cited]
            source = await session.get(KbArticle, cited[0].article_id)
            assert source is not None
            site = await get_site(session, workspace_id=message.workspace_id)
            text = "\n\n".join(
                [
                    generated.text,
                    say("read_more", language, url=article_url(site, source)),
                    say("feedback", language),
                ]
            )
            meta.update(mode="generated", cited=[str(h.article_id) for h in cited])
            return Plan("reply", "confident", text, language, meta)
    composed = await answers.compose(
        session,
        article=article,
        passage=decision.hit.passage,
        language=language,
        translate=_translator(session, message.workspace_id, http),
        say=say,
    )
    meta.update(mode=composed.mode, url=composed.url)
    return Plan("reply", "confident", composed.body, language, meta)


async def respond(
    db: Database, message_id: uuid.UUID, *, http: httpx.AsyncClient | None = None
) -> Plan | None:
    """Take the bot's turn for one incoming message; None when it had nothing to do."""
    async with db.session() as session:
        message = await session.get(Message, message_id)
        if message is None or message.direction != "incoming":
            return None
        conversation = await session.get(Conversation, message.conversation_id)
        contact = await session.get(Contact, message.contact_id)
        assert conversation is not None and contact is not None
        bot_session = await session.get(BotSession, conversation.id)
        state = bot_session.state if bot_session else "active"
        if state == "handed_off" or await _human_replied(session, conversation.id):
            return None
        content = (await vault.get_messages(session, [(message.id, contact.region)])).get(message.id)
        body = content.body if content else ""
        language = await customer_language(
            session, message=message, body=body, contact=contact, conversation=conversation
        )
        signals = classify(body)
        config = await load_config(session, workspace_id=message.workspace_id)
        texts = await load_texts(session, conversation=conversation, contact=contact)
        async with httpx.AsyncClient(timeout=30) if http is None else _borrowed(http) as client:
            plan = await plan_turn(
                session,
                message=message,
                body=body,
                language=language,
                signals=signals,
                state=state,
                config=config,
                http=client,
                say=workspace_phrases(texts),
            )
        await session.commit()
    plan.meta["signals"] = signals.as_meta()
    return plan if await _apply(db, message_id, plan) else None


class _borrowed:
    """A caller's client, used as a context manager without closing it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def __aenter__(self) -> httpx.AsyncClient:
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _apply(db: Database, message_id: uuid.UUID, plan: Plan) -> bool:
    async with db.session() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        # Contact, then conversation: the one lock order (conversations/locks.py).
        conversation = await lock_conversation(session, message.conversation_id)
        inbox = await session.get(Inbox, message.inbox_id)
        contact = await session.get(Contact, message.contact_id)
        assert conversation is not None and inbox is not None and contact is not None
        bot_session = await session.get(BotSession, conversation.id, with_for_update=True)
        if bot_session is None:
            bot_session = BotSession(
                workspace_id=conversation.workspace_id,
                conversation_id=conversation.id,
                state="active",
                turns=[],
            )
            session.add(bot_session)
        if any(t.get("message_id") == str(message_id) for t in bot_session.turns):
            return False
        if bot_session.state == "handed_off" or await _human_replied(session, conversation.id):
            return False
        turn = {
            "message_id": str(message_id),
            "at": utcnow().isoformat(),
            "kind": plan.kind,
            "reason": plan.reason,
            **{k: v for k, v in plan.meta.items() if k in ("confidence", "article_id", "mode", "action")},
        }
        meta = {"reason": plan.reason, "in_reply_to": str(message_id), **plan.meta}
        if plan.kind == "handoff":
            bot_session.turns = [*bot_session.turns, turn]
            await add_bot_message(
                session,
                conversation=conversation,
                inbox=inbox,
                contact=contact,
                body=(
                    await render_system(
                        session,
                        key="bot_handoff",
                        conversation=conversation,
                        contact=contact,
                        language=plan.language,
                    )
                ).body,
                language=plan.language,
                meta=meta,
            )
            note = await add_bot_message(
                session,
                conversation=conversation,
                inbox=inbox,
                contact=contact,
                body=await handoff_note(session, turns=bot_session.turns, contact=contact, plan=plan),
                language="en",
                meta=meta,
                private=True,
            )
            bot_session.state = "handed_off"
            await mark_handed_off(
                session, conversation=conversation, reason=plan.reason, summary_message=note
            )
        else:
            await add_bot_message(
                session,
                conversation=conversation,
                inbox=inbox,
                contact=contact,
                body=plan.body,
                language=plan.language,
                meta=meta,
            )
            bot_session.turns = [*bot_session.turns, turn]
            bot_session.state = {"reply": "awaiting_feedback", "resolve": "resolved", "say": "active"}[
                plan.kind
            ]
        bot_session.updated_at = utcnow()
        await session.commit()
    return True
