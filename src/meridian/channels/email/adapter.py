"""The email channel: mail comes in by IMAP polling or the SMTP receiver
(``service.py``), not by webhook; replies leave by SMTP, threaded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meridian.channels.base import (
    HandshakeResponse,
    OutboundMessage,
    ParsedWebhook,
    RateLimit,
    SendResult,
    WebhookRequest,
)
from meridian.channels.email.config import EmailConfig
from meridian.channels.email.smtp_send import send_email


class EmailInboxConfig(EmailConfig):
    """The inbox settings of api-contract.md; ``imap_folder`` picks a folder other
    than INBOX. Without ``imap_host`` the inbox only receives what is forwarded to
    the SMTP receiver."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_address: str = Field(min_length=3, max_length=254)
    imap_host: str | None = Field(default=None, min_length=1, max_length=253)
    smtp_host: str | None = Field(default=None, min_length=1, max_length=253)
    imap_folder: str = Field(default="INBOX", min_length=1, max_length=200)

    @model_validator(mode="after")
    def _login_for_imap(self) -> EmailInboxConfig:
        if self.imap_host and not (self.username and self.password):
            raise ValueError("IMAP polling needs username and password")
        return self

    @property
    def polls_imap(self) -> bool:
        return bool(self.imap_host)


class EmailChannel:
    kind: ClassVar[str] = "email"
    config_model: ClassVar[type[BaseModel]] = EmailInboxConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset({"password"})
    # Email has no reply window: a customer may be answered weeks later.
    reply_window: ClassVar[timedelta | None] = None
    receives_webhooks: ClassVar[bool] = False
    # SMTP servers throttle by answering 4xx, which the outbox already retries.
    rate_limit: ClassVar[RateLimit | None] = None

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return HandshakeResponse(405, "email arrives by IMAP polling or the SMTP receiver")

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        return None

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        return ParsedWebhook(ignored=["the email channel has no webhook"])

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        # Threading headers come from ``reply_context`` (the customer's last mail's
        # Message-ID, References and Subject); the Subject gets the [#number] tag and
        # our Message-ID names the conversation (smtp_send.build_message).
        return await send_email(config, message)
