"""Consent keywords: a customer writing STOP or START on WhatsApp or SMS.

A message that is nothing but an opt-out keyword withdraws the contact's marketing and
proactive consent for that channel; an opt-in keyword grants it. Both are recorded with
the channel, the time and the source (``whatsapp_keyword``, ``sms_keyword``), and the
message itself stays in the conversation like any other. Matching is on the whole
message (trimmed, case- and accent-insensitive, end punctuation ignored), as carriers
and Twilio do: "please stop the order" is a support request, not an opt-out.

Defaults cover Twilio's standard SMS keywords and common words in Spanish, Portuguese,
French, German, Italian and Dutch. "YES"/"SÍ" are left out of the opt-in list on
purpose: on a support channel they mostly answer an agent's question, and consent to
marketing has to be specific. A workspace replaces either list with
``PUT /api/v1/settings/consent-keywords``.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.audit.service import record_by
from meridian.auth.service import Principal
from meridian.core.errors import ProblemError
from meridian.privacy.consent import record_consent
from meridian.workspaces.models import Workspace

SETTING = "consent_keywords"
CHANNELS = frozenset({"whatsapp", "sms"})
# What a keyword grants or withdraws: both kinds of message the customer did not ask for.
PURPOSES = ("marketing", "proactive")
MAX_KEYWORD = 40

DEFAULT_OPT_OUT = (
    # Twilio's standard opt-out keywords.
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
    # es, pt, fr, de, it, nl
    "BAJA",
    "DARME DE BAJA",
    "PARAR",
    "CANCELAR",
    "SAIR",
    "ARRÊT",
    "ARRETER",
    "DÉSABONNER",
    "DÉSINSCRIRE",
    "STOPP",
    "ABMELDEN",
    "DISISCRIVI",
    "CANCELLAMI",
    "AFMELDEN",
    "STOPPEN",
)
DEFAULT_OPT_IN = (
    # Twilio's standard opt-in keywords, without YES (see above).
    "START",
    "UNSTOP",
    "SUBSCRIBE",
    "ALTA",
    "SUSCRIBIR",
    "INSCREVER",
    "ABONNER",
    "ANMELDEN",
    "ISCRIVIMI",
    "AANMELDEN",
)

_END_PUNCTUATION = " \t\r\n.!?¡¿,;:。！？'\"“”«»"


def normalize(text: str) -> str:
    """Case-folded, accents removed, inner whitespace collapsed, end punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().strip(_END_PUNCTUATION).split())


@dataclass(frozen=True)
class ConsentKeywords:
    opt_out: tuple[str, ...]
    opt_in: tuple[str, ...]

    def match(self, text: str) -> bool | None:
        """True for an opt-in, False for an opt-out, None for any other message."""
        said = normalize(text)
        if not said or len(said) > MAX_KEYWORD:
            return None
        if said in {normalize(k) for k in self.opt_out}:
            return False
        if said in {normalize(k) for k in self.opt_in}:
            return True
        return None


DEFAULTS = ConsentKeywords(DEFAULT_OPT_OUT, DEFAULT_OPT_IN)


async def keywords_for(session: AsyncSession, *, workspace_id: uuid.UUID) -> ConsentKeywords:
    settings = await session.scalar(select(Workspace.settings).where(Workspace.id == workspace_id))
    saved = (settings or {}).get(SETTING) or {}
    return ConsentKeywords(
        tuple(saved.get("opt_out", DEFAULT_OPT_OUT)), tuple(saved.get("opt_in", DEFAULT_OPT_IN))
    )


async def set_consent_keywords(
    *, session: AsyncSession, principal: Principal, opt_out: list[str], opt_in: list[str]
) -> ConsentKeywords:
    errors = []
    for field, words in (("opt_out", opt_out), ("opt_in", opt_in)):
        for index, word in enumerate(words):
            if not normalize(word) or len(normalize(word)) > MAX_KEYWORD:
                errors.append(
                    {"pointer": f"/{field}/{index}", "message": f"a keyword of 1 to {MAX_KEYWORD} characters"}
                )
    both = {normalize(w) for w in opt_out} & {normalize(w) for w in opt_in}
    for word in sorted(both):
        errors.append({"pointer": "/opt_in", "message": f"{word!r} is also an opt-out keyword"})
    if errors:
        raise ProblemError(422, "consent keywords: invalid list", errors=errors)
    workspace = await session.get(Workspace, principal.workspace_id, with_for_update=True)
    assert workspace is not None
    workspace.settings = {**workspace.settings, SETTING: {"opt_out": opt_out, "opt_in": opt_in}}
    await record_by(
        session,
        principal,
        "settings.consent_keywords_changed",
        details={"opt_out": len(opt_out), "opt_in": len(opt_in)},
    )
    await session.commit()
    return ConsentKeywords(tuple(opt_out), tuple(opt_in))


async def apply_consent_keyword(
    session: AsyncSession, *, workspace_id: uuid.UUID, contact_id: uuid.UUID, channel: str, body: str
) -> bool | None:
    """Record the consent an inbound WhatsApp or SMS keyword expresses, in the caller's
    transaction (the message and its consent record commit together). Returns what was
    recorded: True granted, False withdrawn, None nothing."""
    said = normalize(body)
    if channel not in CHANNELS or not said or len(said) > MAX_KEYWORD:
        # Most messages are sentences: no settings read for them.
        return None
    granted = (await keywords_for(session, workspace_id=workspace_id)).match(body)
    if granted is None:
        return None
    for purpose in PURPOSES:
        await record_consent(
            session,
            workspace_id=workspace_id,
            contact_id=contact_id,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source=f"{channel}_keyword",
        )
    return granted
