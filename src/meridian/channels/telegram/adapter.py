"""The Telegram channel: a bot receives updates by webhook and answers through the Bot API."""

from __future__ import annotations

import hmac
import secrets
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
from meridian.channels.telegram import outbound
from meridian.channels.telegram.inbound import parse_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def generate_secret_token() -> str:
    # setWebhook's secret_token: 1-256 characters of A-Z, a-z, 0-9, "_" and "-";
    # token_urlsafe uses exactly that alphabet.
    return secrets.token_urlsafe(48)


class TelegramConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # BotFather's token, "<bot id>:<secret>".
    bot_token: str = Field(pattern=r"^\d+:[A-Za-z0-9_-]+$")
    # Ours, not Telegram's: generated when absent and handed to setWebhook.
    secret_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    api_base_url: HttpUrl = HttpUrl(outbound.DEFAULT_API_BASE_URL)


class TelegramChannel:
    kind: ClassVar[str] = "telegram"
    config_model: ClassVar[type[BaseModel]] = TelegramConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset({"bot_token", "secret_token"})
    # Bots may answer a chat at any time once the user has started it.
    reply_window: ClassVar[timedelta | None] = None
    receives_webhooks: ClassVar[bool] = True
    # Bot API FAQ: about 30 messages per second overall and one per second to one chat.
    # The chat's spacing gets 10 % headroom: it is enforced when the relay takes the send,
    # and network jitter can bring two requests closer together at Telegram's end.
    rate_limit: ClassVar[RateLimit | None] = RateLimit(
        per_inbox=Rate(30, burst=30), per_recipient=Rate(1 / 1.1)
    )

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return HandshakeResponse(405, "Telegram delivers updates by POST")

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        expected = config.get("secret_token")
        given = request.header(SECRET_HEADER)
        if not expected:
            # Without a registered secret anyone who guesses the URL could post updates.
            raise WebhookAuthError("the inbox has no secret_token", status=403)
        if given is None or not hmac.compare_digest(given.encode(), str(expected).encode()):
            raise WebhookAuthError(f"{SECRET_HEADER} does not match", status=403)

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        return parse_update(request.body)

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        return await outbound.send_message(config, message, http)

    async def fetch_media(
        self, config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
    ) -> tuple[bytes, str]:
        return await outbound.fetch_media(config, media_ref, http)

    async def register_webhook(self, config: Mapping[str, Any], url: str, http: httpx.AsyncClient) -> None:
        await outbound.register_webhook(config, url, http)


fetch_media = outbound.fetch_media
register_webhook = outbound.register_webhook
