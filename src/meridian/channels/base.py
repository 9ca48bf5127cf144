"""The one small interface every channel implements.

A channel adapter is stateless: it authenticates and parses what a vendor sends us,
and sends one outbound message through the vendor. Storing, deduplicating,
threading, events and retries are the same for every channel and live in
``meridian.channels.ingest`` and ``meridian.deliveries``: an adapter never touches
the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel

# --- what comes in -------------------------------------------------------------


@dataclass(frozen=True)
class WebhookRequest:
    method: str
    # The URL the vendor called, rebuilt from MERIDIAN_PUBLIC_URL (Twilio signs it).
    public_url: str
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class HandshakeResponse:
    status: int
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True)
class InboundContact:
    # The channel's own id for the sender: wa_id, PSID, chat id, LINE userId, E.164, email.
    identifier: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes | None = None
    # Vendor media id or URL still to be fetched through ``ChannelAdapter.fetch_media``.
    media_ref: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class InboundMessage:
    # The vendor's id (wamid, mid, update_id, webhookEventId, MessageSid, Message-ID).
    external_id: str
    contact: InboundContact
    body: str
    # "text", "image", "document", "audio", "video", "location", "sticker", "email"...
    content_type: str = "text"
    attachments: tuple[InboundAttachment, ...] = ()
    sent_at: datetime | None = None
    # Vendor payload of this one message, kept raw in the vault.
    raw: str | None = None
    # Where a reply must go when it is not simply the contact (group chat id, LINE token).
    meta: Mapping[str, Any] = field(default_factory=dict)
    # Email threading: referenced Message-IDs and subject; None on chat channels.
    thread_refs: tuple[str, ...] = ()
    subject: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """A receipt about a message we sent: ``external_id`` is what ``send`` returned."""

    status: str  # "sent", "delivered", "read", "failed"
    external_id: str | None = None
    # Messenger/Instagram: everything we sent to ``recipient`` at or before this instant.
    watermark: datetime | None = None
    recipient: str | None = None
    error: str | None = None
    at: datetime | None = None
    # Dedupe key for the receipt itself (WhatsApp: (id, status)).
    dedupe_key: str | None = None


@dataclass
class ParsedWebhook:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    # Shapes we acknowledged but did not use: logged, never an error (vendors retry 5xx).
    ignored: list[str] = field(default_factory=list)


class WebhookAuthError(Exception):
    """Signature or token did not match: answer 401/403 and store nothing."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


# --- what goes out -------------------------------------------------------------


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    url: str  # a signed URL the vendor can fetch
    data: bytes | None = None


@dataclass(frozen=True)
class OutboundMessage:
    message_id: str
    conversation_id: str
    conversation_number: int
    idempotency_key: str
    recipient: str  # the contact's identifier on this channel
    body: str
    attachments: tuple[OutboundAttachment, ...] = ()
    # Channel-specific context from the last inbound message (LINE replyToken,
    # email Message-ID/References/subject, webchat session...).
    reply_context: Mapping[str, Any] = field(default_factory=dict)
    # WhatsApp template when outside the 24-hour window.
    template: Mapping[str, Any] | None = None
    # The whole event for channels that forward events, not just text (api channel).
    event: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SendResult:
    external_id: str | None
    meta: Mapping[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """A failed send, classified so the outbox knows whether to try again.

    Transient (5xx, 429, timeouts, connection errors): retried with backoff,
    honouring ``retry_after`` seconds when the vendor gave one. Permanent (bad token,
    blocked user, window closed, invalid recipient): the message is marked failed
    and ``str(error)`` is shown to the agent.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.http_status = http_status


@dataclass(frozen=True)
class Rate:
    """A vendor's documented send rate: ``per_second`` sustained, ``burst`` at once."""

    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second


@dataclass(frozen=True)
class RateLimit:
    """How fast the outbox may send through one inbox, and to one recipient of it.

    The relay defers (never fails) a delivery that would exceed either
    (``deliveries/ratelimit.py``)."""

    per_inbox: Rate | None = None
    per_recipient: Rate | None = None


# --- the adapter ---------------------------------------------------------------


class ChannelAdapter(Protocol):
    kind: ClassVar[str]
    # Pydantic model of the inbox config (secret fields included); validation errors -> 422.
    config_model: ClassVar[type[BaseModel]]
    # Config keys that are write-only: stored encrypted, never returned by the API.
    secret_keys: ClassVar[frozenset[str]]
    # Free-form replies are allowed only this long after the customer's last message.
    reply_window: ClassVar[timedelta | None]
    # True when inbound arrives at /webhooks/<kind>/<inbox_id>.
    receives_webhooks: ClassVar[bool]
    # The vendor's documented send rate; None where it documents none we could hit.
    rate_limit: ClassVar[RateLimit | None]

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        """Answer a GET on the webhook URL (Meta's verify challenge); 405 where unused."""
        ...

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        """Raise ``WebhookAuthError`` unless the request is signed by the vendor."""
        ...

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        """Turn an authenticated webhook into messages and receipts; never raise on
        unknown shapes (put them in ``ignored``)."""
        ...

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        """Send one message; raise ``DeliveryError`` classified transient or permanent."""
        ...


@runtime_checkable
class MediaFetcher(Protocol):
    """Optional capability: channels whose inbound payloads carry only a media id or
    URL (``InboundAttachment.media_ref``) download the bytes through the vendor here.
    The attachment job checks ``isinstance(adapter, MediaFetcher)``."""

    async def fetch_media(
        self, config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
    ) -> tuple[bytes, str]:
        """The file's bytes and MIME type; raise ``DeliveryError`` classified transient
        (retry later) or permanent (the media is gone or the token is wrong)."""
        ...


def classify_http_error(response: httpx.Response, vendor_message: str | None = None) -> DeliveryError:
    """The common HTTP classification: 429 and 5xx transient, other 4xx permanent."""
    retry_after: float | None = None
    header = response.headers.get("retry-after")
    if header:
        try:
            retry_after = max(0.0, float(header))
        except ValueError:
            retry_after = None
    detail = vendor_message or response.text[:500]
    text = f"HTTP {response.status_code}: {detail}".strip()
    transient = response.status_code == 429 or response.status_code >= 500 or response.status_code == 408
    return DeliveryError(
        text, permanent=not transient, retry_after=retry_after, http_status=response.status_code
    )


def transport_error(exc: httpx.HTTPError) -> DeliveryError:
    """Network-level failures (refused, reset, timeout) are always worth another try."""
    return DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)
