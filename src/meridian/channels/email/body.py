"""Walking a MIME tree: which parts are the body, which are attachments."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message

from meridian.channels.email.charsets import decode_bytes
from meridian.channels.email.headers import decode_header_value, normalize_message_id

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
# Bodies nested deeper than this are a zip-bomb-like attack, not mail.
_MAX_DEPTH = 20


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    content_id: str | None = None
    # Shown inside the HTML body (cid: reference) rather than offered as a download.
    inline: bool = False


@dataclass
class BodyParts:
    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)


def collect_body(message: Message, defects: list[str]) -> BodyParts:
    parts = BodyParts()
    _visit(message, parts, defects, depth=0)
    return parts


def _visit(part: Message, parts: BodyParts, defects: list[str], depth: int) -> None:
    defects.extend(f"{type(d).__name__}: {d}".rstrip(": ") for d in part.defects)
    content_type = _content_type(part)
    if content_type.startswith("message/"):
        # A forwarded or bounced message is one attachment, not more body text.
        parts.attachments.append(_attachment(part, content_type, _message_bytes(part), defects))
        return
    if part.is_multipart():
        payload = part.get_payload()
        if depth >= _MAX_DEPTH or not isinstance(payload, list):
            defects.append("MIME nesting too deep; the rest was skipped")
            return
        for child in payload:
            if isinstance(child, Message):
                _visit(child, parts, defects, depth + 1)
        return
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = str(part.get_payload()).encode("utf-8", "surrogateescape")
    if content_type.startswith("multipart/"):
        # Its boundary never appeared, so the parser kept the whole body as one
        # string: showing that text beats showing nothing.
        content_type = "text/plain"
    disposition = (part.get_content_disposition() or "").lower()
    is_body_type = content_type in ("text/plain", "text/html")
    if is_body_type and disposition != "attachment" and not part.get_filename():
        label = part.get_content_charset()
        if label is None and content_type == "text/html":
            found = _META_CHARSET.search(data[:4096])
            label = found.group(1).decode("ascii") if found else None
        decoded = decode_bytes(data, label)
        if decoded.defect:
            defects.append(f"{content_type} part: {decoded.defect}")
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
        if content_type == "text/html":
            parts.html.append(text)
        else:
            flowed = (part.get_param("format") or "") == "flowed"
            delsp = str(part.get_param("delsp") or "").lower() == "yes"
            parts.text.append(unflow(text, delsp=delsp) if flowed else text)
        return
    parts.attachments.append(_attachment(part, content_type, data, defects))


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def _attachment(part: Message, content_type: str, data: bytes, defects: list[str]) -> ParsedAttachment:
    raw_name = part.get_filename()
    filename = decode_header_value(str(raw_name), defects).strip() if raw_name else ""
    # A name must not be able to climb out of whatever directory stores it.
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1].strip(". ")
    if not filename:
        filename = _default_filename(content_type)
    content_id = normalize_message_id(str(part.get("Content-ID") or "")) or None
    disposition = (part.get_content_disposition() or "").lower()
    inline = disposition == "inline" or (content_id is not None and disposition != "attachment")
    return ParsedAttachment(
        filename=filename,
        content_type=content_type,
        data=data,
        content_id=content_id,
        inline=inline,
    )


def _default_filename(content_type: str) -> str:
    if content_type == "message/rfc822":
        return "message.eml"
    main, _, sub = content_type.partition("/")
    if main in ("message", "text"):
        # delivery-status.txt, rfc822-headers.txt: the subtype says what it is.
        return f"{sub or main}{mimetypes.guess_extension(content_type) or '.txt'}"
    return f"{main}{mimetypes.guess_extension(content_type) or '.bin'}"


def _message_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks: list[bytes] = []
        for inner in payload:
            if not isinstance(inner, Message):
                continue
            try:
                chunks.append(inner.as_bytes())
            except Exception:
                chunks.append(inner.as_string().encode("utf-8", "surrogateescape"))
        return b"\n".join(chunks)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else str(payload).encode("utf-8", "surrogateescape")


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join RFC 3676 format=flowed soft line breaks (a line ending in a space) within
    one quote depth; the signature delimiter "-- " is never a soft break."""
    out: list[str] = []
    buffer: str | None = None
    buffer_depth = 0

    def flush() -> None:
        if buffer is not None:
            out.append((">" * buffer_depth + " " if buffer_depth else "") + buffer)

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if buffer is not None and depth != buffer_depth:
            flush()
            buffer = None
        joined = (buffer or "") + content
        if content.endswith(" ") and content != "-- ":
            buffer, buffer_depth = (joined[:-1] if delsp else joined), depth
            continue
        buffer, buffer_depth = joined, depth
        flush()
        buffer = None
    flush()
    return "\n".join(out)
