"""The JSON bodies WhatsApp's ``POST /{phone_number_id}/messages`` takes.

Shapes from the Cloud API "Send messages" guides
(https://developers.facebook.com/docs/whatsapp/cloud-api/messages/text-messages,
.../image-messages, .../document-messages, .../audio-messages, .../video-messages,
.../template-messages): media is sent by public ``link``; ``caption`` is accepted on
image, video and document only, up to 1024 characters; ``text.body`` holds at most
4096 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meridian.channels.base import DeliveryError, OutboundAttachment, OutboundMessage
from meridian.channels.text import one_per_char, split_text

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_CAPTIONED = ("image", "video", "document")
# Cloud API "Supported media types": images must be JPEG or PNG; anything else is
# still deliverable as a document the customer can open.
_IMAGE_TYPES = ("image/jpeg", "image/png")


def _envelope(to: str, kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: dict(content),
    }


def media_kind(attachment: OutboundAttachment) -> str:
    mime = attachment.content_type.split(";")[0].strip().lower()
    if mime in _IMAGE_TYPES:
        return "image"
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    return "document"


def template_payload(to: str, template: Mapping[str, Any]) -> dict[str, Any]:
    if not template.get("name") or not template.get("language"):
        raise DeliveryError("a WhatsApp template needs a name and a language", permanent=True)
    return _envelope(to, "template", template)


def message_payloads(message: OutboundMessage) -> list[dict[str, Any]]:
    """Every request one outbound message takes, in the order the customer should see them."""
    to = message.recipient
    if message.template is not None:
        return [template_payload(to, message.template)]
    text = message.body.strip()
    payloads: list[dict[str, Any]] = []
    caption: str | None = None
    first = message.attachments[0] if message.attachments else None
    if first and media_kind(first) in _CAPTIONED and text and len(text) <= CAPTION_LIMIT:
        # Caption and media arrive as one bubble, as the agent wrote them.
        caption, text = text, ""
    if text:
        for piece in split_text(text, TEXT_LIMIT, one_per_char):
            payloads.append(_envelope(to, "text", {"body": piece}))
    for index, attachment in enumerate(message.attachments):
        kind = media_kind(attachment)
        media: dict[str, Any] = {"link": attachment.url}
        if index == 0 and caption:
            media["caption"] = caption
        if kind == "document":
            media["filename"] = attachment.filename
        payloads.append(_envelope(to, kind, media))
    if not payloads:
        raise DeliveryError("the message has neither text nor attachments", permanent=True)
    return payloads
