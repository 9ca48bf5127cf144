"""Telegram ``Update`` objects -> normalized inbound messages.

Field names follow the Bot API reference, https://core.telegram.org/bots/api#update
and #message (PhotoSize, Document, Audio, Voice, Video, Sticker, Location, Contact).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from meridian.channels.base import InboundAttachment, InboundContact, InboundMessage, ParsedWebhook

# Update fields that carry a message from a person talking to the bot.
_MESSAGE_FIELDS = ("message", "edited_message")

# file-like fields of a Message, with the MIME type to assume when Telegram gives none.
_FILE_FIELDS: tuple[tuple[str, str, str], ...] = (
    # (field, our content_type, fallback MIME type)
    ("animation", "video", "video/mp4"),
    ("document", "document", "application/octet-stream"),
    ("audio", "audio", "audio/mpeg"),
    # Voice notes are always OGG/Opus (Bot API, "Voice").
    ("voice", "audio", "audio/ogg"),
    ("video", "video", "video/mp4"),
    ("video_note", "video", "video/mp4"),
)


def parse_update(body: bytes) -> ParsedWebhook:
    parsed = ParsedWebhook()
    try:
        update = json.loads(body)
    except ValueError:
        parsed.ignored.append("telegram webhook body is not JSON")
        return parsed
    if not isinstance(update, dict) or "update_id" not in update:
        parsed.ignored.append("telegram webhook body is not an Update")
        return parsed
    for field in _MESSAGE_FIELDS:
        message = update.get(field)
        if isinstance(message, dict):
            result = _message(update, message, edited=field == "edited_message")
            if isinstance(result, str):
                parsed.ignored.append(result)
            else:
                parsed.messages.append(result)
            return parsed
    kinds = sorted(key for key in update if key != "update_id")
    # channel posts, callback queries, membership changes, polls...: acknowledged so
    # Telegram stops retrying, but they are not a customer writing to us.
    parsed.ignored.append(f"telegram update {', '.join(kinds) or '(empty)'} is not a message")
    return parsed


def _message(update: Mapping[str, Any], message: Mapping[str, Any], *, edited: bool) -> InboundMessage | str:
    chat = message.get("chat")
    if not isinstance(chat, dict) or not _is_id(chat.get("id")):
        return "telegram message without chat.id"
    if not _is_id(update["update_id"]):
        return "telegram update without a usable update_id"
    sender = message.get("from")
    if not isinstance(sender, dict):
        # Anonymous group admins and channels write as sender_chat, without "from".
        sender = {}
    content = _content(message)
    if content is None:
        shown = sorted(set(message) - {"message_id", "date", "chat", "from", "edit_date"})
        return f"telegram message without supported content ({', '.join(shown) or 'empty'})"
    body, content_type, attachments, extra = content
    meta: dict[str, Any] = {
        "chat_id": chat["id"],
        "chat_type": chat.get("type"),
        "message_id": message.get("message_id"),
        "edited": edited,
        **extra,
    }
    if sender.get("id") is not None:
        meta["from_id"] = sender["id"]
    if isinstance(sender.get("username"), str) and sender["username"]:
        meta["username"] = sender["username"]
    timestamp = message.get("edit_date") if edited else message.get("date")
    sent_at = None
    if isinstance(timestamp, int) and 0 <= timestamp < 2**33:
        sent_at = datetime.fromtimestamp(timestamp, UTC)
    return InboundMessage(
        # One update_id per update, edits included: dedupe stays exact and an edit
        # shows up as a new message flagged ``edited`` instead of rewriting history.
        external_id=str(update["update_id"]),
        contact=InboundContact(
            identifier=str(chat["id"]),
            name=_name(sender, chat),
            locale=_str(sender.get("language_code")) or None,
        ),
        body=body,
        content_type=content_type,
        attachments=tuple(attachments),
        sent_at=sent_at,
        raw=json.dumps(update, ensure_ascii=False),
        meta=meta,
    )


def _is_id(value: object) -> bool:
    # Bot API ids are integers; anything else is not an update we can key on.
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(value)
    )


def _str(value: object) -> str:
    """A string field, or "" when the payload put something else there."""
    return value if isinstance(value, str) else ""


def _name(sender: Mapping[str, Any], chat: Mapping[str, Any]) -> str | None:
    person = sender or chat
    parts = [_str(person.get("first_name")), _str(person.get("last_name"))]
    name = " ".join(p for p in parts if p)
    return name or _str(person.get("username")) or _str(chat.get("title")) or None


def _file(item: object) -> dict[str, Any] | None:
    """A Bot API file object (PhotoSize, Document, Sticker...) with a usable file_id."""
    if isinstance(item, dict) and isinstance(item.get("file_id"), str) and item["file_id"]:
        return item
    return None


def _size(item: Mapping[str, Any], key: str) -> int:
    value = item.get(key)
    return value if isinstance(value, int) else 0


Content = tuple[str, str, list[InboundAttachment], dict[str, Any]]


def _content(message: Mapping[str, Any]) -> Content | None:
    text = _str(message.get("text")) or _str(message.get("caption"))
    photos = (
        [p for p in message.get("photo") or [] if _file(p)] if isinstance(message.get("photo"), list) else []
    )
    if photos:
        # Telegram sends every resolution it made; the largest is what the user sent.
        largest = max(photos, key=lambda size: _size(size, "width") * _size(size, "height"))
        photo = InboundAttachment(
            filename=f"photo_{_str(largest.get('file_unique_id')) or largest['file_id']}.jpg",
            content_type="image/jpeg",
            media_ref=largest["file_id"],
            size=_size(largest, "file_size") or None,
        )
        return text, "image", [photo], {}
    sticker = _file(message.get("sticker"))
    if sticker is not None:
        # Bot API "Sticker": static stickers are WebP, animated TGS, video WEBM.
        mime, ext = "image/webp", "webp"
        if sticker.get("is_animated"):
            mime, ext = "application/x-tgsticker", "tgs"
        elif sticker.get("is_video"):
            mime, ext = "video/webm", "webm"
        attachment = InboundAttachment(
            filename=f"sticker.{ext}", content_type=mime, media_ref=sticker["file_id"]
        )
        return _str(sticker.get("emoji")) or "[sticker]", "sticker", [attachment], {}
    for field, content_type, fallback in _FILE_FIELDS:
        item = _file(message.get(field))
        if item is not None:
            mime = _str(item.get("mime_type")) or fallback
            attachment = InboundAttachment(
                filename=_str(item.get("file_name"))
                or f"{field}_{_str(item.get('file_unique_id')) or 'file'}",
                content_type=mime,
                media_ref=item["file_id"],
                size=_size(item, "file_size") or None,
            )
            return text, content_type, [attachment], {}
    if isinstance(message.get("location"), dict):
        loc = message["location"]
        extra = {"latitude": loc.get("latitude"), "longitude": loc.get("longitude")}
        body = f"📍 {loc.get('latitude')}, {loc.get('longitude')}"
        venue = message.get("venue")
        if isinstance(venue, dict):
            # A venue carries its location too; its name is what the customer chose.
            body = ", ".join(str(v) for v in (venue.get("title"), venue.get("address")) if v) or body
        return body, "location", [], extra
    if isinstance(message.get("contact"), dict):
        card = message["contact"]
        who = " ".join(str(p) for p in (card.get("first_name"), card.get("last_name")) if p)
        extra = {"shared_contact": {k: card.get(k) for k in ("phone_number", "user_id") if k in card}}
        return f"{who} {card.get('phone_number', '')}".strip(), "contact", [], extra
    if text:
        return text, "text", [], {}
    return None
