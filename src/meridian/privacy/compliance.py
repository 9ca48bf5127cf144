"""The outgoing compliance check: agent replies scanned for risky statements before sending.

Rule sets are per data region: every region gets the base rules (asking for a full card
number or its security code, promising to pass personal data to third parties, in the
console's main languages), and a region adds its own (the US: Social Security numbers,
India: Aadhaar numbers, Singapore: NRIC numbers). A reply that matches is refused with a
422 problem listing the findings and ``override: true``; the agent may send it anyway
with ``"override": true``. Both the warning and the override are audited.

The patterns catch phrasings, not intent: they are a prompt to look again, which is why
an agent can override them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.service import record_by
from meridian.auth.service import Principal
from meridian.core.errors import ProblemError
from meridian.db.engine import get_database

_I = re.IGNORECASE | re.UNICODE


@dataclass(frozen=True)
class Rule:
    id: str
    message: str
    pattern: re.Pattern[str]


CARD_NUMBER = Rule(
    "card_number_request",
    "asks the customer for a full card number or its security code",
    re.compile(
        r"(full|complete|entire|whole|long)\s+(credit\s+|debit\s+)?card\s+number"
        r"|(send|give|tell|provide|type)\s+(me|us)\s+(your\s+)?(credit\s+|debit\s+)?card\s+(number|details)"
        r"|\b(cvv|cvc|cvv2|card\s+security\s+code)\b"
        r"|vollständige\s+kartennummer|kreditkartennummer|prüfnummer"
        r"|número\s+(completo\s+)?de\s+(la\s+|su\s+)?tarjeta"
        r"|numéro\s+(complet\s+)?de\s+(la\s+|votre\s+)?carte"
        r"|número\s+(completo\s+)?do\s+(seu\s+)?cartão",
        _I,
    ),
)
SHARE_DATA = Rule(
    "share_personal_data",
    "promises to share the customer's personal data with third parties",
    re.compile(
        r"(share|sell|pass|give|forward|send)\s+(on\s+)?(your|their|the\s+customer'?s)\s+"
        r"(personal\s+)?(data|information|details|contact\s+details)\s+(on\s+)?"
        r"(with|to)\s+(our\s+)?(third[\s-]part(y|ies)|partners?|advertisers?)"
        r"|(ihre|deine)\s+daten\s+an\s+(dritte|partner)\s+weiter"
        r"|compartir\s+(sus|tus)\s+datos\s+con\s+(terceros|socios)"
        r"|partager\s+(vos|tes)\s+données\s+avec\s+(des\s+tiers|nos\s+partenaires)"
        r"|compartilhar\s+(seus|os\s+seus)\s+dados\s+com\s+(terceiros|parceiros)",
        _I,
    ),
)
BASE_RULES = (CARD_NUMBER, SHARE_DATA)
REGION_RULES: dict[str, tuple[Rule, ...]] = {
    "us": (
        Rule(
            "ssn_request",
            "asks for a Social Security number",
            re.compile(r"social\s+security\s+number|\bSSN\b", _I),
        ),
    ),
    "in": (
        Rule(
            "aadhaar_request",
            "asks for an Aadhaar number",
            re.compile(r"aadhaar|आधार", _I),
        ),
    ),
    "sg": (
        Rule(
            "nric_request",
            "asks for an NRIC number",
            re.compile(r"\bNRIC\b", _I),
        ),
    ),
}


def rules_for(region: str) -> tuple[Rule, ...]:
    return BASE_RULES + REGION_RULES.get(region, ())


def scan(text: str, *, region: str) -> list[Rule]:
    return [rule for rule in rules_for(region) if rule.pattern.search(text)]


async def check_reply(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation_id: str,
    region: str,
    texts: list[str],
    override: bool,
) -> None:
    """Refuse a risky reply (422, audited), or audit its override in the caller's transaction."""
    findings: dict[str, Rule] = {}
    for text in texts:
        for rule in scan(text, region=region):
            findings[rule.id] = rule
    if not findings:
        return
    details = {"conversation_id": conversation_id, "region": region, "rules": sorted(findings)}
    if override:
        await record_by(
            session,
            principal,
            "compliance.overridden",
            target=f"conversation:{conversation_id}",
            details=details,
        )
        return
    # The reply is refused, so the caller's transaction never commits: audit on our own.
    async with get_database().session() as own:
        await record_by(
            own, principal, "compliance.warned", target=f"conversation:{conversation_id}", details=details
        )
        await own.commit()
    raise ProblemError(
        422,
        "this reply may break data-protection rules: "
        + "; ".join(rule.message for rule in findings.values())
        + ". Edit it, or send it anyway with override",
        title="Compliance warning",
        extensions={
            "findings": [{"rule": r.id, "message": r.message} for r in findings.values()],
            "override": True,
        },
    )
