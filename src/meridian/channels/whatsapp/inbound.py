"""WhatsApp ``messages`` webhooks -> normalized messages and receipts.

Shapes follow the WhatsApp webhooks reference, one page per message type
(https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/
text, image, document, audio, video, sticker, location, interactive, button,
reaction, unsupported, status, errors).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from meridian.channels.base import (
    InboundAttachment,
    InboundContact,
    InboundMessage,
    ParsedWebhook,
    StatusUpdate,
)
from meridian.channels.meta.webhook import load_payload
from meridian.channels.payload import as_dict, dict_items, text_or_none

_MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
_STATUSES = ("sent", "delivered", "read", "failed")


def parse_notification(body: bytes, phone_number_id: str | None) -> ParsedWebhook:
    parsed = ParsedWebhook()
    payload = load_payload(body, "whatsapp_business_account")
    if isinstance(payload, str):
        parsed.ignored.append(payload)
        return parsed
    for entry in dict_items(payload.get("entry")):
        for change in dict_items(entry.get("changes")):
            _change(parsed, change, phone_number_id)
    if not parsed.messages and not parsed.statuses and not parsed.ignored:
        parsed.ignored.append("webhook without messages or statuses")
    return parsed


def _change(parsed: ParsedWebhook, change: Mapping[str, Any], phone_number_id: str | None) -> None:
    field = change.get("field")
    value = change.get("value")
    if field != "messages" or not isinstance(value, dict):
        # Template status, quality and account updates share the webhook; not ours.
        parsed.ignored.append(f"change field {field!r} is not handled")
        return
    metadata = value.get("metadata")
    target = str(metadata.get("phone_number_id") or "") if isinstance(metadata, dict) else ""
    if target != str(phone_number_id or ""):
        # One app can serve many numbers; another inbox owns this one.
        parsed.ignored.append(f"change for phone_number_id {target or '(none)'}: another inbox's")
        return
    names = {
        str(contact.get("wa_id")): text_or_none(as_dict(contact.get("profile")).get("name"))
        for contact in dict_items(value.get("contacts"))
    }
    for message in dict_items(value.get("messages")):
        result = _message(message, names)
        if isinstance(result, str):
            parsed.ignored.append(result)
        else:
            parsed.messages.append(result)
    for status in dict_items(value.get("statuses")):
        update = _status(status)
        if isinstance(update, str):
            parsed.ignored.append(update)
        else:
            parsed.statuses.append(update)
    for error in dict_items(value.get("errors")):
        parsed.ignored.append(f"WhatsApp reported error {error.get('code')}: {_error_text(error)}")


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _error_text(error: Mapping[str, Any]) -> str:
    title = error.get("title") or error.get("message") or "unknown error"
    details = as_dict(error.get("error_data")).get("details")
    return f"{title} - {details}" if details and details != title else str(title)


def _message(message: Mapping[str, Any], names: Mapping[str, Any]) -> InboundMessage | str:
    wamid = message.get("id")
    sender = message.get("from")
    kind = message.get("type")
    if not wamid or not sender:
        return "message without id or from"
    content = _content(message, str(kind))
    if isinstance(content, str):
        return f"message {wamid}: {content}"
    body, attachments, meta = content
    context = message.get("context")
    if isinstance(context, dict) and context.get("id"):
        meta["reply_to"] = context["id"]
    wa_id = str(sender)
    return InboundMessage(
        external_id=str(wamid),
        contact=InboundContact(
            identifier=wa_id,
            name=names.get(wa_id),
            phone=f"+{wa_id}" if wa_id.isdigit() else None,
        ),
        body=body,
        content_type=str(kind),
        attachments=attachments,
        sent_at=_timestamp(message.get("timestamp")),
        raw=json.dumps(message, ensure_ascii=False),
        meta=meta,
    )


Content = tuple[str, tuple[InboundAttachment, ...], dict[str, Any]]


def _content(message: Mapping[str, Any], kind: str) -> Content | str:
    part = as_dict(message.get(kind))
    if kind == "text":
        return str(part.get("body") or ""), (), {}
    if kind in _MEDIA_TYPES:
        return _media(part, kind)
    if kind == "location":
        return _location(part)
    if kind == "interactive":
        reply_kind = part.get("type")
        reply = part.get(str(reply_kind))
        if reply_kind in ("button_reply", "list_reply") and isinstance(reply, dict):
            meta = {"reply_id": reply.get("id"), "reply_type": reply_kind}
            return str(reply.get("title") or ""), (), meta
        return f"interactive reply {reply_kind!r} is not handled"
    if kind == "button":
        # A tap on a template's quick-reply button.
        return str(part.get("text") or ""), (), {"button_payload": part.get("payload")}
    if kind == "reaction":
        emoji = part.get("emoji") or "(removed)"
        return f"reaction {emoji} to {part.get('message_id')} is not a message"
    if kind in ("unsupported", "unknown"):
        errors = dict_items(message.get("errors"))
        reason = _error_text(errors[0]) if errors else "no details"
        return f"unsupported message type ({reason})"
    return f"message type {kind!r} is not handled"


def _media(part: Mapping[str, Any], kind: str) -> Content | str:
    media_id = part.get("id")
    if not media_id:
        return f"{kind} without a media id"
    mime = str(part.get("mime_type") or "application/octet-stream")
    filename = part.get("filename")
    if not filename:
        # Only documents carry a filename; name the rest after the media id.
        extension = mimetypes.guess_extension(mime.split(";")[0].strip()) or ""
        filename = f"{kind}-{media_id}{extension}"
    attachment = InboundAttachment(filename=str(filename), content_type=mime, media_ref=str(media_id))
    return str(part.get("caption") or ""), (attachment,), {}


def _location(part: Mapping[str, Any]) -> Content | str:
    latitude, longitude = part.get("latitude"), part.get("longitude")
    if latitude is None or longitude is None:
        return "location without coordinates"
    label = ", ".join(str(part[key]) for key in ("name", "address") if part.get(key))
    body = f"📍 {label} ({latitude}, {longitude})" if label else f"📍 ({latitude}, {longitude})"
    meta = {"latitude": latitude, "longitude": longitude}
    meta.update({key: part[key] for key in ("name", "address", "url") if part.get(key)})
    return body, (), meta


def _status(status: Mapping[str, Any]) -> StatusUpdate | str:
    wamid, state = status.get("id"), status.get("status")
    if not wamid or state not in _STATUSES:
        return f"status {state!r} for {wamid} is not handled"
    errors = dict_items(status.get("errors"))
    error = "; ".join(f"{e.get('code')} {_error_text(e)}" for e in errors) or None
    return StatusUpdate(
        status=str(state),
        external_id=str(wamid),
        recipient=str(status.get("recipient_id")) if status.get("recipient_id") else None,
        error=error,
        at=_timestamp(status.get("timestamp")),
        dedupe_key=f"{wamid}:{state}",
    )
