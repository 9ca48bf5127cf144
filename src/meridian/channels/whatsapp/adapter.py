"""WhatsApp Business Cloud API: verify and parse Meta's webhooks, send through the Graph API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from meridian.channels.base import (
    DeliveryError,
    HandshakeResponse,
    OutboundMessage,
    ParsedWebhook,
    Rate,
    RateLimit,
    SendResult,
    WebhookRequest,
)
from meridian.channels.meta.graph import download, graph_get, graph_post, partly_sent
from meridian.channels.meta.webhook import handshake, verify_signature
from meridian.channels.whatsapp.inbound import parse_notification
from meridian.channels.whatsapp.outbound import message_payloads


class WhatsAppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone_number_id: str = Field(min_length=1, pattern=r"^\d+$")
    access_token: str = Field(min_length=1)
    app_secret: str = Field(min_length=1)
    verify_token: str = Field(min_length=1)
    api_base_url: HttpUrl = HttpUrl("https://graph.facebook.com/v21.0")
    # The WhatsApp Business Account id: needed only to sync message templates.
    waba_id: str | None = Field(default=None, min_length=1, pattern=r"^\d+$")

    @property
    def base(self) -> str:
        return str(self.api_base_url).rstrip("/")

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def load_config(config: Mapping[str, Any]) -> WhatsAppConfig:
    try:
        return WhatsAppConfig.model_validate(dict(config))
    except ValidationError as exc:
        fields = ", ".join(str(err["loc"][0]) for err in exc.errors() if err["loc"])
        problem = f"the WhatsApp inbox is misconfigured ({fields})"
        raise DeliveryError(problem, permanent=True) from None


class WhatsAppChannel:
    kind: ClassVar[str] = "whatsapp"
    config_model: ClassVar[type[BaseModel]] = WhatsAppConfig
    secret_keys: ClassVar[frozenset[str]] = frozenset({"access_token", "app_secret", "verify_token"})
    reply_window: ClassVar[timedelta | None] = timedelta(hours=24)
    receives_webhooks: ClassVar[bool] = True
    # Cloud API "Throughput": 80 messages per second per business number (error 130429);
    # "pair rate limit": about one message per 6 s to the same user sustained, short bursts
    # allowed (error 131056). Ten in a row covers an agent's quick follow-ups.
    rate_limit: ClassVar[RateLimit | None] = RateLimit(
        per_inbox=Rate(80, burst=80), per_recipient=Rate(1 / 6, burst=10)
    )

    def handshake(self, config: Mapping[str, Any], request: WebhookRequest) -> HandshakeResponse:
        return handshake(config.get("verify_token"), request)

    def authenticate(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        verify_signature(config.get("app_secret"), request)

    def parse(self, config: Mapping[str, Any], request: WebhookRequest) -> ParsedWebhook:
        return parse_notification(request.body, config.get("phone_number_id"))

    async def send(
        self, config: Mapping[str, Any], message: OutboundMessage, http: httpx.AsyncClient
    ) -> SendResult:
        settings = load_config(config)
        url = f"{settings.base}/{settings.phone_number_id}/messages"
        ids: list[str] = []
        payloads = message_payloads(message)
        for payload in payloads:
            try:
                answer = await graph_post(http, url, json=payload, headers=settings.auth)
            except DeliveryError as exc:
                raise partly_sent(exc, len(ids), len(payloads)) from exc
            ids.append(_message_id(answer))
        return SendResult(external_id=ids[0], meta={"external_ids": ids} if len(ids) > 1 else {})

    async def fetch_media(
        self, config: Mapping[str, Any], media_ref: str, http: httpx.AsyncClient
    ) -> tuple[bytes, str]:
        """Download an inbound attachment by media id: its bytes and MIME type.

        Two steps per Cloud API "Media" (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media):
        ``GET /{media_id}`` answers a short-lived ``url`` (about 5 minutes) and the
        ``mime_type``; that URL only serves the file with the same bearer token.
        """
        settings = load_config(config)
        info = await graph_get(http, f"{settings.base}/{media_ref}", headers=settings.auth)
        url = info.get("url")
        if not isinstance(url, str) or not url:
            raise DeliveryError(f"WhatsApp media {media_ref} has no download URL", permanent=True)
        data, served_type = await download(http, url, headers=settings.auth)
        return data, str(info.get("mime_type") or served_type)


def _message_id(answer: Mapping[str, Any]) -> str:
    messages = answer.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        wamid = messages[0].get("id")
        if wamid:
            return str(wamid)
    # Accepted (2xx) but without an id: retrying could send twice, so do not.
    raise DeliveryError("WhatsApp accepted the message but returned no message id", permanent=True)
