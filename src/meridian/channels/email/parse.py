"""Raw RFC 5322 bytes -> ``ParsedEmail`` -> the channel-neutral ``InboundMessage``.

Real mail is messy; ``parse_email`` never raises. What was off is listed in
``defects`` (and ``malformed`` set) so the raw message can be looked at later.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy
from email.utils import parsedate_to_datetime

from meridian.channels.base import InboundAttachment, InboundContact, InboundMessage
from meridian.channels.email.body import BodyParts, ParsedAttachment, collect_body
from meridian.channels.email.charsets import decode_bytes
from meridian.channels.email.headers import (
    Address,
    decode_header_value,
    message_ids,
    normalize_message_id,
    parse_addresses,
)
from meridian.channels.email.html_text import html_to_text, sanitize_html
from meridian.channels.email.quotes import strip_quoted_reply

SYNTHETIC_ID_DOMAIN = "meridian.invalid"


@dataclass
class ParsedEmail:
    message_id: str
    subject: str
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    reply_to: list[Address]
    in_reply_to: list[str]
    references: list[str]
    date: datetime | None
    text: str
    # Sanitized for display (nh3); None when the mail had no HTML part.
    html: str | None
    attachments: list[ParsedAttachment]
    # Decoded (name, value) pairs in message order, for loop detection and display.
    headers: list[tuple[str, str]]
    raw: bytes = field(repr=False)
    message: Message = field(repr=False, compare=False)
    message_id_synthesized: bool = False
    malformed: bool = False
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def thread_refs(self) -> list[str]:
        """In-Reply-To first, then References, without repeats."""
        return list(dict.fromkeys([*self.in_reply_to, *self.references]))


def parse_email(raw: bytes) -> ParsedEmail:
    try:
        return _parse(raw, policy.default)
    except Exception as exc:
        # policy.default parses headers strictly, and some malformed values make it
        # raise (e.g. a parameter name with no value); compat32 is lenient.
        failure = f"default email policy failed: {type(exc).__name__}: {exc}"
    try:
        fallback = _parse(raw, policy.compat32)
    except Exception as exc:
        return _unparsed(raw, [failure, f"compat32 failed: {type(exc).__name__}: {exc}"])
    fallback.defects.insert(0, failure)
    fallback.malformed = True
    return fallback


def _unparsed(raw: bytes, defects: list[str]) -> ParsedEmail:
    """Nothing could read the structure: keep the bytes and show them as text."""
    return ParsedEmail(
        message_id=_synthetic_id(raw),
        subject="",
        sender=None,
        to=[],
        cc=[],
        reply_to=[],
        in_reply_to=[],
        references=[],
        date=None,
        text=decode_bytes(raw, None).text,
        html=None,
        attachments=[],
        headers=[],
        raw=raw,
        message=Message(),
        message_id_synthesized=True,
        malformed=True,
        defects=defects,
    )


def _synthetic_id(raw: bytes) -> str:
    # Stable, so a message fetched twice (IMAP resync) still dedupes on Message-ID.
    return f"{hashlib.sha256(raw).hexdigest()}@{SYNTHETIC_ID_DOMAIN}"


def _parse(raw: bytes, parse_policy: Policy) -> ParsedEmail:
    message = BytesParser(policy=parse_policy).parsebytes(raw)
    defects: list[str] = []
    raw_headers = [(name, str(value)) for name, value in message.raw_items()]

    def values(name: str) -> list[str]:
        return [value for key, value in raw_headers if key.lower() == name]

    def first(name: str) -> str | None:
        found = values(name)
        return found[0] if found else None

    headers = [(name, decode_header_value(value, defects)) for name, value in raw_headers]
    senders = parse_addresses(values("from"), defects) or parse_addresses(values("sender"))
    message_id = normalize_message_id(first("message-id"))
    synthesized = message_id is None
    if message_id is None:
        defects.append("no Message-ID; synthesized one from the raw bytes")
        message_id = _synthetic_id(raw)

    body = collect_body(message, defects)
    html = "\n".join(body.html) if body.html else None
    return ParsedEmail(
        message_id=message_id,
        subject=decode_header_value(first("subject") or "", defects).strip(),
        sender=senders[0] if senders else None,
        to=parse_addresses(values("to"), defects),
        cc=parse_addresses(values("cc"), defects),
        reply_to=parse_addresses(values("reply-to"), defects),
        in_reply_to=[i for v in values("in-reply-to") for i in message_ids(v)],
        references=[i for v in values("references") for i in message_ids(v)],
        date=_date(first("date"), defects),
        text=_text(body, html),
        html=sanitize_html(html) if html is not None else None,
        attachments=body.attachments,
        headers=headers,
        raw=raw,
        message=message,
        message_id_synthesized=synthesized,
        malformed=bool(defects),
        # The same bad header is read for more than one field; report it once.
        defects=list(dict.fromkeys(defects)),
    )


def _text(body: BodyParts, html: str | None) -> str:
    text = "\n".join(body.text).strip("\n").rstrip()
    if not text.strip() and html is not None:
        # HTML-only mail, or an empty text/plain alternative beside the real HTML.
        return html_to_text(html)
    return text


def _date(raw: str | None, defects: list[str]) -> datetime | None:
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append(f"unparseable Date: {raw.strip()[:80]!r}")
        return None
    # "-0000" means "time zone unknown" (RFC 5322 3.3); the instant is still UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- to the channel-neutral shape ---------------------------------------------------


def raw_text(raw: bytes) -> tuple[str, str]:
    """The raw message as text for storage, and how to get the exact bytes back
    (``raw_bytes``).

    UTF-8 when the bytes are UTF-8, else Latin-1, which maps every byte to one code
    point: lossless, and unlike surrogateescape it leaves no lone surrogates, which
    PostgreSQL text columns reject. They reject NUL too, so a message holding a NUL
    byte is kept as base64."""
    if b"\x00" in raw:
        return base64.b64encode(raw).decode("ascii"), "base64"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def raw_bytes(text: str, encoding: str) -> bytes:
    """The exact bytes ``raw_text`` stored."""
    if encoding == "base64":
        return base64.b64decode(text)
    return text.encode(encoding)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unsurrogate(found: re.Match[str]) -> str:
    code = ord(found.group())
    # surrogateescape keeps an undecodable header byte as U+DC80..U+DCFF: show that
    # byte as Latin-1, the likeliest reading of 8-bit junk in a header.
    return chr(code - 0xDC00) if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def _storable(text: str) -> str:
    """PostgreSQL text and jsonb refuse NUL, and UTF-8 cannot carry lone surrogates
    (what raw 8-bit headers decode to); both are replaced, the same way every time,
    so a reply quoting an odd Message-ID still matches it."""
    return _SURROGATE.sub(_unsurrogate, text).replace("\x00", "\ufffd")


# ``external_id`` is a VARCHAR(255); RFC 5322 sets no length on Message-IDs.
_MAX_EXTERNAL_ID = 255


# ``conversations.subject`` is a VARCHAR(500); the full subject stays in ``meta``.
_MAX_SUBJECT = 500


def _external_id(message_id: str) -> str:
    clean = _storable(message_id)
    if len(clean) <= _MAX_EXTERNAL_ID:
        return clean
    return _synthetic_id(clean.encode("utf-8"))


def to_inbound(parsed: ParsedEmail) -> InboundMessage:
    """The channel-neutral message. ``meta`` (kept with the message row, outside the
    vault) holds only what threading and display need: ids, the subject (which the
    conversation already carries) and parse flags, never addresses or text."""
    sender = parsed.sender
    identifier = sender.email.lower() if sender else f"unknown@{SYNTHETIC_ID_DOMAIN}"
    raw, raw_encoding = raw_text(parsed.raw)
    content_ids = {a.content_id: index for index, a in enumerate(parsed.attachments) if a.content_id}
    subject = _storable(parsed.subject)
    return InboundMessage(
        external_id=_external_id(parsed.message_id),
        contact=InboundContact(identifier=identifier, name=sender.name if sender else None, email=identifier),
        body=_storable(strip_quoted_reply(parsed.text)),
        content_type="email",
        attachments=tuple(
            InboundAttachment(
                filename=_storable(a.filename), content_type=a.content_type, data=a.data, size=len(a.data)
            )
            for a in parsed.attachments
        ),
        sent_at=parsed.date,
        raw=raw,
        meta={
            "message_id": _storable(parsed.message_id),
            "references": [_storable(ref) for ref in [*parsed.references, parsed.message_id]],
            "subject": subject,
            # cid -> index in ``attachments``, to point the HTML's cid: images at them.
            "content_ids": {_storable(cid): index for cid, index in content_ids.items()},
            "raw_encoding": raw_encoding,
            "malformed": parsed.malformed,
            "defects": [_storable(d) for d in parsed.defects],
        },
        # Compared with stored external ids, so shaped the same way.
        thread_refs=tuple(_external_id(ref) for ref in parsed.thread_refs),
        subject=subject[:_MAX_SUBJECT],
        html=_storable(parsed.html) if parsed.html is not None else None,
    )
