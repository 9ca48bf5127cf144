"""Twilio's form-encoded webhooks -> inbound messages and delivery receipts.

Parameters from Twilio's "Messaging webhooks" page
(https://www.twilio.com/docs/usage/webhooks/messaging-webhooks) and the status
values from "Outbound Message Status in Status Callbacks"
(https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from meridian.channels.base import (
    InboundAttachment,
    InboundContact,
    InboundMessage,
    ParsedWebhook,
    StatusUpdate,
)

# Twilio message status -> ours. queued/accepted/scheduled/sending all mean Twilio
# holds the message; "sent" means the carrier took it, which is the most we know then.
_STATUSES = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
    "read": "read",
}
# Shown to the agent next to a failed message (https://www.twilio.com/docs/api/errors).
ERROR_TEXT = {
    "21610": "the customer unsubscribed by replying STOP",
    "30003": "the phone is unreachable (off or out of coverage)",
    "30004": "the message was blocked by the recipient or the carrier",
    "30005": "unknown destination number",
    "30006": "landline or unreachable carrier",
    "30007": "the carrier filtered the message as spam",
    "30008": "unknown carrier error",
}


def form_fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def parse_form(body: bytes) -> ParsedWebhook:
    parsed = ParsedWebhook()
    form = form_fields(body)
    status = form.get("MessageStatus", "").lower()
    if status and status not in ("received", "receiving"):
        receipt = _status(form, status)
        if isinstance(receipt, str):
            parsed.ignored.append(receipt)
        else:
            parsed.statuses.append(receipt)
        return parsed
    message = _message(form)
    if isinstance(message, str):
        parsed.ignored.append(message)
    else:
        parsed.messages.append(message)
    return parsed


def _status(form: Mapping[str, str], status: str) -> StatusUpdate | str:
    sid = form.get("MessageSid") or form.get("SmsSid")
    ours = _STATUSES.get(status)
    if not sid:
        return "twilio status callback without MessageSid"
    if ours is None:
        return f"twilio message status {status!r} is not tracked"
    error: str | None = None
    if ours == "failed":
        code = form.get("ErrorCode") or ""
        detail = form.get("ErrorMessage") or ERROR_TEXT.get(code, "")
        error = f"Twilio error {code}: {detail}".rstrip(": ") if code else f"SMS {status}"
    return StatusUpdate(status=ours, external_id=sid, error=error, dedupe_key=f"{sid}:{status}")


def _message(form: Mapping[str, str]) -> InboundMessage | str:
    sid = form.get("MessageSid") or form.get("SmsMessageSid")
    sender = form.get("From")
    if not sid or not sender:
        return "twilio webhook without MessageSid or From"
    attachments: list[InboundAttachment] = []
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        count = 0
    for index in range(count):
        url = form.get(f"MediaUrl{index}")
        if not url:
            continue
        mime = form.get(f"MediaContentType{index}") or "application/octet-stream"
        extension = mimetypes.guess_extension(mime) or ""
        attachments.append(
            InboundAttachment(filename=f"{sid}_{index}{extension}", content_type=mime, media_ref=url)
        )
    content_type = "text"
    if attachments:
        major = attachments[0].content_type.split("/")[0]
        content_type = major if major in ("image", "video", "audio") else "document"
    meta: dict[str, Any] = {"to": form.get("To")}
    # FromCountry hints at the customer's language before they write much.
    for key in ("FromCountry", "FromCity", "NumSegments", "OptOutType", "MessagingServiceSid"):
        if form.get(key):
            meta[key] = form[key]
    return InboundMessage(
        external_id=sid,
        contact=InboundContact(
            identifier=sender,
            phone=sender,
            # WhatsApp through Twilio adds the profile name; plain SMS has none.
            name=form.get("ProfileName") or None,
        ),
        body=form.get("Body", ""),
        content_type=content_type,
        attachments=tuple(attachments),
        raw=json.dumps(form, ensure_ascii=False),
        meta=meta,
    )
