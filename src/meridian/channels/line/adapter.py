"""The LINE channel: a LINE Official Account's Messaging API channel."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from meridian.channels.base import (
    HandshakeResponse,
    OutboundMessage,
    ParsedWebhook,
    Rate,
    RateLimit,
    SendResult,
    WebhookAuthError,
    WebhookRequest,
)
from meridian.channels.line import outbound
from meridian.channels.line.inbound import parse_events

SIGNATURE_HEADER = "X-Line-Signature"


def signature(channel_secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(channel secret, raw body)), as LINE signs webhooks
    (reference, "Verify webhook signature")."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class LineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_secret: str = Field(min_length=1)
    channel_access_token: str = Field(min_length=1)
    api_base_url: HttpUrl = HttpUrl(outbound.DEFAULT_API_BASE_URL)


class LineChannel:
    kind: ClassVar[str] = "line"
    config_model: ClassVar[type[BaseModel]] = LineConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset({"channel_secret", "channel_access_token"})
    # Push messages reach a friend at any time; only the free reply token expires.
    reply_window: ClassVar[timedelta | None] = None
    receives_webhooks: ClassVar[bool] = True
    # Messaging API "Rate limits": 2,000 requests per second per channel for push and reply
    # (https://developers.line.biz/en/reference/messaging-api/#rate-limits).
    rate_limit: ClassVar[RateLimit | None] = RateLimit(per_inbox=Rate(2000, burst=200))

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return HandshakeResponse(405, "LINE delivers webhooks by POST")

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        secret = config.get("channel_secret")
        given = request.header(SIGNATURE_HEADER)
        if not secret:
            raise WebhookAuthError("the inbox has no channel_secret", status=403)
        if not given:
            raise WebhookAuthError(f"{SIGNATURE_HEADER} is missing", status=403)
        # Over the raw bytes: re-serialised JSON would not hash the same.
        expected = signature(str(secret), request.body)
        if not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise WebhookAuthError(f"{SIGNATURE_HEADER} does not match", status=403)

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        return parse_events(request.body)

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        return await outbound.send_message(config, message, http)

    async def fetch_media(
        self, config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
    ) -> tuple[bytes, str]:
        return await outbound.fetch_media(config, media_ref, http)


fetch_media = outbound.fetch_media
