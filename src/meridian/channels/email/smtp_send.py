"""Sending one reply by SMTP (aiosmtplib), threaded so the customer's client files
it under the conversation, with failures classified for the outbox."""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from email import policy as email_policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, getaddresses
from typing import Any

import aiosmtplib

from meridian.channels.base import DeliveryError, OutboundMessage, SendResult
from meridian.channels.email.config import EmailConfig
from meridian.channels.email.headers import message_ids
from meridian.channels.email.threading import make_message_id, reply_subject
from meridian.core.clock import utcnow

DEFAULT_TIMEOUT = 30.0
# Long threads would grow References without bound; RFC 5322 3.6.4 lets us keep the
# first id (the thread root) and the most recent ones.
_MAX_REFERENCES = 20


class _MessageIdList(UnstructuredHeader, BaseHeader):
    """In-Reply-To / References, folded only between ids.

    As unstructured text, any id longer than a line (ours are about 90 characters)
    would be RFC 2047-encoded by the generator, and no mail client reads an encoded
    word as a Message-ID: the customer's reply would lose its thread."""

    def fold(self, *, policy: Policy) -> str:
        # RFC 5322 2.2.3 and 3.6.4: fold at the whitespace between ids; a single id may
        # run past 78 characters (998 is the hard limit).
        head = f"{self.name}:"
        lines, line = [], head
        for item in str(self).split():
            if line != head and len(line) + 1 + len(item) > (policy.max_line_length or 78):
                lines.append(line)
                line = ""
            line += " " + item
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("in-reply-to", _MessageIdList)
_HEADERS.map_to_type("references", _MessageIdList)
# aiosmtplib flattens with its own policy, but each header folds itself with the
# class it was created with, which this policy picks.
_POLICY = email_policy.default.clone(header_factory=_HEADERS)


def build_message(
    message: OutboundMessage,
    *,
    from_address: str,
    from_name: str | None = None,
    html: str | None = None,
) -> EmailMessage:
    """The MIME message for ``message``; its Message-ID names the conversation."""
    sender = _address(from_address, from_name)
    context: Mapping[str, Any] = message.reply_context
    mail = EmailMessage(policy=_POLICY)
    mail["From"] = sender
    mail["To"] = _address(message.recipient, None)
    mail["Subject"] = reply_subject(context.get("subject"), message.conversation_number)
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = make_message_id(message.conversation_id, message.message_id, sender.domain)
    parent = [ref for ref in message_ids(str(context.get("message_id") or "")) if ref.isascii()]
    if parent:
        mail["In-Reply-To"] = f"<{parent[0]}>"
        # RFC 5322 3.6.4: the parent's References, then the parent itself, last.
        # (An id with 8-bit junk in it cannot be sent without SMTPUTF8; it is left out.)
        earlier = [
            ref for ref in _references(context.get("references")) if ref != parent[0] and ref.isascii()
        ]
        chain = [*dict.fromkeys(earlier), parent[0]]
        if len(chain) > _MAX_REFERENCES:
            chain = [chain[0], *chain[-(_MAX_REFERENCES - 1) :]]
        mail["References"] = " ".join(f"<{ref}>" for ref in chain)
    if context.get("list_unsubscribe"):
        # Marketing or proactive mail (deliveries/build.py): RFC 8058 one-click
        # unsubscribe, which Gmail and Yahoo require of bulk senders. The POST header
        # tells the mail client it may unsubscribe without opening a page; DKIM
        # signing of both headers is the sending relay's job.
        mail["List-Unsubscribe"] = f"<{context['list_unsubscribe']}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if context.get("auto"):
        # RFC 3834 section 5: tells the customer's autoresponder not to answer us.
        mail["Auto-Submitted"] = "auto-replied"

    mail.set_content(_text_with_links(message))
    if html:
        mail.add_alternative(html, subtype="html")
    for attachment in message.attachments:
        if attachment.data is None:
            continue
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return mail


async def send_email(
    config: EmailConfig | Mapping[str, Any],
    message: OutboundMessage,
    *,
    from_address: str | None = None,
    from_name: str | None = None,
    html: str | None = None,
    io_timeout: float = DEFAULT_TIMEOUT,
    tls_context: ssl.SSLContext | None = None,
) -> SendResult:
    """Send ``message``; ``external_id`` is its Message-ID (what bounces refer to)."""
    cfg = EmailConfig.coerce(config)
    sender = from_address or cfg.from_address
    if not sender:
        raise DeliveryError("the inbox has no from_address", permanent=True)
    if not cfg.smtp_host:
        raise DeliveryError("the inbox has no smtp_host", permanent=True)
    mail = build_message(message, from_address=sender, from_name=from_name, html=html)
    try:
        errors, response = await aiosmtplib.send(
            mail,
            hostname=cfg.smtp_host,
            port=cfg.smtp_port_or_default,
            username=cfg.username or None,
            password=cfg.password if cfg.username else None,
            use_tls=cfg.security == "ssl",
            # "none" means none: without False aiosmtplib upgrades whenever offered.
            start_tls=cfg.security == "starttls",
            tls_context=tls_context,
            timeout=io_timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise _refused(exc.recipients) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise _response_error(exc.code, exc.message) from exc
    except (
        aiosmtplib.SMTPConnectError,
        aiosmtplib.SMTPServerDisconnected,
        aiosmtplib.SMTPTimeoutError,
        OSError,
    ) as exc:
        if _certificate_rejected(exc):
            raise DeliveryError(f"TLS certificate rejected: {exc}", permanent=True) from exc
        # Refused connections, resets and timeouts: another try may well work.
        raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    except aiosmtplib.SMTPException as exc:
        # The server lacks what the inbox is configured for (STARTTLS, AUTH,
        # SMTPUTF8): only a settings change fixes that.
        raise DeliveryError(f"SMTP server: {exc}", permanent=True) from exc
    message_id = str(mail["Message-ID"]).strip("<>")
    return SendResult(
        external_id=message_id,
        meta={"smtp_response": response, "refused": {k: str(v) for k, v in errors.items()}},
    )


def _address(value: str, name: str | None) -> Address:
    parsed = getaddresses([value])
    display, addr = parsed[0] if parsed else ("", value)
    addr = addr or value.strip()
    if "@" not in addr:
        raise DeliveryError(f"not an email address: {value!r}", permanent=True)
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name or display or "", username=local, domain=domain)


def _references(value: object) -> list[str]:
    if isinstance(value, str):
        return message_ids(value)
    if isinstance(value, Sequence):
        return [ref for item in value for ref in message_ids(str(item)) or [str(item)]]
    return []


def _text_with_links(message: OutboundMessage) -> str:
    """The body, plus a link for each attachment we do not have the bytes of."""
    links = [f"{a.filename}: {a.url}" for a in message.attachments if a.data is None]
    body = message.body.rstrip("\n")
    return "\n\n".join([body, "\n".join(links)]) + "\n" if links else body + "\n"


def _certificate_rejected(exc: BaseException) -> bool:
    # aiosmtplib wraps the ssl error in SMTPConnectError; look down the chain.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _response_error(code: int, text: str) -> DeliveryError:
    # RFC 5321 4.2.1: 4yz is a transient negative completion, 5yz a permanent one.
    return DeliveryError(f"SMTP {code}: {text}".strip(), permanent=code >= 500)


def _refused(recipients: Sequence[aiosmtplib.SMTPRecipientRefused]) -> DeliveryError:
    details = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in recipients)
    permanent = bool(recipients) and all(r.code >= 500 for r in recipients)
    return DeliveryError(f"SMTP recipient refused: {details}", permanent=permanent)
