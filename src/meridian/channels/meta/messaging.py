"""Messenger and Instagram ``messaging`` webhooks -> normalized messages and receipts.

Both products deliver ``{"object", "entry": [{"id", "time", "messaging": [...]}]}``.
Event shapes: Messenger webhook events reference
(https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/
messages, message-echoes, message-deliveries, message-reads, messaging_postbacks) and
"Webhooks for Instagram Messaging"
(https://developers.facebook.com/docs/messenger-platform/instagram/features/webhook),
where ``entry.id`` is the Instagram professional account and a read carries ``mid``.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from meridian.channels.base import (
    InboundAttachment,
    InboundContact,
    InboundMessage,
    ParsedWebhook,
    StatusUpdate,
)
from meridian.channels.meta.webhook import load_payload
from meridian.channels.payload import dict_items

# attachment type -> our content_type; "file" is any document.
_MEDIA = {"image": "image", "video": "video", "audio": "audio", "file": "document"}


def parse_messaging(body: bytes, *, expected_object: str, owned_ids: frozenset[str] | None) -> ParsedWebhook:
    """``owned_ids`` are the entry ids this inbox answers for; None accepts any."""
    parsed = ParsedWebhook()
    payload = load_payload(body, expected_object)
    if isinstance(payload, str):
        parsed.ignored.append(payload)
        return parsed
    for entry in dict_items(payload.get("entry")):
        entry_id = str(entry.get("id") or "")
        if owned_ids is not None and entry_id not in owned_ids:
            # One app's webhook carries every Page it is subscribed to.
            parsed.ignored.append(f"entry for {entry_id or '(no id)'}: another inbox's")
            continue
        events = entry.get("messaging")
        if not isinstance(events, list):
            shown = ", ".join(sorted(set(entry) - {"id", "time"})) or "nothing"
            # "standby" means another app owns the thread (handover protocol).
            parsed.ignored.append(f"entry with {shown} instead of messaging")
            continue
        for event in dict_items(events):
            _event(parsed, event)
    if not parsed.messages and not parsed.statuses and not parsed.ignored:
        parsed.ignored.append("webhook without messaging events")
    return parsed


def _millis(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _id(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("id") is not None:
        return str(value["id"])
    return None


def _event(parsed: ParsedWebhook, event: Mapping[str, Any]) -> None:
    sender = _id(event.get("sender"))
    result: InboundMessage | list[StatusUpdate] | str
    if isinstance(event.get("message"), dict):
        result = _message(event, event["message"], sender)
    elif isinstance(event.get("postback"), dict):
        result = _postback(event, event["postback"], sender)
    elif isinstance(event.get("delivery"), dict):
        result = _receipts(event["delivery"], "delivered", sender)
    elif isinstance(event.get("read"), dict):
        result = _receipts(event["read"], "read", sender)
    else:
        kinds = sorted(set(event) - {"sender", "recipient", "timestamp"})
        result = f"messaging event {', '.join(kinds) or '(empty)'} is not handled"
    if isinstance(result, str):
        parsed.ignored.append(result)
    elif isinstance(result, InboundMessage):
        parsed.messages.append(result)
    else:
        parsed.statuses.extend(result)


def _inbound(
    event: Mapping[str, Any],
    external_id: str,
    sender: str,
    body: str,
    content_type: str = "text",
    attachments: tuple[InboundAttachment, ...] = (),
    meta: Mapping[str, Any] | None = None,
) -> InboundMessage:
    return InboundMessage(
        external_id=external_id,
        contact=InboundContact(identifier=sender),
        body=body,
        content_type=content_type,
        attachments=attachments,
        sent_at=_millis(event.get("timestamp")),
        raw=json.dumps(event, ensure_ascii=False),
        meta={"recipient_id": _id(event.get("recipient")), **(meta or {})},
    )


def _message(
    event: Mapping[str, Any], message: Mapping[str, Any], sender: str | None
) -> InboundMessage | str:
    mid = message.get("mid")
    if message.get("is_echo"):
        # What the Page itself sent (maybe by us): storing it would loop replies.
        return f"echo of page message {mid}"
    if not mid or not sender:
        return "message without mid or sender"
    for flag in ("is_deleted", "is_unsupported"):
        if message.get(flag):
            return f"message {mid} {flag.removeprefix('is_')}"
    lines = [str(message["text"])] if message.get("text") else []
    attachments: list[InboundAttachment] = []
    content_type = "text"
    meta: dict[str, Any] = {}
    for index, item in enumerate(dict_items(message.get("attachments")), start=1):
        kind = str(item.get("type"))
        payload = item.get("payload")
        url = payload.get("url") if isinstance(payload, dict) else None
        place = _location(item) if kind == "location" else None
        if place is not None:
            # A shared location has no file, only coordinates: keep them, not "[location]".
            line, coordinates = place
            lines.append(line)
            meta.update(coordinates)
            if content_type == "text":
                content_type = "location"
        elif kind in _MEDIA and url:
            if not attachments:
                content_type = _MEDIA[kind]
            attachments.append(_attachment(kind, str(url), index))
        elif url:
            # Shares, reels, story mentions, fallbacks: the link is the content.
            lines.append(f"[{kind}] {url}")
        else:
            lines.append(f"[{kind}]")
    if not lines and not attachments:
        return f"message {mid} without text or attachments"
    quick_reply = message.get("quick_reply")
    if isinstance(quick_reply, dict) and quick_reply.get("payload"):
        meta["quick_reply_payload"] = quick_reply["payload"]
    reply_to = message.get("reply_to")
    if isinstance(reply_to, dict) and reply_to.get("mid"):
        meta["reply_to"] = reply_to["mid"]
    return _inbound(event, str(mid), sender, "\n".join(lines), content_type, tuple(attachments), meta)


def _location(item: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Messenger's ``location`` attachment: ``payload.coordinates`` {lat, long}, an
    optional ``title`` and a map ``url`` beside the payload."""
    payload = item.get("payload")
    coordinates = payload.get("coordinates") if isinstance(payload, dict) else None
    if not isinstance(coordinates, dict):
        return None
    latitude, longitude = coordinates.get("lat"), coordinates.get("long")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude)):
        return None
    title = item.get("title") if isinstance(item.get("title"), str) else None
    line = f"📍 {title} ({latitude}, {longitude})" if title else f"📍 ({latitude}, {longitude})"
    meta: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if isinstance(item.get("url"), str):
        meta["url"] = item["url"]
    return line, meta


