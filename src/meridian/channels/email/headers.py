"""Header values as people wrote them: RFC 2047 words in any charset, raw 8-bit
bytes, addresses and Message-IDs, decoded without ever raising."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header
from email.utils import getaddresses

from meridian.channels.email.charsets import decode_bytes

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ANGLE_ID = re.compile(r"<\s*([^<>\s]+?)\s*>")
# A bare id without angle brackets (seen from broken mailers): local@domain.
_BARE_ID = re.compile(r"[^\s<>()@,;]+@[^\s<>()@,;]+")


@dataclass(frozen=True)
class Address:
    name: str | None
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def unfold(value: str) -> str:
    return _FOLD.sub("", value).strip()


def decode_header_value(raw: str, defects: list[str] | None = None) -> str:
    """Decode a raw header value (as ``Message.raw_items`` gives it) to text."""
    value = unfold(raw)
    if _has_raw_8bit(value):
        # Unencoded 8-bit bytes in a header (common from Asian webmail): the parser
        # kept them as surrogate escapes, so recover the bytes and decode those.
        decoded = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
        _note(defects, decoded.defect, "raw 8-bit header")
        value = decoded.text
    if "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except (HeaderParseError, ValueError, LookupError) as exc:
        _note(defects, f"undecodable encoded word: {exc}", None)
        return value
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            # decode_header hands back the unencoded runs as raw-unicode-escape bytes.
            parts.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            decoded = decode_bytes(chunk, charset)
            _note(defects, decoded.defect, "encoded word")
            parts.append(decoded.text)
    return "".join(parts)


def parse_addresses(raw_values: list[str], defects: list[str] | None = None) -> list[Address]:
    """Split address headers first and decode the names after, so that an encoded
    name containing a comma ("Doe, John") does not split one address in two."""
    result: list[Address] = []
    for name, addr in getaddresses([unfold(v) for v in raw_values]):
        addr = addr.strip()
        if not addr or "@" not in addr:
            continue
        if _has_raw_8bit(addr):
            addr = decode_bytes(addr.encode("utf-8", "surrogateescape"), None).text
        display = decode_header_value(name, defects).strip() if name else ""
        result.append(Address(name=display or None, email=addr))
    return result


def normalize_message_id(raw: str | None) -> str | None:
    """``<abc@host>`` -> ``abc@host``; the first id when a header holds junk around it."""
    if not raw:
        return None
    found = message_ids(raw)
    if found:
        return found[0]
    value = unfold(raw).strip("<> \t")
    return value or None


def message_ids(raw: str | None) -> list[str]:
    """Every Message-ID in an In-Reply-To or References value, in order, without duplicates."""
    if not raw:
        return []
    value = unfold(raw)
    found = _ANGLE_ID.findall(value) or _BARE_ID.findall(value)
    seen: dict[str, None] = {}
    for item in found:
        seen.setdefault(item, None)
    return list(seen)


def _has_raw_8bit(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _note(defects: list[str] | None, defect: str | None, where: str | None) -> None:
    if defects is not None and defect:
        defects.append(f"{where}: {defect}" if where else defect)
