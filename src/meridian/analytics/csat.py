"""CSAT: the survey after a resolution, the customer's rating, the API to record one.

The survey is an ordinary outgoing message (``author_kind="system"``) through the
outbox, in the customer's language on their channel. The answer is the next thing the
customer writes in that inbox within ``ANSWER_WINDOW``: when it starts with a 1-5
rating it is recorded (the rest is the comment, kept in the vault as the message).
Channels open a new conversation for a message after a resolution; that conversation
only carries the rating, so it is closed again and left out of the reports.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics.models import CsatSurvey
from meridian.analytics.survey import parse_rating, survey_language
from meridian.auth.service import Principal
from meridian.canned.system import customer_language, render_system
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.conversations.service import event_scope, get_visible
from meridian.core.clock import utcnow
from meridian.events.service import publish
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.messages.system import post_system_message
from meridian.privacy.redaction import redact_for_workspace
from meridian.vault import service as vault
from meridian.workspaces.models import Workspace

ANSWER_WINDOW = timedelta(days=7)
RATING_TAG = "csat"


def _enabled(workspace: Workspace | None) -> bool:
    return workspace is not None and (workspace.settings or {}).get("csat_enabled", True) is not False


async def _anyone_replied(session: AsyncSession, conversation_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Message.conversation_id == conversation_id,
                    Message.direction == "outgoing",
                    Message.author_kind.in_(("human", "bot")),
                )
            )
        )
    )


async def send_survey(session: AsyncSession, *, conversation: Conversation) -> CsatSurvey | None:
    """Ask for a rating after a resolution, once per conversation; None when not asked."""
    if conversation.status != "resolved" or RATING_TAG in (conversation.tags or []):
        return None
    already = await session.scalar(select(CsatSurvey.id).where(CsatSurvey.conversation_id == conversation.id))
    if already is not None or not await _anyone_replied(session, conversation.id):
        return None
    workspace = await session.get(Workspace, conversation.workspace_id)
    inbox = await session.get(Inbox, conversation.inbox_id)
    contact = await session.get(Contact, conversation.contact_id)
    if not _enabled(workspace) or inbox is None or contact is None or contact.erased_at is not None:
        return None
    assert workspace is not None
    # The workspace's wording when an admin changed it (canned/system.py), else ours.
    survey_text = await render_system(
        session,
        key="csat_survey",
        conversation=conversation,
        contact=contact,
        # Overrides may add languages we ship no survey in: the customer's own tag decides.
        language=customer_language(conversation, contact),
    )
    language = survey_text.locale
    # Not sent (None) outside a channel's reply window: Meta refuses free-form messages there.
    message = await post_system_message(
        session,
        conversation=conversation,
        body=survey_text.body,
        kind="reply",
        language=language,
        meta={"csat_survey": True},
    )
    if message is None:
        return None
    now = message.created_at
    survey = CsatSurvey(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        contact_id=contact.id,
        inbox_id=inbox.id,
        language=language,
        status="sent",
        message_id=message.id,
        sent_at=now,
    )
    session.add(survey)
    await session.flush()
    scope = event_scope(conversation)
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="csat.requested",
        payload={"conversation_id": str(conversation.id), "survey_id": str(survey.id), "at": now.isoformat()},
        **scope,
    )
    return survey


async def _pending_survey(session: AsyncSession, message: Message) -> CsatSurvey | None:
    survey = await session.scalar(
        select(CsatSurvey)
        .where(
            CsatSurvey.contact_id == message.contact_id,
            CsatSurvey.inbox_id == message.inbox_id,
            CsatSurvey.status == "sent",
            CsatSurvey.sent_at >= message.created_at - ANSWER_WINDOW,
            CsatSurvey.sent_at <= message.created_at,
        )
        .order_by(CsatSurvey.sent_at.desc())
        .limit(1)
        .with_for_update()
    )
    if survey is None or survey.sent_at is None:
        return None
    earlier = await session.scalar(
        select(
            exists().where(
                Message.contact_id == message.contact_id,
                Message.inbox_id == message.inbox_id,
                Message.direction == "incoming",
                Message.created_at > survey.sent_at,
                Message.created_at < message.created_at,
            )
        )
    )
    # Only the customer's next message answers the survey.
    return None if earlier else survey


async def rating_reply(session: AsyncSession, *, message_id: uuid.UUID) -> CsatSurvey | None:
    """The survey ``message_id`` answered with a rating, recording it the first time.

    Idempotent: the CSAT subscriber and the analytics recorder both ask, whichever
    runs first records.
    """
    answered = await session.scalar(select(CsatSurvey).where(CsatSurvey.reply_message_id == message_id))
    if answered is not None:
        return answered
    message = await session.get(Message, message_id)
    if message is None or message.direction != "incoming" or message.author_kind != "customer":
        return None
    survey = await _pending_survey(session, message)
    if survey is None:
        return None
    contact = await session.get(Contact, message.contact_id)
    region = contact.region if contact is not None else "default"
    content = (await vault.get_messages(session, [(message.id, region)])).get(message.id)
    rating = parse_rating(content.body) if content is not None else None
    if rating is None:
        survey.status = "ignored"
        return None
    survey.status = "answered"
    survey.rating = rating.score
    survey.reply_message_id = message.id
    survey.reply_conversation_id = message.conversation_id
    survey.answered_at = message.created_at
    survey.source = "reply"
    await _announce(session, survey, at=message.created_at.isoformat())
    await _settle_reply_conversation(session, message.conversation_id)
    return survey


async def _settle_reply_conversation(session: AsyncSession, conversation_id: uuid.UUID) -> None:
    """A rating is not a new request: close what it opened or reopened."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or conversation.status == "resolved":
        return
    conversation.status = "resolved"
    conversation.resolved_at = utcnow()
    conversation.tags = sorted({*(conversation.tags or []), RATING_TAG})
    await publish(
        session,
        workspace_id=conversation.workspace_id,
        type="conversation.updated",
        payload={
            "conversation_id": str(conversation.id),
            "fields": ["status", "tags"],
            "status": "resolved",
            "priority": conversation.priority,
        },
        **event_scope(conversation),
    )


