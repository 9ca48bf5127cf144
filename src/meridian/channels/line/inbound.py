"""LINE webhook events -> normalized inbound messages.

Shapes follow the Messaging API reference, "Webhook Event Objects" and "Message
event" (https://developers.line.biz/en/reference/messaging-api/#message-event).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from meridian.channels.base import InboundAttachment, InboundContact, InboundMessage, ParsedWebhook
from meridian.channels.payload import text_or_none

# Media the user sent is fetched later by message id; LINE re-encodes images to
# JPEG, videos to MP4 and audio to M4A (reference, "Get content"), and the real
# type comes back with the bytes anyway.
_MEDIA: dict[str, tuple[str, str]] = {
    "image": ("image/jpeg", "jpg"),
    "video": ("video/mp4", "mp4"),
    "audio": ("audio/x-m4a", "m4a"),
}


def parse_events(body: bytes) -> ParsedWebhook:
    parsed = ParsedWebhook()
    try:
        payload = json.loads(body)
    except ValueError:
        parsed.ignored.append("line webhook body is not JSON")
        return parsed
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        parsed.ignored.append("line webhook body has no events list")
        return parsed
    if not events:
        # The console's "Verify" button posts an empty events list.
        parsed.ignored.append("line webhook without events (URL verification)")
    for event in events:
        result = _event(event) if isinstance(event, dict) else "line event is not an object"
        if isinstance(result, str):
            parsed.ignored.append(result)
        else:
            parsed.messages.append(result)
    return parsed


def _event(event: Mapping[str, Any]) -> InboundMessage | str:
    kind = event.get("type")
    if kind != "message":
        # follow, unfollow, postback, join, leave, memberJoined, unsend, beacon...
        return f"line event type {kind!r} is not a message"
    message = event.get("message")
    source = event.get("source")
    if not isinstance(message, dict) or not isinstance(source, dict):
        return "line message event without message or source"
    user_id = text_or_none(source.get("userId"))
    if not user_id:
        return "line message event without source.userId"
    content = _content(message)
    if content is None:
        return f"line message type {message.get('type')!r} is not supported"
    body, content_type, attachments, extra = content
    sent_at = _millis(event.get("timestamp"))
    delivery = event.get("deliveryContext")
    redelivery = bool(delivery.get("isRedelivery")) if isinstance(delivery, dict) else False
    meta: dict[str, Any] = {
        "replyToken": event.get("replyToken"),
        "isRedelivery": redelivery,
        "source_type": source.get("type"),
        "message_id": message.get("id"),
        **extra,
    }
    if event.get("replyToken") and sent_at is not None:
        # What send() reads from reply_context. The event time is a little before we
        # received it, so the token's age is over- rather than under-estimated.
        meta["reply_token"] = event["replyToken"]
        meta["reply_token_at"] = sent_at.isoformat()
    for key in ("groupId", "roomId"):
        if source.get(key):
            meta[key] = source[key]
    if message.get("quoteToken"):
        meta["quoteToken"] = message["quoteToken"]
    return InboundMessage(
        # webhookEventId is unique per event and kept on redelivery; very old payloads
        # lack it, and the message id is unique too.
        external_id=str(event.get("webhookEventId") or message.get("id")),
        contact=InboundContact(identifier=str(user_id)),
        body=body,
        content_type=content_type,
        attachments=tuple(attachments),
        sent_at=sent_at,
        raw=json.dumps(event, ensure_ascii=False),
        meta=meta,
    )


Content = tuple[str, str, list[InboundAttachment], dict[str, Any]]


def _content(message: Mapping[str, Any]) -> Content | None:
    kind = text_or_none(message.get("type"))
    message_id = text_or_none(message.get("id")) or ""
    if kind == "text":
        return str(message.get("text") or ""), "text", [], {}
    if kind in _MEDIA or kind == "file":
        if kind == "file":
            filename = str(message.get("fileName") or f"file_{message_id}")
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        else:
            mime, ext = _MEDIA[str(kind)]
            filename = f"{kind}_{message_id}.{ext}"
        provider = message.get("contentProvider")
        ref = message_id
        if isinstance(provider, dict) and provider.get("type") == "external":
            # Content from another provider is not on LINE's content API, only at its URL.
            ref = str(provider.get("originalContentUrl") or message_id)
        attachment = InboundAttachment(
            filename=filename, content_type=mime, media_ref=ref, size=_size(message.get("fileSize"))
        )
        return "", "document" if kind == "file" else str(kind), [attachment], {}
    if kind == "location":
        extra = {"latitude": message.get("latitude"), "longitude": message.get("longitude")}
        parts = [message.get("title"), message.get("address")]
        body = ", ".join(str(p) for p in parts if p)
        body = body or f"📍 {message.get('latitude')}, {message.get('longitude')}"
        return body, "location", [], extra
    if kind == "sticker":
        extra = {"packageId": message.get("packageId"), "stickerId": message.get("stickerId")}
        # Message stickers carry the words the user typed on them in "text".
        keywords = message.get("keywords")
        body = text_or_none(message.get("text")) or (
            f"[sticker: {', '.join(str(k) for k in keywords[:3])}]"
            if isinstance(keywords, list) and keywords
            else ""
        )
        return body or "[sticker]", "sticker", [], extra
    return None


def _millis(value: Any) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None  # far outside the calendar: a bogus stamp, not a reason to drop the message


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
