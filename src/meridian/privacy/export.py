"""Exporting everything Meridian holds about a contact (right of access, DSAR) as a ZIP.

Layout::

    contact.json                  profile, identities, consents, privacy requests
    conversations/<number>.json   conversation metadata (tags, custom attributes, the
                                  satisfaction survey and rating) and every message
                                  with its content
    attachments/<id>/<filename>   the attachment bytes, decrypted

Built in memory: bodies are capped by MERIDIAN_MAX_BODY_BYTES, so one contact's export
is bounded by what they sent; a very large history would want a streamed archive.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.analytics.models import CsatSurvey
from meridian.attachments.models import Attachment
from meridian.contacts.models import Contact
from meridian.contacts.service import to_out_many as contacts_out
from meridian.conversations.models import Conversation
from meridian.core.clock import utcnow
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.privacy.models import Consent, PrivacyRequest
from meridian.vault import service as vault
from meridian.vault.files import get_attachment

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def _safe_name(filename: str) -> str:
    name = _UNSAFE.sub("_", filename).strip(" .") or "attachment"
    return name[:120]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()


async def _contact_json(session: AsyncSession, people: Sequence[Contact]) -> dict[str, Any]:
    profiles = [p.model_dump(mode="json") for p in await contacts_out(session, people)]
    ids = [p.id for p in people]
    consents = await session.scalars(
        select(Consent).where(Consent.contact_id.in_(ids)).order_by(Consent.recorded_at, Consent.id)
    )
    requests = await session.scalars(
        select(PrivacyRequest)
        .where(PrivacyRequest.contact_id.in_(ids))
        .order_by(PrivacyRequest.created_at, PrivacyRequest.id)
    )
    return {
        "exported_at": utcnow().isoformat(),
        "contact": profiles[0],
        "merged_contacts": profiles[1:],
        "consents": [
            {
                "purpose": c.purpose,
                "channel": c.channel,
                "granted": c.granted,
                "source": c.source,
                "recorded_at": _iso(c.recorded_at),
            }
            for c in consents
        ],
        "privacy_requests": [
            {
                "type": r.type,
                "status": r.status,
                "created_at": _iso(r.created_at),
                "due_at": _iso(r.due_at),
                "completed_at": _iso(r.completed_at),
            }
            for r in requests
        ],
    }


async def _messages_json(
    session: AsyncSession, conversation: Conversation, region: str, archive: zipfile.ZipFile
) -> list[dict[str, Any]]:
    messages = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.created_at, Message.id)
        )
    )
    contents = await vault.get_messages(session, [(m.id, region) for m in messages])
    attachments: dict[uuid.UUID, list[Attachment]] = {m.id: [] for m in messages}
    if messages:
        for a in await session.scalars(
            select(Attachment).where(Attachment.message_id.in_(list(attachments))).order_by(Attachment.id)
        ):
            attachments[a.message_id].append(a)
    out = []
    for m in messages:
        content = contents.get(m.id, vault.EMPTY_MESSAGE)
        files = []
        for a in attachments[m.id]:
            path = f"attachments/{a.id}/{_safe_name(a.filename)}"
            data = await get_attachment(
                session, contact_id=a.contact_id, region=a.region, storage_key=a.storage_key
            )
            if data is not None:
                archive.writestr(path, data)
            files.append(
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "path": path if data is not None else None,
                }
            )
        out.append(
            {
                "id": str(m.id),
                "direction": m.direction,
                "author_kind": m.author_kind,
                "created_at": _iso(m.created_at),
                "language": m.language,
                "body": content.body,
                "sent_body": content.sent_body,
                "translation": content.translation,
                "html": content.html,
                "raw": content.raw,
                "delivery_status": m.delivery_status,
                "attachments": files,
            }
        )
    return out


async def build_export(session: AsyncSession, people: Sequence[Contact]) -> bytes:
    """The ZIP for ``people`` (a contact and those merged into it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("contact.json", _dump(await _contact_json(session, people)))
        regions = {p.id: p.region for p in people}
        conversations = list(
            await session.scalars(
                select(Conversation)
                .where(Conversation.contact_id.in_(list(regions)))
                .order_by(Conversation.number)
            )
        )
        inbox_ids = {c.inbox_id for c in conversations}
        channels = (
            dict(
                (await session.execute(select(Inbox.id, Inbox.channel).where(Inbox.id.in_(inbox_ids)))).all()
            )
            if inbox_ids
            else {}
        )
        # The customer's satisfaction ratings are their own statements: part of the export.
        surveys = (
            {
                c.conversation_id: c
                for c in await session.scalars(
                    select(CsatSurvey).where(CsatSurvey.conversation_id.in_([c.id for c in conversations]))
                )
            }
            if conversations
            else {}
        )
        for conversation in conversations:
            survey = surveys.get(conversation.id)
            document = {
                "id": str(conversation.id),
                "number": conversation.number,
                "channel": channels.get(conversation.inbox_id),
                "status": conversation.status,
                "subject": conversation.subject,
                "language": conversation.language,
                "created_at": _iso(conversation.created_at),
                "resolved_at": _iso(conversation.resolved_at),
                "tags": list(conversation.tags or []),
                "custom_attributes": dict(conversation.custom_attributes or {}),
                "satisfaction_survey": None
                if survey is None
                else {
                    "status": survey.status,
                    "language": survey.language,
                    "sent_at": _iso(survey.sent_at),
                    "rating": survey.rating,
                    "answered_at": _iso(survey.answered_at),
                },
                "messages": await _messages_json(
                    session, conversation, regions[conversation.contact_id], archive
                ),
            }
            archive.writestr(f"conversations/{conversation.number}.json", _dump(document))
    return buffer.getvalue()
