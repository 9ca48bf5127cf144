"""Masking payment data and configured patterns before text leaves for a third party.

Call ``redact`` (or ``redact_for_workspace``) on the copy sent to a translation
provider or an LLM. Inbound messages are masked before anything is stored
(``redact_inbound``: body, HTML and the vendor's raw payload), so no full card number is
kept at rest, sealed or not; agents' replies get their card numbers masked
(``mask_cards``). Why both directions and why no sealed original: docs/privacy.md.

* Card numbers: 13 to 19 digits starting with 2 to 6, optionally grouped by spaces
  or hyphens, not after a "+", that pass the Luhn check (ISO/IEC 7812), so order and
  tracking numbers and phone numbers are left alone. All but the last four digits are
  masked, keeping the grouping.
* IBANs: country code, check digits and BBAN that pass the ISO 13616 mod-97 check
  and the country's length and format (``python-stdnum``). Country code and last four
  characters stay visible.
* Workspace patterns (``PUT /api/v1/settings/redaction``): each match becomes ``[redacted]``.
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iban, luhn

MASK = "•"
REDACTED = "[redacted]"
# Payment cards start with 2-6 (ISO/IEC 7812 major industry identifiers of banking and
# payment). Excluding 0, 1, 7-9 and a leading "+" keeps phone numbers (+49 151..., 0049...,
# one in ten of which passes Luhn) out of the masks now that agents see the result.
_CARD = re.compile(r"(?<![\d+-])[2-6](?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


@dataclass(frozen=True)
class Redacted:
    text: str
    # What was masked, in order: "card", "iban", "pattern".
    found: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.found)


def _mask_keep_last(value: str, keep: int, *, skip_prefix: int = 0, mask: str = MASK) -> str:
    significant = [i for i, ch in enumerate(value) if ch.isalnum()]
    visible = set(significant[:skip_prefix]) | set(significant[-keep:])
    return "".join(ch if (i in visible or not ch.isalnum()) else mask for i, ch in enumerate(value))


def redact(
    text: str,
    *,
    patterns: Iterable[str | re.Pattern[str]] = (),
    mask: str = MASK,
    ibans: bool = True,
) -> Redacted:
    found: list[str] = []

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        if not luhn.is_valid(digits):
            return match.group()
        found.append("card")
        return _mask_keep_last(match.group(), 4, mask=mask)

    def account(match: re.Match[str]) -> str:
        if not iban.is_valid(match.group()):
            return match.group()
        found.append("iban")
        return _mask_keep_last(match.group(), 4, skip_prefix=2, mask=mask)

    out = _IBAN.sub(account, text) if ibans else text
    out = _CARD.sub(card, out)
    for pattern in patterns:
        compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
        out, count = compiled.subn(REDACTED, out)
        found.extend(["pattern"] * count)
    return Redacted(out, tuple(found))


async def redact_for_workspace(session: AsyncSession, *, workspace_id: uuid.UUID, text: str) -> Redacted:
    """``redact`` with the workspace's configured patterns."""
    from meridian.privacy.policies import redaction_patterns

    return redact(text, patterns=await redaction_patterns(session, workspace_id=workspace_id))


def mask_cards(text: str) -> str:
    """Card numbers only: what an agent's reply gets. A business legitimately sends its
    own IBAN (pay by transfer) and its own reference numbers, never a full card number."""
    return redact(text, ibans=False).text


@dataclass(frozen=True)
class InboundCopies:
    body: str
    html: str | None
    # None when the payload hid something the masks could not reach (encoded MIME).
    raw: str | None
    found: tuple[str, ...]


def redact_inbound(
    *, body: str, html: str | None, raw: str | None, patterns: Iterable[str], mime: bool, raw_base64: bool
) -> InboundCopies:
    """What an inbound message may store: every copy masked the same way.

    The raw payload is masked as text with ASCII ``*`` (an email's raw is written back to
    bytes in its own charset). A vendor's JSON holds the digits as written; a MIME
    message may hide them in a base64 or quoted-printable part, so an email's masked raw
    is parsed again and dropped if any decoded text part still holds something to mask:
    losing the source copy of that one mail is the price of never keeping the number."""
    compiled = [re.compile(p) for p in patterns]
    shown = redact(body, patterns=compiled)
    found = list(shown.found)
    markup = None
    if html is not None:
        masked_html = redact(html, patterns=compiled)
        markup = masked_html.text
        found.extend(masked_html.found)
    source = raw
    if raw is not None:
        if raw_base64:
            # Kept as base64 because it holds NUL bytes: nothing to mask as text.
            source = None if _mime_sensitive(base64.b64decode(raw), compiled) else raw
        else:
            masked_raw = redact(raw, patterns=compiled, mask="*")
            source = masked_raw.text
            found.extend(masked_raw.found)
            if mime and _mime_sensitive(source.encode("utf-8", "surrogateescape"), compiled):
                source = None
        if source is None:
            found.append("raw_dropped")
    return InboundCopies(shown.text, markup, source, tuple(found))


def _mime_sensitive(raw: bytes, patterns: list[re.Pattern[str]]) -> bool:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    for part in parsed.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError):
            # Undecodable part: text-level masking already ran on what is readable.
            continue
        if isinstance(content, str) and redact(content, patterns=patterns, mask="*").changed:
            return True
    return False
