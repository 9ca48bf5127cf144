"""Mail arriving in an email inbox, whichever way it came (IMAP poll or SMTP receiver).

``receive_email`` decides what one raw message is: a bounce of something we sent
(mark that reply failed, open nothing), or a customer's mail (stored through the
shared ingest, threaded, robots flagged). It never loses a message: mail that
cannot be stored as parsed is stored again as its raw bytes, flagged. The caller
commits, and only then acknowledges (SMTP 250) or moves the IMAP cursor.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.channels.base import InboundContact, InboundMessage, StatusUpdate
from meridian.channels.email.loops import Bounce, is_auto_generated, parse_bounce
from meridian.channels.email.parse import SYNTHETIC_ID_DOMAIN, ParsedEmail, parse_email, to_inbound
from meridian.channels.email.smtp_receive import SmtpReceiver, make_smtp_server
from meridian.channels.email.threading import conversation_id_from_refs, number_from_subject
from meridian.channels.ingest import IngestResult, apply_status, ingest_message
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.ops import metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    # "created", "duplicate", "bounce" (a reply marked failed) or "report" (a delay
    # notice or a bounce of nothing we know: nothing to do).
    outcome: str
    conversation_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None


def _domain(address: str | None) -> str | None:
    if not address:
        return None
    return address.rpartition("@")[2].strip().lower() or None


def inbound_for(parsed: ParsedEmail, *, inbox: Inbox) -> InboundMessage:
    """``to_inbound`` plus what only the inbox knows: which of our Message-IDs count
    (those minted for its own domain), the subject tag, and the robot flag."""
    msg = to_inbound(parsed)
    meta = dict(msg.meta)
    named = conversation_id_from_refs(parsed.thread_refs, domain=_domain(inbox.config.get("from_address")))
    if named is not None:
        meta["conversation_id"] = named
    number = number_from_subject(parsed.subject)
    if number is not None:
        meta["conversation_number"] = number
    reason = is_auto_generated(parsed)
    if reason is not None:
        # Stored like any mail, but automation must never answer it (ingest.should_auto_reply).
        meta["auto_generated"] = reason
    return dataclasses.replace(msg, meta=meta)


async def receive_email(session: AsyncSession, *, inbox: Inbox, raw: bytes) -> Received:
    """Store or apply one raw message in ``inbox``; the caller commits."""
    parsed = parse_email(raw)
    bounce = parse_bounce(parsed)
    if bounce is not None:
        return await _apply_bounce(session, inbox, bounce)
    msg = inbound_for(parsed, inbox=inbox)
    try:
        async with session.begin_nested():
            result = await ingest_message(session, inbox=inbox, msg=msg)
    except (OperationalError, InterfaceError):
        raise  # the database, not the message: let the caller retry later
    except Exception as exc:
        log.exception(
            "email could not be stored as parsed; storing it raw", extra={"inbox_id": str(inbox.id)}
        )
        async with session.begin_nested():
            result = await ingest_message(session, inbox=inbox, msg=_unreadable(parsed, msg, exc))
    metrics.INBOUND.labels(channel="email", outcome="created" if result.created else "duplicate").inc()
    return _received(result)


def _received(result: IngestResult) -> Received:
    return Received("created" if result.created else "duplicate", result.conversation_id, result.message_id)


def _unreadable(parsed: ParsedEmail, msg: InboundMessage, exc: Exception) -> InboundMessage:
    """The same mail reduced to what always fits: sender, ids, the raw bytes (base64)."""
    sender = msg.contact.identifier
    if len(sender) > 254 or "@" not in sender:
        sender = f"unknown@{SYNTHETIC_ID_DOMAIN}"
    return InboundMessage(
        external_id=msg.external_id,
        contact=InboundContact(identifier=sender, email=sender),
        body="",
        content_type="email",
        sent_at=msg.sent_at,
        raw=base64.b64encode(parsed.raw).decode("ascii"),
        meta={
            "message_id": msg.external_id,
            "raw_encoding": "base64",
            "malformed": True,
            "defects": [f"could not be stored as parsed: {type(exc).__name__}"],
            "unreadable": True,
        },
    )


async def _apply_bounce(session: AsyncSession, inbox: Inbox, bounce: Bounce) -> Received:
    if not bounce.failed or bounce.original_message_id is None:
        # A delay notice (4.x.x: the MTA keeps trying) or a report without our id.
        log.info("delivery report without a failure to apply", extra={"inbox_id": str(inbox.id)})
        metrics.INBOUND.labels(channel="email", outcome="report").inc()
        return Received("report")
    changed = await apply_status(
        session,
        inbox=inbox,
        status=StatusUpdate(
            status="failed",
            external_id=bounce.original_message_id,
            error=f"bounced: {bounce.diagnostic}"[:1000],
        ),
    )
    metrics.INBOUND.labels(channel="email", outcome="bounce").inc()
    return Received("bounce" if changed else "report")


# --- the SMTP receiver ---------------------------------------------------------------


def _address(value: str) -> str:
    return value.strip().strip("<>").strip().lower()


async def inboxes_for_recipients(session: AsyncSession, recipients: Iterable[str]) -> list[Inbox]:
    """The email inboxes whose ``from_address`` is among ``recipients``; when two
    inboxes claim one address the first configured wins (never both: that would show
    one company's mail to another workspace)."""
    wanted = sorted({_address(r) for r in recipients if r.strip()})
    if not wanted:
        return []
    address = func.lower(Inbox.config["from_address"].astext)
    rows = await session.execute(
        select(Inbox, address.label("address"))
        .where(Inbox.channel == "email", address.in_(wanted))
        .order_by(Inbox.created_at, Inbox.id)
    )
    chosen: dict[str, Inbox] = {}
    for inbox, addr in rows:
        chosen.setdefault(addr, inbox)
    return list({inbox.id: inbox for inbox in chosen.values()}.values())


def smtp_receiver(db: Database, host: str, port: int, *, lmtp: bool = False) -> SmtpReceiver:
    """``MERIDIAN_SMTP_PORT``'s server (``MERIDIAN_LMTP_PORT``'s with ``lmtp``): 550 at
    RCPT for addresses no inbox has, and 250 after DATA only once the message is
    committed (451 otherwise, so the sending MTA keeps it and retries); LMTP answers
    that per recipient."""

    async def accept(address: str) -> bool:
        async with db.session() as session:
            return bool(await inboxes_for_recipients(session, [address]))

    async def deliver(recipients: list[str], raw: bytes) -> None:
        async with db.session() as session:
            inboxes = await inboxes_for_recipients(session, recipients)
            if not inboxes:
                raise LookupError(f"no email inbox for {recipients}")
            for inbox in inboxes:
                await receive_email(session, inbox=inbox, raw=raw)
            await session.commit()

    return make_smtp_server(host, port, deliver, accept_recipient=accept, lmtp=lmtp)