def _attachment(kind: str, url: str, index: int) -> InboundAttachment:
    name = posixpath.basename(urlsplit(url).path)
    filename = f"{kind}-{index}-{name}" if name else f"{kind}-{index}"
    content_type = mimetypes.guess_type(name)[0] if name else None
    return InboundAttachment(
        filename=filename,
        content_type=content_type or "application/octet-stream",
        media_ref=url,
    )


def _postback(
    event: Mapping[str, Any], postback: Mapping[str, Any], sender: str | None
) -> InboundMessage | str:
    if not sender:
        return "postback without sender"
    # ``mid`` is only sent from Graph API v11 on; older ones get a stable stand-in.
    external_id = postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}"
    title = str(postback.get("title") or postback.get("payload") or "")
    meta = {"postback_payload": postback.get("payload")}
    return _inbound(event, str(external_id), sender, title, meta=meta)


def _receipts(receipt: Mapping[str, Any], status: str, sender: str | None) -> list[StatusUpdate] | str:
    watermark = _millis(receipt.get("watermark"))
    mids = [str(mid) for mid in receipt.get("mids") or [] if mid]
    if receipt.get("mid"):
        mids.append(str(receipt["mid"]))
    if not mids and watermark is None:
        return f"{status} receipt without mids or watermark"
    if not mids:
        key = f"{sender}:{status}:{receipt.get('watermark')}"
        return [StatusUpdate(status, watermark=watermark, recipient=sender, dedupe_key=key)]
    return [
        StatusUpdate(
            status,
            external_id=mid,
            watermark=watermark,
            recipient=sender,
            dedupe_key=f"{mid}:{status}",
        )
        for mid in mids
    ]
