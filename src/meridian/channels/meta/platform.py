"""The Messenger Platform channel shape that Messenger and Instagram both are.

Sending follows the Send API reference
(https://developers.facebook.com/docs/messenger-platform/reference/send-api/):
``POST /{PAGE_ID}/messages`` with ``recipient``, ``messaging_type`` and ``message``,
answering ``{"recipient_id", "message_id"}``; the Page access token goes in the
``access_token`` query parameter as that page shows. Instagram uses the same
endpoint with the Page linked to the Instagram account ("Send a Message",
https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from meridian.channels.base import (
    DeliveryError,
    HandshakeResponse,
    OutboundAttachment,
    OutboundMessage,
    ParsedWebhook,
    RateLimit,
    SendResult,
    WebhookRequest,
)
from meridian.channels.meta.graph import download, graph_post, partly_sent
from meridian.channels.meta.messaging import parse_messaging
from meridian.channels.meta.webhook import handshake, verify_signature
from meridian.channels.text import one_per_char, split_text, utf8_size


class PageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_id: str = Field(min_length=1, pattern=r"^\d+$")
    page_access_token: str = Field(min_length=1)
    app_secret: str = Field(min_length=1)
    verify_token: str = Field(min_length=1)
    api_base_url: HttpUrl = HttpUrl("https://graph.facebook.com/v21.0")


def _attachment_type(attachment: OutboundAttachment) -> str:
    mime = attachment.content_type.split(";")[0].strip().lower()
    for kind in ("image", "video", "audio"):
        if mime.startswith(f"{kind}/"):
            return kind
    return "file"


class PageMessagingChannel:
    """Messenger Platform adapter; subclasses name the product and its limits."""

    kind: ClassVar[str]
    config_model: ClassVar[type[BaseModel]] = PageConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset({"page_access_token", "app_secret", "verify_token"})
    # Standard messaging: replies within 24 hours of the person's last message
    # (https://developers.facebook.com/docs/messenger-platform/send-messages).
    reply_window: ClassVar[timedelta | None] = timedelta(hours=24)
    receives_webhooks: ClassVar[bool] = True
    # Meta sizes Messenger/Instagram send limits by the page's audience and reports them as
    # throttling errors (codes 4, 613), which the outbox retries with backoff.
    rate_limit: ClassVar[RateLimit | None] = None
    # The webhook's "object" value.
    webhook_object: ClassVar[str]
    text_limit: ClassVar[int]
    text_limit_in_utf8_bytes: ClassVar[bool] = False
    reusable_attachments: ClassVar[bool] = False

    def owned_ids(self, config: Mapping[str, Any]) -> frozenset[str] | None:
        """The ``entry.id`` values this inbox answers for."""
        return frozenset({str(config.get("page_id") or "")})

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return handshake(config.get("verify_token"), request)

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        verify_signature(config.get("app_secret"), request)

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        return parse_messaging(
            request.body, expected_object=self.webhook_object, owned_ids=self.owned_ids(config)
        )

    def load_config(self, config: Mapping[str, Any]) -> PageConfig:
        try:
            settings = self.config_model.model_validate(dict(config))
        except ValidationError as exc:
            fields = ", ".join(str(err["loc"][0]) for err in exc.errors() if err["loc"])
            problem = f"the {self.kind} inbox is misconfigured ({fields})"
            raise DeliveryError(problem, permanent=True) from None
        assert isinstance(settings, PageConfig)
        return settings

    def message_parts(self, message: OutboundMessage) -> list[dict[str, Any]]:
        """The ``message`` objects to send in order: text pieces, then each attachment."""
        size = utf8_size if self.text_limit_in_utf8_bytes else one_per_char
        text = message.body.strip()
        parts: list[dict[str, Any]] = []
        if text:
            parts.extend({"text": piece} for piece in split_text(text, self.text_limit, size))
        for attachment in message.attachments:
            payload: dict[str, Any] = {"url": attachment.url}
            if self.reusable_attachments:
                payload["is_reusable"] = True
            kind = _attachment_type(attachment)
            parts.append({"attachment": {"type": kind, "payload": payload}})
        if not parts:
            raise DeliveryError("the message has neither text nor attachments", permanent=True)
        return parts

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        settings = self.load_config(config)
        url = f"{str(settings.api_base_url).rstrip('/')}/{settings.page_id}/messages"
        token = {"access_token": settings.page_access_token}
        parts = self.message_parts(message)
        ids: list[str] = []
        for part in parts:
            body = {
                "recipient": {"id": message.recipient},
                "messaging_type": "RESPONSE",
                "message": part,
            }
            try:
                answer = await graph_post(http, url, json=body, params=token)
            except DeliveryError as exc:
                raise partly_sent(exc, len(ids), len(parts)) from exc
            mid = answer.get("message_id")
            if not mid:
                # Accepted (2xx) without an id: a retry could send it twice, so do not.
                raise DeliveryError(
                    f"{self.kind} accepted the message but returned no message_id",
                    permanent=True,
                )
            ids.append(str(mid))
        return SendResult(external_id=ids[0], meta={"external_ids": ids} if len(ids) > 1 else {})

    async def fetch_media(
        self, config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
    ) -> tuple[bytes, str]:
        """Inbound attachments are signed CDN URLs from the webhook: no token needed."""
        return await download(http, media_ref)
