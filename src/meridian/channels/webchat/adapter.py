"""The web chat channel: visitors write from the widget on the company's own site.

Inbound does not arrive by vendor webhook but through the visitor API in
``routes.py``; outbound needs no vendor either, because the widget reads agent
replies from its own event stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from meridian.channels.base import (
    HandshakeResponse,
    OutboundMessage,
    ParsedWebhook,
    RateLimit,
    SendResult,
    WebhookRequest,
)


def normalize_origin(value: str) -> str:
    """``scheme://host[:port]`` as browsers send it in the Origin header; ValueError otherwise."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) origin")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{value!r} must be only scheme://host[:port], without a path")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{value!r} has an invalid port") from None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


class WebchatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Sites allowed to embed the widget; empty means only Meridian's own origin.
    allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    greeting: str | None = Field(default=None, max_length=500)
    theme_color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    # Ask for name, email and consent before the first message.
    prechat_form: bool = False
    # Shown as a localized "we usually reply in ..." notice.
    reply_time: Literal["minutes", "hours", "day"] | None = None

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(normalize_origin(v) for v in values))


class WebchatChannel:
    kind: ClassVar[str] = "webchat"
    config_model: ClassVar[type[BaseModel]] = WebchatConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset()
    reply_window: ClassVar[timedelta | None] = None
    receives_webhooks: ClassVar[bool] = False
    # Replies go to our own widget: no vendor in between.
    rate_limit: ClassVar[RateLimit | None] = None

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return HandshakeResponse(405, "web chat messages arrive through /widget/api")

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        return None

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        return ParsedWebhook(ignored=["the web chat channel has no vendor webhook"])

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        # There is no vendor to hand the reply to: the committed message already
        # reached the visitor's open stream (GET /widget/api/stream) or will be in the
        # thread they load next. Reporting success lets the outbox mark it sent
        # instead of retrying a delivery that cannot happen any other way.
        return SendResult(external_id=message.message_id)
