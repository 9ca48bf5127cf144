"""An agent's reply in the customer's language: previewed, edited, sent.

The agent writes in their language; what the customer receives is the translation into
the conversation's language (its variant: pt-BR is not pt-PT). When the agent edits the
preview before sending, the edit is a person's translation and goes to the memory,
where it beats the machine the next time the same sentence is written.
"""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.agents.models import Agent
from meridian.auth.service import Principal
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.core.errors import ProblemError
from meridian.languages.detect import detect_language
from meridian.languages.tags import normalize_language_tag
from meridian.translation import memory
from meridian.translation.base import QuotaExceeded, TranslationError
from meridian.translation.engine import Translated, TranslationUnavailable, same_language, translate_text
from meridian.translation.service import WorkspaceTranslation, load_translation


@dataclass(frozen=True, slots=True)
class OutgoingText:
    """What a reply sends: ``sent_body`` (None: the agent's own text) in ``language``."""

    sent_body: str | None
    language: str | None


async def agent_source_language(
    session: AsyncSession, *, principal: Principal, config: WorkspaceTranslation, body: str
) -> str:
    """Which of the agent's languages ``body`` is written in (their agent language when unsure)."""
    agent = await session.get(Agent, principal.agent_id)
    spoken = [normalize_language_tag(tag) for tag in (agent.languages if agent else ())]
    candidates = list(dict.fromkeys([normalize_language_tag(config.agent_language), *spoken]))
    if len(candidates) == 1:
        return candidates[0]
    detection = await asyncio.to_thread(
        detect_language, body, candidates=candidates, fallback=config.agent_language
    )
    return detection.language or config.agent_language


def _customer_language(conversation: Conversation, contact: Contact) -> str:
    language = conversation.language or contact.locale
    if language is None:
        raise ProblemError(
            422,
            "the customer's language is not known yet: set the contact's locale to translate replies",
            errors=[{"pointer": "/translate", "message": "customer language unknown"}],
        )
    return normalize_language_tag(language)


def translation_problem(exc: TranslationUnavailable | TranslationError) -> ProblemError:
    if isinstance(exc, TranslationUnavailable):
        return ProblemError(
            422,
            "no translation provider is configured for this workspace; send without translation "
            "or ask an admin to set one up in the translation settings",
            errors=[{"pointer": "/translate", "message": "no translation provider configured"}],
        )
    reason = "is over its quota" if isinstance(exc, QuotaExceeded) else "failed"
    headers = {"Retry-After": str(int(exc.retry_after))} if exc.retry_after else None
    # 424 Failed Dependency: the request was fine, the provider it depends on was not.
    return ProblemError(
        424,
        f"the translation provider {reason}: {exc.message}. Send without translation or try again",
        title="Translation failed",
        headers=headers,
    )


async def translate_reply(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation: Conversation,
    contact: Contact,
    body: str,
) -> Translated:
    """The agent's ``body`` in the customer's language (for the preview and for sending)."""
    config = await load_translation(session, workspace_id=conversation.workspace_id)
    target = _customer_language(conversation, contact)
    source = await agent_source_language(session, principal=principal, config=config, body=body)
    try:
        return await translate_text(
            session,
            workspace_id=conversation.workspace_id,
            config=config,
            text=body,
            source=source,
            target=target,
            contact_id=contact.id,
            region=contact.region,
        )
    except (TranslationUnavailable, TranslationError) as exc:
        raise translation_problem(exc) from None


async def outgoing_text(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation: Conversation,
    contact: Contact,
    body: str,
    translate: bool,
    sent_body: str | None,
    private: bool = False,
) -> OutgoingText:
    """What to send for a reply, translating or recording the agent's edited translation."""
    if private:
        if translate or sent_body is not None:
            raise ProblemError(
                422,
                "a private note is never sent to the customer, so it is not translated",
                errors=[{"pointer": "/translate" if translate else "/sent_body", "message": "not for notes"}],
            )
        return OutgoingText(None, None)
    if sent_body is not None:
        target = _customer_language(conversation, contact)
        config = await load_translation(session, workspace_id=conversation.workspace_id)
        source = await agent_source_language(session, principal=principal, config=config, body=body)
        if not same_language(source, target):
            known = await memory.lookup(
                session, workspace_id=conversation.workspace_id, source=source, target=target, texts=[body]
            )
            edited = unicodedata.normalize("NFC", sent_body).strip()
            # Sending the preview unchanged is not a correction: the machine said it first.
            if all(m.target_text != edited for m in known.values()):
                await memory.remember_human(
                    session,
                    workspace_id=conversation.workspace_id,
                    source=source,
                    target=target,
                    source_text=body,
                    target_text=sent_body,
                    contact_id=contact.id,
                    region=contact.region,
                    author_agent_id=principal.agent_id,
                )
        return OutgoingText(sent_body, target)
    if not translate:
        return OutgoingText(None, None)
    result = await translate_reply(
        session, principal=principal, conversation=conversation, contact=contact, body=body
    )
    if result.origin == "none":
        return OutgoingText(None, result.target)
    return OutgoingText(result.text, result.target)
