"""Threading keys: which conversation an incoming mail belongs to.

Our outgoing Message-IDs carry the conversation id, so a reply threads back through
In-Reply-To/References even when the customer rewrote the subject. Clients that drop
those headers (some webmail "reply" buttons, forwards) still keep the subject tag.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

# dot-atom-text (RFC 5322 3.2.3) minus "." and "@", which separate the parts below.
_ID_PART = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_OUR_ID = re.compile(rf"^conv-(?P<conversation>{_ID_PART})\.(?P<message>{_ID_PART})@(?P<domain>.+)$")
_TAG = re.compile(r"\[#(\d{1,18})\]")
# "Re:", "AW:", "Antw:", "Sv:", "回复：", "Fwd:", "WG:", "RE[2]:" and their stacks.
_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|antwort|sv|vs|rif|res|odp|ynt|atb|回复|回覆|答复|fwd?|wg|tr|rv"
    r"|enc|doorst|vl|továbbítás|πρθ|απ|отв)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def make_message_id(conversation_id: str, message_id: str, domain: str) -> str:
    """``<conv-{conversation}.{message}@{domain}>`` for an outgoing message."""
    for part in (conversation_id, message_id):
        if not re.fullmatch(_ID_PART, part):
            raise ValueError(f"cannot put {part!r} in a Message-ID")
    return f"<conv-{conversation_id}.{message_id}@{domain.strip().lower()}>"


def make_unthreaded_message_id(domain: str) -> str:
    """A Message-ID for mail that belongs to no conversation (tests, notifications)."""
    return f"<{secrets.token_hex(16)}@{domain.strip().lower()}>"


def parse_our_message_id(message_id: str) -> tuple[str, str, str] | None:
    """(conversation_id, message_id, domain) when the id is one we generated."""
    found = _OUR_ID.match(message_id.strip().strip("<>"))
    if not found:
        return None
    return found["conversation"], found["message"], found["domain"].lower()


def conversation_id_from_refs(refs: Iterable[str], *, domain: str | None = None) -> str | None:
    """The conversation named by the first of our ids in In-Reply-To/References.

    With ``domain``, ids minted for another domain do not count: a customer
    cannot steer their mail into a conversation of a different mailbox that way.
    """
    wanted = domain.strip().lower() if domain else None
    for ref in refs:
        parsed = parse_our_message_id(ref)
        if parsed and (wanted is None or parsed[2] == wanted):
            return parsed[0]
    return None


def subject_tag(number: int) -> str:
    return f"[#{number}]"


def number_from_subject(subject: str | None) -> int | None:
    found = _TAG.search(subject or "")
    return int(found.group(1)) if found else None


def strip_reply_prefixes(subject: str) -> str:
    return _PREFIX.sub("", subject).strip()


def reply_subject(subject: str | None, number: int) -> str:
    """``Re: <subject> [#n]``: one "Re:", whatever the customer's client stacked up,
    and the tag kept exactly once."""
    base = strip_reply_prefixes(subject or "")
    base = " ".join(_TAG.sub(" ", base).split())
    base = strip_reply_prefixes(base)
    tag = subject_tag(number)
    return f"Re: {base} {tag}" if base else f"Re: {tag}"
