"""Mail we must never answer automatically, and bounces of mail we sent.

Answering a robot with a robot is how two autoresponders mail each other all night;
RFC 3834 section 2 lists the signs, channels.md the rules we apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

from meridian.channels.email.headers import decode_header_value, normalize_message_id
from meridian.channels.email.parse import ParsedEmail

_ROBOT_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster)$", re.IGNORECASE)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_DIAGNOSTIC_TYPE = re.compile(r"^\s*(?:smtp|x-[\w-]+|x400)\s*;\s*", re.IGNORECASE)


def is_auto_generated(msg: ParsedEmail) -> str | None:
    """Why ``msg`` must not get an automatic answer, or ``None`` when it may."""
    auto_submitted = msg.header("Auto-Submitted")
    if auto_submitted is not None:
        # The keyword comes before any comment or parameter: "auto-generated (warning)".
        keyword = re.split(r"[\s;(]", auto_submitted.strip(), maxsplit=1)[0].lower()
        if keyword != "no":
            return f"Auto-Submitted: {auto_submitted.strip()}"
    precedence = (msg.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    list_headers = sorted({name for name, _ in msg.headers if name.lower().startswith("list-")})
    if list_headers:
        return f"mailing list ({', '.join(list_headers)})"
    return_path = msg.header("Return-Path")
    if return_path is not None and return_path.strip().strip("<>").strip() == "":
        return "null Return-Path"
    if msg.sender is not None and _ROBOT_SENDERS.match(msg.sender.email.split("@", 1)[0]):
        return f"sender is {msg.sender.email}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if msg.header(name) is not None:
            return f"{name} present"
    if msg.message.get_content_type() == "multipart/report":
        return "delivery or disposition report"
    return None


@dataclass(frozen=True)
class BouncedRecipient:
    recipient: str
    action: str  # "failed", "delayed", "delivered", "relayed", "expanded"
    status: str | None  # "5.1.1"
    diagnostic: str | None

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and (self.status or "").startswith("5")


@dataclass(frozen=True)
class Bounce:
    # The Message-ID (without brackets) of our message that bounced, when the report
    # carried its headers.
    original_message_id: str | None
    recipients: tuple[BouncedRecipient, ...]
    diagnostic: str

    @property
    def failed(self) -> bool:
        """A permanent failure: mark the outgoing message failed. A 4.x.x report is a
        delay notice; the sending MTA is still trying."""
        return any(r.permanent for r in self.recipients)


def parse_bounce(msg: ParsedEmail) -> Bounce | None:
    """Read an RFC 3464 delivery status notification; ``None`` for anything else."""
    root = msg.message
    if root.get_content_type() != "multipart/report":
        return None
    if str(root.get_param("report-type") or "").lower() != "delivery-status":
        return None
    recipients: list[BouncedRecipient] = []
    original_id: str | None = None
    for part in root.walk():
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            recipients.extend(_recipients(part))
        elif original_id is None and content_type in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                original_id = normalize_message_id(_raw_header(inner[0], "message-id"))
        elif original_id is None and content_type in (
            "text/rfc822-headers",
            "message/global-headers",
        ):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                headers = BytesHeaderParser().parsebytes(data)
                original_id = normalize_message_id(_raw_header(headers, "message-id"))
    diagnostic = next((r.diagnostic for r in recipients if r.permanent and r.diagnostic), None)
    if diagnostic is None:
        diagnostic = next((r.diagnostic for r in recipients if r.diagnostic), None)
    return Bounce(
        original_message_id=original_id,
        recipients=tuple(recipients),
        diagnostic=diagnostic or msg.text.strip()[:1000],
    )


def _recipients(part: Message) -> list[BouncedRecipient]:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return []
    found: list[BouncedRecipient] = []
    # The first block holds per-message fields (Reporting-MTA); the rest, one per recipient.
    for block in blocks[1:]:
        if not isinstance(block, Message):
            continue
        recipient = _raw_header(block, "final-recipient") or _raw_header(block, "original-recipient")
        action = (_raw_header(block, "action") or "").strip().lower()
        if not recipient or not action:
            continue
        status_match = _STATUS.search(_raw_header(block, "status") or "")
        diagnostic = _raw_header(block, "diagnostic-code")
        found.append(
            BouncedRecipient(
                recipient=recipient.split(";", 1)[-1].strip(),
                action=action,
                status=status_match.group(0) if status_match else None,
                diagnostic=_DIAGNOSTIC_TYPE.sub("", " ".join(diagnostic.split())) if diagnostic else None,
            )
        )
    return found


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            return decode_header_value(str(value))
    return None
