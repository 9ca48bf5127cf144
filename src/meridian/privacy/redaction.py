"""Masking payment data and configured patterns before text leaves for a third party.

Call ``redact`` (or ``redact_for_workspace``) on the copy sent to a translation
provider or an LLM, and on any display copy that should not show card numbers: the
stored message keeps what the customer wrote, the outside service never sees it.

* Card numbers: 13 to 19 digits, optionally grouped by spaces or hyphens, that pass
  the Luhn check (ISO/IEC 7812), so order and tracking numbers are left alone. All
  but the last four digits are masked, keeping the grouping.
* IBANs: country code, check digits and BBAN that pass the ISO 13616 mod-97 check
  and the country's length and format (``python-stdnum``). Country code and last four
  characters stay visible.
* Workspace patterns (``PUT /api/v1/settings/redaction``): each match becomes ``[redacted]``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import iban, luhn

MASK = "•"
REDACTED = "[redacted]"
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


@dataclass(frozen=True)
class Redacted:
    text: str
    # What was masked, in order: "card", "iban", "pattern".
    found: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.found)


def _mask_keep_last(value: str, keep: int, *, skip_prefix: int = 0) -> str:
    significant = [i for i, ch in enumerate(value) if ch.isalnum()]
    visible = set(significant[:skip_prefix]) | set(significant[-keep:])
    return "".join(ch if (i in visible or not ch.isalnum()) else MASK for i, ch in enumerate(value))


def redact(text: str, *, patterns: Iterable[str | re.Pattern[str]] = ()) -> Redacted:
    found: list[str] = []

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        if not luhn.is_valid(digits):
            return match.group()
        found.append("card")
        return _mask_keep_last(match.group(), 4)

    def account(match: re.Match[str]) -> str:
        if not iban.is_valid(match.group()):
            return match.group()
        found.append("iban")
        return _mask_keep_last(match.group(), 4, skip_prefix=2)

    out = _IBAN.sub(account, text)
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