async def _announce(session: AsyncSession, survey: CsatSurvey, *, at: str) -> None:
    conversation = await session.get(Conversation, survey.conversation_id)
    assert conversation is not None
    await publish(
        session,
        workspace_id=survey.workspace_id,
        type="csat.recorded",
        payload={
            "conversation_id": str(survey.conversation_id),
            "survey_id": str(survey.id),
            "rating": survey.rating,
            "source": survey.source,
            "reply_message_id": str(survey.reply_message_id) if survey.reply_message_id else None,
            "at": at,
        },
        **event_scope(conversation),
    )


async def submit_rating(
    *,
    session: AsyncSession,
    principal: Principal,
    conversation_id: uuid.UUID,
    rating: int,
    comment: str | None,
) -> CsatSurvey:
    """A rating given through the API (API and web chat channels); the latest one counts."""
    conversation = await get_visible(session, principal=principal, conversation_id=conversation_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None
    survey = await session.scalar(
        select(CsatSurvey).where(CsatSurvey.conversation_id == conversation.id).with_for_update()
    )
    if survey is None:
        survey = CsatSurvey(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            contact_id=contact.id,
            inbox_id=conversation.inbox_id,
            language=survey_language(conversation.language, contact.locale),
        )
        session.add(survey)
    now = utcnow()
    survey.status, survey.rating, survey.answered_at, survey.source = "answered", rating, now, "api"
    survey.reply_message_id = None
    if comment:
        # Customer input like any inbound message: masked before storage (privacy/redaction.py).
        masked = await redact_for_workspace(session, workspace_id=conversation.workspace_id, text=comment)
        # Feedback, not a new chat turn: stored in the thread, but no message.created.
        note = Message(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            inbox_id=conversation.inbox_id,
            contact_id=contact.id,
            direction="incoming",
            author_kind="customer",
            content_type="csat",
            delivery_status="received",
            meta={"csat_comment": True},
            created_at=now,
        )
        session.add(note)
        await session.flush()
        await vault.put_message(
            session,
            workspace_id=conversation.workspace_id,
            message_id=note.id,
            conversation_id=conversation.id,
            contact_id=contact.id,
            region=contact.region,
            body=masked.text,
        )
        survey.reply_message_id = note.id
    survey.reply_conversation_id = conversation.id
    await session.flush()
    await _announce(session, survey, at=now.isoformat())
    await session.commit()
    return survey


async def recent_ratings(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    since: datetime,
    until: datetime,
    limit: int,
    team_ids: frozenset[uuid.UUID] | None = None,
    inbox_ids: frozenset[uuid.UUID] | None = None,
) -> list[tuple[CsatSurvey, str | None]]:
    """Answered surveys, newest first, with their comments (read through the vault);
    ``team_ids`` / ``inbox_ids``: a role-limited reader's conversations only."""
    stmt = select(CsatSurvey).where(
        CsatSurvey.workspace_id == workspace_id,
        CsatSurvey.status == "answered",
        CsatSurvey.answered_at >= since,
        CsatSurvey.answered_at < until,
    )
    if inbox_ids is not None:
        stmt = stmt.where(CsatSurvey.inbox_id.in_(inbox_ids))
    if team_ids is not None:
        stmt = stmt.where(
            CsatSurvey.conversation_id.in_(select(Conversation.id).where(Conversation.team_id.in_(team_ids)))
        )
    surveys = list(
        await session.scalars(stmt.order_by(CsatSurvey.answered_at.desc(), CsatSurvey.id.desc()).limit(limit))
    )
    found = await comments(session, surveys)
    return [(survey, found.get(survey.id) or None) for survey in surveys]


async def comments(session: AsyncSession, surveys: list[CsatSurvey]) -> dict[uuid.UUID, str]:
    """Each answered survey's comment, read through the vault (erased customers: none)."""
    refs: list[tuple[uuid.UUID, str]] = []
    for survey in surveys:
        if survey.reply_message_id is not None:
            contact = await session.get(Contact, survey.contact_id)
            refs.append((survey.reply_message_id, contact.region if contact else "default"))
    contents = await vault.get_messages(session, refs)
    out: dict[uuid.UUID, str] = {}
    for survey in surveys:
        content = contents.get(survey.reply_message_id) if survey.reply_message_id else None
        if content is None:
            continue
        parsed = parse_rating(content.body) if survey.source == "reply" else None
        out[survey.id] = parsed.comment if parsed is not None else content.body
    return out
