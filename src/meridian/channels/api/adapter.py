"""The API channel: customers' messages arrive by our REST API, replies leave as
Standard Webhooks (https://www.standardwebhooks.com/) POSTed to ``webhook_url``."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator
from standardwebhooks.webhooks import Webhook

from meridian.channels.base import (
    DeliveryError,
    HandshakeResponse,
    OutboundMessage,
    ParsedWebhook,
    RateLimit,
    SendResult,
    WebhookRequest,
    classify_http_error,
    transport_error,
)
from meridian.core.clock import utcnow


def generate_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class ApiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_url: HttpUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=10)

    @field_validator("webhook_secret")
    @classmethod
    def _whsec(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("whsec_"):
            raise ValueError("must be a Standard Webhooks secret starting with 'whsec_'")
        try:
            base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except ValueError:
            raise ValueError("the part after 'whsec_' must be base64") from None
        return value


class ApiChannel:
    kind: ClassVar[str] = "api"
    config_model: ClassVar[type[BaseModel]] = ApiConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset({"webhook_secret"})
    reply_window: ClassVar[timedelta | None] = None
    receives_webhooks: ClassVar[bool] = False
    # The customer's own endpoint: nothing documented to respect.
    rate_limit: ClassVar[RateLimit | None] = None

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return HandshakeResponse(405, "the api channel receives messages at /api/v1/inboxes/{id}/incoming")

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        return None

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        return ParsedWebhook(ignored=["api channel has no vendor webhook"])

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        url = config.get("webhook_url")
        secret = config.get("webhook_secret")
        if not url:
            # Nothing to deliver to: the reply is stored and readable over the API.
            raise DeliveryError("the inbox has no webhook_url configured", permanent=True)
        if not secret:
            raise DeliveryError("the inbox has no webhook_secret", permanent=True)
        event = dict(message.event or {})
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str)
        now = utcnow()
        # The idempotency key doubles as the webhook-id: Standard Webhooks receivers
        # dedupe on it, which is what makes a retried delivery count once.
        signature = Webhook(secret).sign(message.idempotency_key, now, body)
        headers = {
            "content-type": "application/json",
            "webhook-id": message.idempotency_key,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
            "user-agent": "Meridian-Webhooks/1",
        }
        try:
            response = await http.post(str(url), content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        if response.status_code >= 300:
            raise classify_http_error(response)
        return SendResult(external_id=message.idempotency_key)
